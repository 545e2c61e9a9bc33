"""Run and check Alembic migrations (synchronous; used by the CLI and at start-up)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.db import make_sync_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision`."""
    command.upgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(url: str) -> str | None:
    engine = make_sync_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def schema_problem(url: str) -> str | None:
    """None if the schema is at head; otherwise one line saying what to run."""
    try:
        current = current_revision(url)
    except Exception as exc:  # unreachable database, bad URL
        return f"Cannot reach the database ({type(exc).__name__}): check DATABASE_URL"
    head = head_revision()
    if current == head:
        return None
    if current is None:
        return "The database has no schema yet: run `cohortbot db upgrade`"
    return f"The database schema is at {current}, the code needs {head}: run `cohortbot db upgrade`"
