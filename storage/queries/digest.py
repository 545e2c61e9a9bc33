"""The email digest's claim: the other email deliveries of one address due the same local day.

Used by the dispatcher (bot.email_digest, bot.delivery) in the transaction that marks a
delivery in flight: the companions are taken by the same compare-and-swap rules as any claim
(pending, or claimed by this very dispatcher in its batch; `FOR UPDATE SKIP LOCKED` on
PostgreSQL, so a delivery another dispatcher holds is left to it) and marked in flight with
the lead, so a crash leaves them uncertain and taken over like any other.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import and_, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Delivery, DeliveryState, Person
from storage.queries.deliveries import ClaimedDelivery
from storage.queries.deliveries.claims import CLAIMED_COLUMNS, claimed_from

D = Delivery
MAX_COMPANIONS = 20  # one email carries at most 21 messages; the rest go in the next one


async def person_timezone(*, session: AsyncSession, person_id: int | None) -> str | None:
    """The person's own time zone, when they have one."""
    if person_id is None:
        return None
    result = await session.execute(
        sa_select(col(Person.timezone)).where(col(Person.id) == person_id)
    )
    return result.scalar_one_or_none()


async def claim_companions(
    *,
    session: AsyncSession,
    lead_id: int,
    target: str,
    kinds: Collection[str],
    until: datetime,
    claimed_by: str,
    lease_until: datetime,
    now: datetime,
) -> list[ClaimedDelivery]:
    """Take the other email deliveries to `target` of these kinds due before `until`, in flight.

    Returns them in send order; commit with the lead's mark-in-flight.
    """
    eligible = and_(
        col(D.transport) == "email",
        col(D.target) == target,
        col(D.id) != lead_id,
        col(D.kind).in_(sorted(kinds)),
        col(D.send_at) < until,
        or_(
            col(D.state) == DeliveryState.PENDING,
            and_(col(D.state) == DeliveryState.CLAIMED, col(D.claimed_by) == claimed_by),
        ),
    )
    stmt = sa_select(col(D.id)).where(eligible).order_by(col(D.send_at), col(D.id))
    stmt = stmt.limit(MAX_COMPANIONS)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list((await session.execute(stmt)).scalars())
    if not ids:
        return []
    await session.execute(
        update(D)
        .where(col(D.id).in_(ids), eligible)
        .values(
            state=DeliveryState.UNCERTAIN,
            claimed_by=claimed_by,
            lease_until=lease_until,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    rows = await session.execute(
        sa_select(*CLAIMED_COLUMNS)
        .where(
            col(D.id).in_(ids),
            col(D.claimed_by) == claimed_by,
            col(D.state) == DeliveryState.UNCERTAIN,
        )
        .order_by(col(D.send_at), col(D.id))
    )
    return [claimed_from(r, uncertain=False) for r in rows.all()]
