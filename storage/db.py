"""Engines and sessions. `DATABASE_URL` comes in plain form; the drivers are chosen here.

The bot uses the async engine (aiosqlite / psycopg async); Alembic and one-shot CLI work may
use the sync engine (sqlite3 / psycopg).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import lengths

lengths.install()  # string columns hold what they say, on SQLite too


def _normalise(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    return url


def async_url(url: str) -> str:
    """`sqlite:///x` -> `sqlite+aiosqlite:///x`; `postgresql://` -> `postgresql+psycopg://`."""
    url = _normalise(url)
    if url.startswith("sqlite:"):
        return "sqlite+aiosqlite:" + url.removeprefix("sqlite:")
    if url.startswith("postgresql:"):
        return "postgresql+psycopg:" + url.removeprefix("postgresql:")
    return url


def sync_url(url: str) -> str:
    """`postgresql://` -> `postgresql+psycopg://`; SQLite stays on sqlite3."""
    url = _normalise(url)
    if url.startswith("postgresql:"):
        return "postgresql+psycopg:" + url.removeprefix("postgresql:")
    return url


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split("///", 1)[1] if "///" in url else ""
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # A writer waits for the one write lock rather than failing: on a busy machine a long
    # import or re-plan can hold it for more than 10 s, and a failed "sent" mark after Slack
    # accepted a post is a duplicate. PostgreSQL has no such single lock.
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted content is overwritten with zeros (an erasure, a retention run, an anonymous
    # pulse's receipts), and the WAL is cut back to nothing whenever a checkpoint resets it.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA journal_size_limit=0")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """The bot's async engine, with SQLite foreign keys on and WAL.

    Errors leave out the statement's parameters (people's names and addresses would reach the
    logs through a failed INSERT otherwise).
    """
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite(url):
        _ensure_sqlite_dir(url)
        engine = create_async_engine(async_url(url), **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(async_url(url), **kwargs)


def make_sync_engine(url: str, **kwargs: Any) -> Engine:
    """A sync engine for Alembic and one-shot CLI work (errors without parameters too)."""
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite(url):
        _ensure_sqlite_dir(url)
        engine = create_engine(sync_url(url), **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("hide_parameters", True)
    return create_engine(sync_url(url), pool_pre_ping=True, **kwargs)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


class Database:
    """The engine and session factory the bot shares; one per process."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = make_sessionmaker(self.engine)
        self._ping_engine: AsyncEngine | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session; commit yourself (`await session.commit()`), rolled back on error."""
        async with self.sessionmaker() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction, committed on success."""
        async with self.sessionmaker() as session, session.begin():
            yield session

    async def ping(self) -> bool:
        """Whether the database answers `SELECT 1`, on a connection of its own.

        Not from the shared pool: in a burst of clicks every pooled connection is checked out
        and hundreds of handlers queue for one (bench.whole_bot on PostgreSQL: /healthz waited
        2.9 s with the event loop never behind by more than 0.35 s), and a liveness probe that
        waits behind them reports a busy bot as a dead one. Its own pool holds one connection
        and lets one more be opened, so a flood of /healthz requests cannot open many.
        """
        from sqlalchemy import text

        if self._ping_engine is None:
            self._ping_engine = create_async_engine(
                async_url(self.url),
                poolclass=AsyncAdaptedQueuePool,
                pool_size=1,
                max_overflow=1,
                pool_pre_ping=True,
                hide_parameters=True,
            )
        try:
            async with self._ping_engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def purge_freed_space(self, *, full: bool = True) -> str:
        """Make deleted rows unrecoverable from the database files; returns what was done.

        SQLite (deletes already zeroed by `secure_delete`): VACUUM rebuilds the file without
        free pages (with `full`), and a TRUNCATE checkpoint moves the WAL into the main file and
        empties it. PostgreSQL: VACUUM lets the dead tuples' space be reused; it does not reach
        backups or archived WAL, which age out on their own schedule (docs/privacy.md).
        """
        from sqlalchemy import text

        async with self.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            if self.dialect == "sqlite":
                done = []
                if full:
                    await conn.execute(text("VACUUM"))
                    done.append("VACUUM")
                row = (await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))).first()
                busy = bool(row and row[0])
                done.append("WAL checkpoint" + (" (busy: readers still open)" if busy else ""))
                return ", ".join(done)
            await conn.execute(text("VACUUM (ANALYZE)" if full else "VACUUM"))
            return "VACUUM"

    def sibling(self, **engine_kwargs: Any) -> Database:
        """The same database through an engine (and so a connection pool) of its own.

        For background work that must not queue with people's requests for connections (the
        outbox's dispatcher beside a burst of clicks), nor they with it. An in-memory SQLite
        database cannot be opened twice: there it is this one.
        """
        if self.url.startswith("sqlite") and (
            self.url.rstrip("/").endswith(":") or ":memory:" in self.url
        ):
            return self
        return Database(self.url, **engine_kwargs)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._ping_engine is not None:
            await self._ping_engine.dispose()
