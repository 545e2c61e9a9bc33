"""Announcement audiences and delivery reports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Broadcast,
    Cohort,
    CohortClass,
    Delivery,
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
