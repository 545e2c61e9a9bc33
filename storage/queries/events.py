"""Inbound Slack event deduplication."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ProcessedEvent


async def claim_event(*, session: AsyncSession, event_id: str, now: datetime) -> bool:
    """Record `event_id` as handled; False if it was already (a Slack retry)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(ProcessedEvent)
        .values(event_id=event_id, received_at=now)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(ProcessedEvent.event_id)  # type: ignore[call-overload]
    )
    # RETURNING, not rowcount: psycopg reports -1 for an ORM-style insert that did nothing,
    # which made every retry look new on PostgreSQL.
    result = await session.execute(stmt)
    return result.first() is not None


async def forget_events_before(*, session: AsyncSession, before: datetime) -> int:
    """Drop old event ids; Slack retries within minutes, so a day is plenty."""
    result = await session.execute(
        delete(ProcessedEvent).where(ProcessedEvent.received_at < before)  # type: ignore[arg-type]
    )
    return int(getattr(result, "rowcount", 0) or 0)


EVENT_MEMORY = timedelta(days=1)
