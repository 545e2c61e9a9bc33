"""Assignment queries: assignments, who takes part, progress, and the planner's outbox tidy-up."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Assignment,
    AssignmentProgress,
    Cohort,
    CohortClass,
    Delivery,
    DeliveryState,
    Enrolment,
    EnrolmentStatus,
    Person,
)
from storage.queries import insert_for
from storage.queries.slack_ids import slack_active, slack_alias, slack_on, slack_user_id
from storage.types import utcnow

# Enrolments that count as taking part now (the same rule as the "participant" role).
TAKING_PART = (EnrolmentStatus.ACTIVE, EnrolmentStatus.ADMITTED)


@dataclass(frozen=True)
class ParticipantRow:
    """A person enrolled in a cohort, with what the planner and status views need."""

    person_id: int
    name: str
    email: str
    slack_user_id: str | None
    slack_active: bool
    locale: str
    timezone: str | None
    class_id: int | None
    status: str

    @property
    def taking_part(self) -> bool:
        return self.status in TAKING_PART


async def get_cohort(*, session: AsyncSession, cohort_id: int) -> Cohort | None:
    return await session.get(Cohort, cohort_id)


async def get_cohort_by_key(*, session: AsyncSession, key: str) -> Cohort | None:
    result = await session.execute(select(Cohort).where(col(Cohort.key) == key))
    return result.scalar_one_or_none()


async def list_current_cohorts(*, session: AsyncSession) -> list[Cohort]:
    """Cohorts not completed yet, newest first."""
    result = await session.execute(
        select(Cohort).where(col(Cohort.status) != "completed").order_by(col(Cohort.id).desc())
    )
    return list(result.scalars())


async def list_classes(*, session: AsyncSession, cohort_id: int) -> list[CohortClass]:
    result = await session.execute(
        select(CohortClass)
        .where(col(CohortClass.cohort_id) == cohort_id)
        .order_by(col(CohortClass.key))
    )
    return list(result.scalars())


async def find_class(
    *, session: AsyncSession, ref: str, cohort_id: int | None = None
) -> CohortClass | None:
    """A class by key, name or city (case-insensitive), newest cohort first."""
    needle = ref.strip().lower()
    stmt = select(CohortClass).order_by(col(CohortClass.cohort_id).desc())
    if cohort_id is not None:
        stmt = stmt.where(col(CohortClass.cohort_id) == cohort_id)
    row: CohortClass
    for row in (await session.execute(stmt)).scalars():
        if needle in (row.key.lower(), row.name.lower(), row.city.lower()):
            return row
    return None


async def get_assignment(*, session: AsyncSession, assignment_id: int) -> Assignment | None:
    return await session.get(Assignment, assignment_id)


async def list_assignments(*, session: AsyncSession, cohort_id: int) -> list[Assignment]:
    result = await session.execute(
        select(Assignment)
        .where(col(Assignment.cohort_id) == cohort_id)
        .order_by(col(Assignment.due_at), col(Assignment.id))
    )
    return list(result.scalars())


async def list_participants(
    *, session: AsyncSession, cohort_id: int, include_withdrawn: bool = True
) -> list[ParticipantRow]:
    """Everyone enrolled in the cohort who is or was taking part (not applicants or alumni)."""
    statuses = [*TAKING_PART, EnrolmentStatus.COMPLETED]
    if include_withdrawn:
        statuses.append(EnrolmentStatus.WITHDRAWN)
    slack = slack_alias()
    result = await session.execute(
        sa_select(
            col(Person.id),
            col(Person.name),
            col(Person.email),
            slack_user_id(slack),
            slack_active(slack),
            col(Person.locale),
            col(Person.timezone),
            col(Enrolment.class_id),
            col(Enrolment.status),
        )
        .join(Enrolment, col(Enrolment.person_id) == col(Person.id))
        .outerjoin(slack, slack_on(slack, col(Person.id)))
        .where(col(Enrolment.cohort_id) == cohort_id, col(Enrolment.status).in_(statuses))
        .order_by(col(Person.name), col(Person.id))
    )
    return [ParticipantRow(*row) for row in result.all()]


async def cohorts_of_person(*, session: AsyncSession, person_id: int) -> list[int]:
    """The cohorts where the person is taking part now."""
    result = await session.execute(
        select(col(Enrolment.cohort_id)).where(
            col(Enrolment.person_id) == person_id,
            col(Enrolment.status).in_(TAKING_PART),
        )
    )
    return [int(r) for r in result.scalars()]


async def enrolment_status(*, session: AsyncSession, person_id: int, cohort_id: int) -> str | None:
    result = await session.execute(
        select(col(Enrolment.status)).where(
            col(Enrolment.person_id) == person_id, col(Enrolment.cohort_id) == cohort_id
        )
    )
    return result.scalar_one_or_none()


async def list_progress(
    *, session: AsyncSession, assignment_ids: Collection[int]
) -> list[AssignmentProgress]:
    if not assignment_ids:
        return []
    result = await session.execute(
        select(AssignmentProgress).where(
            col(AssignmentProgress.assignment_id).in_(list(assignment_ids))
        )
    )
    return list(result.scalars())


async def get_progress(
    *, session: AsyncSession, assignment_id: int, person_id: int
) -> AssignmentProgress | None:
    result = await session.execute(
        select(AssignmentProgress).where(
            col(AssignmentProgress.assignment_id) == assignment_id,
            col(AssignmentProgress.person_id) == person_id,
        )
    )
    return result.scalar_one_or_none()


async def ensure_progress(
    *, session: AsyncSession, assignment_id: int, person_id: int, now: datetime
) -> None:
    """Create the person's progress row if it is missing (safe under concurrent clicks)."""
    stmt = (
        insert_for(session)(AssignmentProgress)
        .values(assignment_id=assignment_id, person_id=person_id, updated_at=now)
        .on_conflict_do_nothing(index_elements=["assignment_id", "person_id"])
    )
    await session.execute(stmt)


async def set_done_once(
    *, session: AsyncSession, assignment_id: int, person_id: int, now: datetime
) -> bool:
    """Set done_at unless it is set already. True if this call marked it done."""
    await ensure_progress(
        session=session, assignment_id=assignment_id, person_id=person_id, now=now
    )
    result = await session.execute(
        update(AssignmentProgress)
        .where(
            col(AssignmentProgress.assignment_id) == assignment_id,
            col(AssignmentProgress.person_id) == person_id,
            col(AssignmentProgress.done_at).is_(None),
        )
        .values(done_at=now, updated_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


async def set_reflection(
    *,
    session: AsyncSession,
    assignment_id: int,
    person_id: int,
    text: str,
    shareable: bool,
    now: datetime,
) -> None:
    await ensure_progress(
        session=session, assignment_id=assignment_id, person_id=person_id, now=now
    )
    await session.execute(
        update(AssignmentProgress)
        .where(
            col(AssignmentProgress.assignment_id) == assignment_id,
            col(AssignmentProgress.person_id) == person_id,
        )
        .values(reflection=text, reflection_shareable=shareable, updated_at=now)
    )


async def pending_dedupe_keys(*, session: AsyncSession, source: str) -> list[str]:
    """The dedupe keys of the still-pending deliveries from `source`."""
    result = await session.execute(
        select(col(Delivery.dedupe_key)).where(
            col(Delivery.source) == source,
            col(Delivery.state) == DeliveryState.PENDING,
        )
    )
    return list(result.scalars())


async def cancel_by_keys(
    *,
    session: AsyncSession,
    dedupe_keys: Collection[str],
    reason: str,
    now: datetime | None = None,
) -> int:
    """Cancel the pending deliveries with these dedupe keys (`now` stamps updated_at)."""
    if not dedupe_keys:
        return 0
    result = await session.execute(
        update(Delivery)
        .where(
            col(Delivery.dedupe_key).in_(list(dedupe_keys)),
            col(Delivery.state) == DeliveryState.PENDING,
        )
        .values(state=DeliveryState.CANCELLED, error=reason[:500], updated_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def delivery_states(
    *, session: AsyncSession, dedupe_keys: Collection[str]
) -> dict[str, tuple[str, datetime | None]]:
    """dedupe key -> (state, sent_at) for the given keys that exist."""
    if not dedupe_keys:
        return {}
    result = await session.execute(
        select(col(Delivery.dedupe_key), col(Delivery.state), col(Delivery.sent_at)).where(
            col(Delivery.dedupe_key).in_(list(dedupe_keys))
        )
    )
    return {key: (state, sent_at) for key, state, sent_at in result.all()}
