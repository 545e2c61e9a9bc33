"""/healthz's database ping does not queue behind the shared pool."""

from __future__ import annotations

from sqlalchemy import text

from storage.db import Database


async def test_ping_answers_while_every_pooled_connection_is_checked_out(
    database_url: str,
) -> None:
    # A burst of clicks holds every connection of the shared pool; without a connection of
    # its own the ping would wait pool_timeout and report the database unreachable.
    db = Database(database_url, pool_size=2, max_overflow=0, pool_timeout=5)
    held = [await db.engine.connect() for _ in range(2)]
    try:
        for conn in held:
            await conn.execute(text("SELECT 1"))
        assert db.engine.pool.checkedout() == 2  # type: ignore[attr-defined]
        assert await db.ping()
        assert await db.ping()  # and again, on its reused connection
    finally:
        for conn in held:
            await conn.close()
        await db.dispose()


async def test_ping_reports_an_unreachable_database() -> None:
    db = Database("postgresql://cohortbot@127.0.0.1:1/nothing")
    try:
        assert not await db.ping()
    finally:
        await db.dispose()
