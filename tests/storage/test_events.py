"""Inbound Slack event ids: a retried event is claimed once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.db import Database
from storage.queries.events import claim_event, forget_events_before

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


async def test_a_retried_event_is_claimed_once(db: Database) -> None:
    async with db.transaction() as session:
        assert await claim_event(session=session, event_id="Ev01", now=NOW) is True
    async with db.transaction() as session:  # Slack's retry, X-Slack-Retry-Num: 1
        assert await claim_event(session=session, event_id="Ev01", now=NOW) is False
        assert await claim_event(session=session, event_id="Ev02", now=NOW) is True


async def test_old_event_ids_are_forgotten(db: Database) -> None:
    async with db.transaction() as session:
        await claim_event(session=session, event_id="Ev01", now=NOW - timedelta(days=2))
        await claim_event(session=session, event_id="Ev02", now=NOW)
    async with db.transaction() as session:
        assert await forget_events_before(session=session, before=NOW - timedelta(days=1)) == 1
        assert await claim_event(session=session, event_id="Ev01", now=NOW) is True
