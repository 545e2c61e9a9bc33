"""Retried Slack events are recognised on both databases."""

from datetime import UTC, datetime, timedelta

from storage.db import Database
from storage.queries.events import claim_event, forget_events_before


async def test_an_event_is_claimed_once(db: Database) -> None:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    async with db.transaction() as session:
        assert await claim_event(session=session, event_id="Ev1", now=now) is True
    async with db.transaction() as session:
        assert await claim_event(session=session, event_id="Ev1", now=now) is False
        assert await claim_event(session=session, event_id="Ev2", now=now) is True


async def test_old_event_ids_are_forgotten(db: Database) -> None:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    async with db.transaction() as session:
        await claim_event(session=session, event_id="old", now=now - timedelta(days=2))
        await claim_event(session=session, event_id="new", now=now)
    async with db.transaction() as session:
        assert await forget_events_before(session=session, before=now - timedelta(days=1)) == 1
        assert await claim_event(session=session, event_id="old", now=now) is True
        assert await claim_event(session=session, event_id="new", now=now) is False
