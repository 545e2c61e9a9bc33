"""Shared fixtures: a migrated database per test (SQLite, or PostgreSQL in the second pass),
and the HTTP session and local Teams connector of tests over real HTTP."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
import pytest
from hypothesis import settings as hypothesis_settings
from typer.testing import CliRunner

from bot.clock import FrozenClock
from bot.settings import Settings, get_settings
from storage.db import Database
from storage.migrate import upgrade

if TYPE_CHECKING:
    from emulator.teams_connector import ConnectorHandle

# Property tests draw the same examples on every run (`make test`, CI): a failure is a bug that
# reproduces, never a flake. Explore new examples with `pytest --hypothesis-profile=explore`
# and add what it finds as an `@example`.
hypothesis_settings.register_profile("repeatable", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("COHORTBOT_HYPOTHESIS_PROFILE", "repeatable"))

TEST_DATABASE = os.environ.get("COHORTBOT_TEST_DATABASE", "sqlite")
POSTGRES_URL = os.environ.get("COHORTBOT_TEST_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")


def postgres_reachable(url: str = POSTGRES_URL) -> str | None:
    """None if PostgreSQL answers at `url`, else the reason it does not."""
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=3).close()
        return None
    except Exception as exc:
        return f"PostgreSQL at {url} not reachable ({type(exc).__name__})"


def _admin_url(url: str, dbname: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + dbname


def create_postgres_database(base_url: str = POSTGRES_URL) -> str:
    """Create a fresh, empty database beside `base_url`'s; returns its URL."""
    import psycopg

    name = f"cohortbot_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return _admin_url(base_url, name)


def drop_postgres_database(url: str, base_url: str = POSTGRES_URL) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One migrated database per test run: a SQLite file to copy, or a PostgreSQL database."""
    if TEST_DATABASE == "postgresql":
        reason = postgres_reachable()
        if reason:
            pytest.skip(reason)
        url = create_postgres_database()
        upgrade(url)
        yield url
        drop_postgres_database(url)
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url


def _truncate_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        # No test is running now, so any other session on this database is one a finished
        # test left behind: its event loop closed while a task of the bot's (a Home tab being
        # published after a click, say) held a session, and the connection stays open in its
        # transaction. Its locks made this TRUNCATE wait forever (seen once in CI).
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' "
            "AND tablename <> 'alembic_version'"
        ).fetchall()
        if rows:
            names = ", ".join(f'"{r[0]}"' for r in rows)
            conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@pytest.fixture
def database_url(_migrated_template: str, tmp_path: Path) -> str:
    """A migrated, empty database for this test."""
    if _migrated_template.startswith("postgresql"):
        _truncate_postgres(_migrated_template)
        return _migrated_template
    src = Path(_migrated_template.removeprefix("sqlite:///"))
    dst = tmp_path / "cohortbot.db"
    shutil.copyfile(src, dst)
    return f"sqlite:///{dst}"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def other_db(database_url: str) -> AsyncIterator[Database]:
    """A second process's engine on the same database as `db` (for races between processes)."""
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database of its own, for tests that need PostgreSQL."""
    reason = postgres_reachable()
    if reason:
        pytest.skip(reason)
    url = create_postgres_database()
    upgrade(url)
    yield url
    drop_postgres_database(url)


@pytest.fixture
def clock() -> FrozenClock:
    """Frozen at Monday 2 March 2026 09:00 Oslo (08:00 UTC)."""
    return FrozenClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        archive_dir=str(tmp_path / "archive"),
        secret_key="test-secret-key-0123456789abcdef",
        slack_bot_token="xoxb-test-token",
        slack_signing_secret="test-signing-secret",
        base_url="http://127.0.0.1:3000",
    )


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session for this test's own HTTP calls, closed after it."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def connector() -> AsyncIterator[ConnectorHandle]:
    """The local Teams connector (Bot Framework and Graph, emulator/teams_connector.py),
    started for this test and stopped after it."""
    from emulator.teams_connector import start_teams_connector  # only tests that use it load it

    handle = await start_teams_connector()
    yield handle
    await handle.stop()


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[CliRunner]:
    """A runner whose settings point at this test's database and no Slack."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    for var in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()
