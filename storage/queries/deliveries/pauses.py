"""Pausing and resuming a transport, and whom to alert."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import SendingPause
from storage.queries.deliveries._common import (
    PAUSE,
    SP,
    P,
    _insert_for,
    _rowcount,
)
from storage.queries.slack_ids import slack_alias, slack_on, slack_user_id


async def pause_transport(
    *, session: AsyncSession, transport: str, reason: str, now: datetime
) -> bool:
    """Stop all sending on `transport`. True if it was not paused already."""
    stmt = (
        _insert_for(session)(PAUSE)
        .values(transport=transport, reason=reason[:500], paused_at=now)
        .on_conflict_do_nothing(index_elements=["transport"])
        .returning(SP.transport)
    )
    result = await session.execute(stmt)
    return result.first() is not None


async def resume_transport(*, session: AsyncSession, transport: str) -> bool:
    """Lift a pause. True if there was one."""
    result = await session.execute(delete(PAUSE).where(SP.transport == transport))
    return bool(_rowcount(result))


async def list_pauses(*, session: AsyncSession) -> list[SendingPause]:
    result = await session.execute(select(SendingPause).order_by(SP.paused_at))
    return list(result.scalars())


async def staff_contacts(
    *, session: AsyncSession, staff_emails: Sequence[str] = ()
) -> list[tuple[int, str, str | None]]:
    """(person id, email, Slack user id) of every staff member (flagged, or listed in
    COHORTBOT_STAFF_EMAILS), to alert them."""
    emails = [e.lower() for e in staff_emails]
    slack = slack_alias()
    result = await session.execute(
        select(P.id, P.email, slack_user_id(slack))
        .outerjoin(slack, slack_on(slack, P.id))
        .where(or_(P.is_staff.is_(True), P.email.in_(emails)))
    )
    return [(r[0], r[1], r[2]) for r in result.all()]
