"""Announcement audiences and delivery reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import case, func, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Broadcast,
    Cohort,
    CohortClass,
    Delivery,
    DeliveryState,
    Enrolment,
    EnrolmentStatus,
    LineManagerLink,
    Network,
    NetworkMembership,
    Person,
)

TAKING_PART = (EnrolmentStatus.ACTIVE, EnrolmentStatus.ADMITTED)


async def find_class(*, session: AsyncSession, cohort_id: int, ref: str) -> CohortClass | None:
    """A class of the cohort by key or city (case-insensitive)."""
    needle = ref.strip().casefold()
    result = await session.execute(
        select(CohortClass).where(col(CohortClass.cohort_id) == cohort_id)
    )
    row: CohortClass
    for row in result.scalars():
        if needle in (row.key.casefold(), row.city.casefold(), row.name.casefold()):
            return row
    return None


async def list_active_cohorts(*, session: AsyncSession) -> list[Cohort]:
    result = await session.execute(
        select(Cohort).where(col(Cohort.status) != "completed").order_by(col(Cohort.id))
    )
    return list(result.scalars())


async def list_completed_cohorts(*, session: AsyncSession, limit: int = 20) -> list[Cohort]:
    """Completed cohorts, newest first: the ones with alumni."""
    result = await session.execute(
        select(Cohort)
        .where(col(Cohort.status) == "completed")
        .order_by(col(Cohort.id).desc())
        .limit(limit)
    )
    return list(result.scalars())


async def list_classes_of(*, session: AsyncSession, cohort_ids: Sequence[int]) -> list[CohortClass]:
    """The classes of the cohorts, by cohort then key."""
    if not cohort_ids:
        return []
    result = await session.execute(
        select(CohortClass)
        .where(col(CohortClass.cohort_id).in_(list(cohort_ids)))
        .order_by(col(CohortClass.cohort_id), col(CohortClass.key))
    )
    return list(result.scalars())


async def distinct_person_values(
    *,
    session: AsyncSession,
    field: Literal["county", "service_area", "position"],
    limit: int = 100,
) -> list[str]:
    """The distinct non-empty values of one person field, sorted, at most `limit`."""
    column = col(getattr(Person, field))
    result = await session.execute(
        select(column)
        .where(column.is_not(None), column != "")
        .distinct()
        .order_by(column)
        .limit(limit)
    )
    return [str(v) for v in result.scalars()]


async def participants(
    *,
    session: AsyncSession,
    cohort_ids: Sequence[int] | None = None,
    class_id: int | None = None,
) -> list[Person]:
    """People taking part now (active or admitted), in the cohorts or class given."""
    stmt = (
        select(Person)
        .join(Enrolment, col(Enrolment.person_id) == col(Person.id))
        .where(col(Enrolment.status).in_(TAKING_PART), col(Enrolment.is_alumnus).is_(False))
        .distinct()
        .order_by(col(Person.id))
    )
    if cohort_ids is not None:
        stmt = stmt.where(col(Enrolment.cohort_id).in_(list(cohort_ids)))
    if class_id is not None:
        stmt = stmt.where(col(Enrolment.class_id) == class_id)
    result = await session.execute(stmt)
    return list(result.scalars())


async def consenting_alumni(*, session: AsyncSession, cohort_id: int | None = None) -> list[Person]:
    """Alumni who said yes to alumni messaging (no answer means no)."""
    stmt = (
        select(Person)
        .join(Enrolment, col(Enrolment.person_id) == col(Person.id))
        .where(col(Enrolment.is_alumnus).is_(True), col(Enrolment.alumni_consent).is_(True))
        .distinct()
        .order_by(col(Person.id))
    )
    if cohort_id is not None:
        stmt = stmt.where(col(Enrolment.cohort_id) == cohort_id)
    result = await session.execute(stmt)
    return list(result.scalars())


async def line_managers(
    *, session: AsyncSession, cohort_ids: Sequence[int] | None = None, class_id: int | None = None
) -> list[Person]:
    """Line managers of people taking part now."""
    stmt = (
        select(Person)
        .join(LineManagerLink, col(LineManagerLink.manager_id) == col(Person.id))
        .join(
            Enrolment,
            (col(Enrolment.person_id) == col(LineManagerLink.participant_id))
            & (col(Enrolment.cohort_id) == col(LineManagerLink.cohort_id)),
        )
        .where(col(Enrolment.status).in_(TAKING_PART))
        .distinct()
        .order_by(col(Person.id))
    )
    if cohort_ids is not None:
        stmt = stmt.where(col(LineManagerLink.cohort_id).in_(list(cohort_ids)))
    if class_id is not None:
        stmt = stmt.where(col(Enrolment.class_id) == class_id)
    result = await session.execute(stmt)
    return list(result.scalars())


async def networks_of(
    *,
    session: AsyncSession,
    kind: str,
    cohort_id: int | None = None,
    class_id: int | None = None,
) -> list[Network]:
    stmt = select(Network).where(col(Network.kind) == kind, col(Network.archived_at).is_(None))
    if cohort_id is not None:
        stmt = stmt.where(col(Network.cohort_id) == cohort_id)
    if class_id is not None:
        stmt = stmt.where(col(Network.class_id) == class_id)
    result = await session.execute(stmt.order_by(col(Network.id)))
    return list(result.scalars())


async def network_members(*, session: AsyncSession, network_ids: Sequence[int]) -> list[Person]:
    if not network_ids:
        return []
    result = await session.execute(
        select(Person)
        .join(NetworkMembership, col(NetworkMembership.person_id) == col(Person.id))
        .where(
            col(NetworkMembership.network_id).in_(list(network_ids)),
            col(NetworkMembership.left_at).is_(None),
        )
        .distinct()
        .order_by(col(Person.id))
    )
    return list(result.scalars())


async def get_broadcast(*, session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    return await session.get(Broadcast, broadcast_id)


async def deliveries_for_source(*, session: AsyncSession, source: str) -> list[Delivery]:
    result = await session.execute(
        select(Delivery).where(col(Delivery.source) == source).order_by(col(Delivery.id))
    )
    return list(result.scalars())


async def recent_broadcasts(*, session: AsyncSession, since: datetime) -> list[Broadcast]:
    """Announcements due from `since` on, or with anything still pending, newest first."""
    pending = (
        select(Delivery.source)
        .where(col(Delivery.state) == DeliveryState.PENDING, col(Delivery.source).is_not(None))
        .distinct()
    )
    sources = {str(s) for s in (await session.execute(pending)).scalars()}
    ids = [int(s.split(":")[1]) for s in sources if s.startswith("broadcast:") and s[10:].isdigit()]
    result = await session.execute(
        select(Broadcast)
        .where(or_(col(Broadcast.send_at) >= since, col(Broadcast.id).in_(ids)))
        .order_by(col(Broadcast.send_at).desc(), col(Broadcast.id).desc())
    )
    return list(result.scalars())


async def delivery_counts_by_source(
    *, session: AsyncSession, sources: Sequence[str]
) -> dict[str, list[Any]]:
    """Per source: (state, transport, n, held) rows, `held` counting rows noted "held:"."""
    if not sources:
        return {}
    held = case((col(Delivery.error).startswith("held:"), 1), else_=0)
    result = await session.execute(
        sa_select(
            col(Delivery.source).label("source"),
            col(Delivery.state).label("state"),
            col(Delivery.transport).label("transport"),
            func.count().label("n"),
            func.sum(held).label("held"),
        )
        .where(col(Delivery.source).in_(list(sources)))
        .group_by(col(Delivery.source), col(Delivery.state), col(Delivery.transport))
    )
    out: dict[str, list[Any]] = {}
    for row in result.all():
        out.setdefault(str(row.source), []).append(row)
    return out


async def update_broadcast(
    *, session: AsyncSession, broadcast_id: int, text: str, send_at: datetime, recipient_count: int
) -> None:
    await session.execute(
        update(Broadcast)
        .where(col(Broadcast.id) == broadcast_id)
        .values(text=text, send_at=send_at, recipient_count=recipient_count)
    )


async def pending_keys(*, session: AsyncSession, source: str) -> list[str]:
    result = await session.execute(
        select(Delivery.dedupe_key).where(
            col(Delivery.source) == source, col(Delivery.state) == DeliveryState.PENDING
        )
    )
    return [str(k) for k in result.scalars()]


async def create_broadcast(
    *,
    session: AsyncSession,
    created_by_id: int | None,
    audience: dict[str, Any],
    text: str,
    mode: str,
    send_at: datetime,
    urgent: bool,
    recipient_count: int,
) -> Broadcast:
    """Insert an announcement and flush it so its deliveries can name its id."""
    broadcast = Broadcast(
        created_by_id=created_by_id,
        audience=audience,
        text=text,
        mode=mode,
        send_at=send_at,
        urgent=urgent,
        recipient_count=recipient_count,
    )
    session.add(broadcast)
    await session.flush()
    return broadcast
