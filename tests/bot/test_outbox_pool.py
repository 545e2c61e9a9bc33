"""The outbox has connections of its own: a burst of clicks that checks out every connection of
the request pool does not stall sending (nor does the outbox take the clicks' connections)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from bot.clock import FrozenClock
from bot.delivery import Dispatcher, schedule
from bot.notifier import OutgoingMessage, RecordingNotifier
from bot.runtime import Runtime
from bot.settings import Settings
from storage.db import Database

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def test_the_outbox_sends_while_a_burst_of_clicks_holds_every_request_connection(
    database_url: str, settings: Settings
) -> None:
    requests = Database(database_url, pool_size=2, max_overflow=0, pool_timeout=3)
    outbox = requests.sibling(pool_size=3, max_overflow=0, pool_timeout=30)
    assert outbox is not requests
    async with outbox.transaction() as session:
        for i in range(10):
            await schedule(
                session,
                key=f"announcement:{i}",
                transport="slack",
                kind="announcement",
                target=f"U{i:04d}",
                message=OutgoingMessage(text=f"Kunngjøring {i}"),
                send_at=NOW,
                audience="participant",
                settings=settings,
                urgent=True,
            )
    slack = RecordingNotifier("slack")
    runtime = Runtime(
        settings=settings, db=requests, clock=FrozenClock(NOW), notifiers={"slack": slack}
    )
    runtime.outbox_db = outbox
    # Every request connection is held, as by clicks waiting on a busy loop.
    held = [await requests.engine.connect() for _ in range(2)]
    try:
        for conn in held:
            await conn.execute(text("SELECT 1"))
        assert requests.engine.pool.checkedout() == 2  # type: ignore[attr-defined]
        stats = await Dispatcher(runtime).tick()
        assert stats.claimed == 10 and len(slack.sent) == 10
        # The clicks' pool was not touched by the outbox: still exactly the two held.
        assert requests.engine.pool.checkedout() == 2  # type: ignore[attr-defined]
    finally:
        for conn in held:
            await conn.close()
        await outbox.dispose()
        await requests.dispose()


async def test_an_in_memory_database_is_its_own_sibling() -> None:
    db = Database("sqlite+aiosqlite:///:memory:")
    try:
        assert db.sibling(pool_size=3) is db
    finally:
        await db.dispose()
