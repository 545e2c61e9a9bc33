"""Dropout-signal queries: overdue assignments, silent line managers, staff, and risk cases.

Pulse signals (named pulses only) are in storage/queries/pulses.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Assignment,
    AssignmentProgress,
    Cohort,
    CohortClass,
    CohortStatus,
    Enrolment,
    EnrolmentStatus,
    Nudge,
    NudgeAnswer,
    Person,
    PersonIdentity,
    RiskCase,
)
from storage.queries.slack_ids import slack_on

IN_PROGRAMME = (EnrolmentStatus.ACTIVE, EnrolmentStatus.ADMITTED)


async def _rows(session: AsyncSession, stmt: Any) -> list[Any]:
    return list((await session.exec(stmt)).all())


async def running_cohorts(*, session: AsyncSession) -> list[Any]:
    """(id, name) of cohorts not completed."""
    stmt: Any = (
        sa_select(col(Cohort.id).label("id"), col(Cohort.name).label("name"))
        .where(col(Cohort.status) != CohortStatus.COMPLETED)
        .order_by(col(Cohort.start_date), col(Cohort.id))
    )
    return await _rows(session, stmt)


async def participants(*, session: AsyncSession, cohort_ids: Sequence[int]) -> list[Any]:
    """(person_id, cohort_id, name, class_name) of people in the programme now."""
    stmt: Any = (
        sa_select(
            col(Enrolment.person_id).label("person_id"),
            col(Enrolment.cohort_id).label("cohort_id"),
            col(Person.name).label("name"),
            col(CohortClass.name).label("class_name"),
        )
        .join(Person, col(Person.id) == col(Enrolment.person_id))
        .outerjoin(CohortClass, col(CohortClass.id) == col(Enrolment.class_id))
        .where(
            col(Enrolment.cohort_id).in_(list(cohort_ids)),
            col(Enrolment.status).in_(IN_PROGRAMME),
        )
    )
    return await _rows(session, stmt)


async def overdue_assignments(
    *, session: AsyncSession, cohort_ids: Sequence[int], since: datetime, now: datetime
) -> list[Any]:
    """(person_id, cohort_id, n) of assignments due in [since, now) without done_at."""
    stmt: Any = (
        sa_select(
            col(Enrolment.person_id).label("person_id"),
            col(Enrolment.cohort_id).label("cohort_id"),
            func.count().label("n"),
        )
        .join(Assignment, col(Assignment.cohort_id) == col(Enrolment.cohort_id))
        .outerjoin(
            AssignmentProgress,
            and_(
                col(AssignmentProgress.assignment_id) == col(Assignment.id),
                col(AssignmentProgress.person_id) == col(Enrolment.person_id),
            ),
        )
        .where(
            col(Enrolment.cohort_id).in_(list(cohort_ids)),
            col(Enrolment.status).in_(IN_PROGRAMME),
            col(Assignment.due_at) < now,
            col(Assignment.due_at) >= since,
            col(AssignmentProgress.done_at).is_(None),
        )
        .group_by(col(Enrolment.person_id), col(Enrolment.cohort_id))
    )
    return await _rows(session, stmt)


async def silent_line_managers(*, session: AsyncSession, cohort_ids: Sequence[int]) -> list[Any]:
    """(participant_id, cohort_id, n) of nudges escalated, still unanswered and not handled."""
    stmt: Any = (
        sa_select(
            col(NudgeAnswer.participant_id).label("person_id"),
            col(Nudge.cohort_id).label("cohort_id"),
            func.count().label("n"),
        )
        .join(Nudge, col(Nudge.id) == col(NudgeAnswer.nudge_id))
        .where(
            col(Nudge.cohort_id).in_(list(cohort_ids)),
            col(NudgeAnswer.answer).is_(None),
            col(NudgeAnswer.escalated_at).is_not(None),
            col(NudgeAnswer.handled_at).is_(None),
        )
        .group_by(col(NudgeAnswer.participant_id), col(Nudge.cohort_id))
    )
    return await _rows(session, stmt)


async def staff_recipients(
    *, session: AsyncSession, staff_emails: Iterable[str]
) -> list[tuple[Person, str]]:
    """(staff member, their Slack id) of staff with a Slack account: flagged in the data or
    listed in COHORTBOT_STAFF_EMAILS."""
    emails = [e.lower() for e in staff_emails]
    result = await session.execute(
        select(Person, col(PersonIdentity.user_id))
        .join(PersonIdentity, slack_on(PersonIdentity, col(Person.id)))
        .where(or_(col(Person.is_staff), col(Person.email).in_(emails)))
        .order_by(col(Person.id))
    )
    return [(person, user_id) for person, user_id in result.all()]


async def save_case(
    *, session: AsyncSession, person_id: int, cohort_id: int, week: str, reasons: list[str]
) -> int:
    """Write this week's case for a person (updating its reasons); return its id."""
    insert = (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(
        RiskCase
    ).values(person_id=person_id, cohort_id=cohort_id, week=week, reasons=reasons)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["person_id", "cohort_id", "week"], set_={"reasons": reasons}
        )
    )
    rows = await _rows(
        session,
        select(col(RiskCase.id)).where(
            col(RiskCase.person_id) == person_id,
            col(RiskCase.cohort_id) == cohort_id,
            col(RiskCase.week) == week,
        ),
    )
    return int(rows[0])


async def get_case(*, session: AsyncSession, case_id: int) -> RiskCase | None:
    return await session.get(RiskCase, case_id)


async def set_followed_up(
    *, session: AsyncSession, case_id: int, staff_id: int, note: str | None, at: datetime
) -> None:
    await session.execute(
        update(RiskCase)
        .where(col(RiskCase.id) == case_id)
        .values(followed_up_at=at, followed_up_by_id=staff_id, note=note)
    )


async def open_cases(*, session: AsyncSession, week: str) -> list[RiskCase]:
    return await _rows(
        session,
        select(RiskCase)
        .where(col(RiskCase.week) == week, col(RiskCase.followed_up_at).is_(None))
        .order_by(col(RiskCase.id)),
    )


async def latest_case_week(*, session: AsyncSession) -> str | None:
    """The newest ISO week with risk cases ("2026-W10" sorts as text), or None."""
    rows = await _rows(session, sa_select(func.max(col(RiskCase.week))))
    return rows[0][0] if rows and rows[0][0] else None


async def open_case_rows(*, session: AsyncSession, week: str) -> list[Any]:
    """The week's cases not followed up, as `case_rows` gives them (by cohort, class, name)."""
    return [r for r in await case_rows(session=session, week=week) if r.followed_up_at is None]


async def case_rows(*, session: AsyncSession, week: str) -> list[Any]:
    """Every case of a week: (id, person_id, name, cohort_name, class_name, reasons,
    followed_up_at, followed_up_by), open ones first, then by cohort, class and name."""
    staff = aliased(Person)
    stmt: Any = (
        sa_select(
            col(RiskCase.id).label("id"),
            col(RiskCase.person_id).label("person_id"),
            col(Person.name).label("name"),
            col(Cohort.name).label("cohort_name"),
            col(CohortClass.name).label("class_name"),
            col(RiskCase.reasons).label("reasons"),
            col(RiskCase.followed_up_at).label("followed_up_at"),
            col(staff.name).label("followed_up_by"),
        )
        .join(Person, col(Person.id) == col(RiskCase.person_id))
        .join(Cohort, col(Cohort.id) == col(RiskCase.cohort_id))
        .outerjoin(staff, col(staff.id) == col(RiskCase.followed_up_by_id))
        .outerjoin(
            Enrolment,
            and_(
                col(Enrolment.person_id) == col(RiskCase.person_id),
                col(Enrolment.cohort_id) == col(RiskCase.cohort_id),
            ),
        )
        .outerjoin(CohortClass, col(CohortClass.id) == col(Enrolment.class_id))
        .where(col(RiskCase.week) == week)
        .order_by(
            col(RiskCase.followed_up_at).is_not(None),
            col(Cohort.name),
            col(CohortClass.name),
            col(Person.name),
            col(RiskCase.id),
        )
    )
    return await _rows(session, stmt)


async def case_weeks(*, session: AsyncSession, case_id: int) -> str | None:
    """The week of a case, or None if there is no such case."""
    rows = await _rows(session, select(col(RiskCase.week)).where(col(RiskCase.id) == case_id))
    return str(rows[0]) if rows else None
