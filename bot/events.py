"""Inbound events from chat platforms, handled once however often they are retried."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.queries.events import claim_event


async def first_delivery(session: AsyncSession, *, event_id: str, now: datetime) -> bool:
    """True the first time `event_id` arrives; False for a retry of one already handled."""
    return await claim_event(session=session, event_id=event_id, now=now)
