"""What staff see of the outbox: counts, failures, backlog and duplicate figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import DeliveryState, Person
from storage.queries.deliveries._common import (
    DELIVERY,
    HELD_NOTE,
    UNCERTAIN_NOTE,
    D,
    P,
    _behind_a_retry,
    _due,
    _not_paused,
)


def _due_time() -> Any:
    """When a pending delivery may go: its `send_at`, or its retry's time if that is later."""
    return case((D.retry_at > D.send_at, D.retry_at), else_=D.send_at)


@dataclass(frozen=True)
class FailedDeliveryRow:
    id: int
    kind: str
    transport: str
    target: str
    error: str | None
    attempts: int
    updated_at: datetime
    person_name: str | None
    person_email: str | None
    person_id: int | None = None


async def count_deliveries_by_state(*, session: AsyncSession) -> dict[str, int]:
    """How many deliveries are in each state."""
    result = await session.execute(select(D.state, func.count()).group_by(D.state))
    return {state: int(n) for state, n in result.all()}


async def count_deliveries_by_state_and_transport(
    *, session: AsyncSession
) -> dict[tuple[str, str], int]:
    """Rows in the outbox per (state, transport), for the metrics endpoint."""
    result = await session.execute(
        select(D.state, D.transport, func.count()).group_by(D.state, D.transport)
    )
    return {(str(state), str(transport)): int(n) for state, transport, n in result.all()}


async def due_backlog(*, session: AsyncSession, now: datetime) -> tuple[int, datetime | None]:
    """Pending deliveries already due at `now`, and the oldest one's due time.

    One waiting for its retry is not yet due; those held behind it in its chain are (late).
    """
    result = await session.execute(select(func.count(), func.min(D.send_at)).where(_due(now)))
    count, oldest = result.one()
    return int(count), oldest


async def count_uncertain_sends(*, session: AsyncSession) -> int:
    """Sent deliveries that a dead process may have sent too (possible duplicates)."""
    result = await session.execute(
        select(func.count()).select_from(DELIVERY).where(D.error.startswith(UNCERTAIN_NOTE))
    )
    return int(result.scalar() or 0)


async def list_failed_deliveries(
    *, session: AsyncSession, limit: int | None = 50
) -> list[FailedDeliveryRow]:
    """The newest failed deliveries with the reason and who they were for (all: limit None)."""
    result = await session.execute(
        select(
            D.id,
            D.kind,
            D.transport,
            D.target,
            D.error,
            D.attempts,
            D.updated_at,
            P.name,
            P.email,
            D.person_id,
        )
        .outerjoin(Person, P.id == D.person_id)
        .where(D.state == DeliveryState.FAILED)
        .order_by(D.updated_at.desc(), D.id.desc())
        .limit(limit)
    )
    return [FailedDeliveryRow(*row) for row in result.all()]


async def next_due_at(*, session: AsyncSession, now: datetime | None = None) -> datetime | None:
    """When the next pending delivery on a transport that is not paused is due (a retry at
    its retry's time). With `now`, leaving out those held behind a retry waiting at `now`."""
    stmt = select(func.min(_due_time())).where(D.state == DeliveryState.PENDING, _not_paused())
    if now is not None:
        stmt = stmt.where(~_behind_a_retry(now))
    result = await session.execute(stmt)
    value = result.scalar()
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


async def count_held(*, session: AsyncSession) -> dict[str, int]:
    """Pending deliveries held because their transport is not configured, per transport."""
    result = await session.execute(
        select(D.transport, func.count())
        .where(D.state == DeliveryState.PENDING, D.error.startswith(HELD_NOTE))
        .group_by(D.transport)
    )
    return {transport: int(n) for transport, n in result.all()}


async def sent_messages(*, session: AsyncSession, source: str, kind: str) -> list[Any]:
    """(id, target, result_ref, message) of the sent deliveries of one source and kind."""
    result = await session.execute(
        select(D.id, D.target, D.result_ref, D.message)
        .where(D.source == source, D.kind == kind, D.state == DeliveryState.SENT)
        .order_by(D.id)
    )
    return list(result.all())


async def count_failed(*, session: AsyncSession) -> int:
    """How many deliveries failed for good."""
    result = await session.execute(
        select(func.count()).select_from(DELIVERY).where(D.state == DeliveryState.FAILED)
    )
    return int(result.scalar() or 0)


def _copies_at_most() -> Any:
    """How many copies of a delivery may have arrived: each attempt of unknown outcome, plus
    the recorded send unless it was an earlier attempt found in the conversation."""
    sent_now = case((and_(D.state == DeliveryState.SENT, D.found_sent.is_(False)), 1), else_=0)
    return D.unknown_attempts + sent_now


@dataclass(frozen=True)
class DuplicateFigures:
    """Deliveries that may have arrived more than once, and at most how many extra copies."""

    deliveries: int = 0
    extra_copies: int = 0


async def duplicate_figures(
    *, session: AsyncSession, sources: Sequence[str] | None = None
) -> tuple[DuplicateFigures, dict[str, DuplicateFigures]]:
    """What the outbox knows of possible duplicates, counted from attempts whose outcome was
    unknown: in total (over `sources` when given), and per source."""
    copies = _copies_at_most()
    stmt = select(D.source, func.count(), func.sum(copies - 1)).where(copies >= 2)
    if sources is not None:
        stmt = stmt.where(D.source.in_(list(sources)))
    rows = (await session.execute(stmt.group_by(D.source))).all()
    per: dict[str, DuplicateFigures] = {}
    total_n = total_extra = 0
    for source, n, extra in rows:
        if source is not None:
            per[str(source)] = DuplicateFigures(int(n), int(extra or 0))
        total_n += int(n)
        total_extra += int(extra or 0)
    return DuplicateFigures(total_n, total_extra), per
