"""Aggregate queries for the annual status report: counts are grouped in SQL, not in Python.

Every function returns plain tuples (named rows) so the report never loads thousands of ORM
objects; the largest table (pulse answers) is only ever read as GROUP BY counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, distinct, func, literal, or_
from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Cohort,
    CohortClass,
    Enrolment,
    EnrolmentStatus,
    MatchCheckin,
    MatchGroup,
    MatchRound,
    Network,
    Nudge,
    NudgeAnswer,
    Person,
    Programme,
    ProgrammeSession,
    Pulse,
    PulseAnswer,
    PulseParticipation,
    PulseQuestion,
)

# Started: in the programme at some point. A withdrawal before the start is not a dropout.
STARTED = or_(
    col(Enrolment.started_on).is_not(None),
    col(Enrolment.status).in_([EnrolmentStatus.ACTIVE, EnrolmentStatus.COMPLETED]),
)
ADMITTED = or_(
    col(Enrolment.admitted_on).is_not(None),
    col(Enrolment.status).in_(
        [EnrolmentStatus.ADMITTED, EnrolmentStatus.ACTIVE, EnrolmentStatus.COMPLETED]
    ),
    STARTED,
)

BACKGROUND_COLUMNS = ("position", "gender", "service_area", "education", "county", "municipality")


async def _rows(session: AsyncSession, stmt: Any) -> list[Any]:
    return list((await session.exec(stmt)).all())


def _cols(model: Any, *names: str) -> list[Any]:
    """`model.name` labelled `name`, for each name: the report's rows are read by attribute."""
    return [col(getattr(model, name)).label(name) for name in names]


def _count_if(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


async def list_report_cohorts(
    *, session: AsyncSession, year: int, last_year: int | None = None
) -> list[Any]:
    """Cohorts whose period overlaps the years (a cohort without dates counts in every year)."""
    first, last = date(year, 1, 1), date(last_year or year, 12, 31)
    stmt: Any = (
        sa_select(
            *_cols(Cohort, "id", "key", "name", "start_date", "end_date"),
            col(Programme.id).label("programme_id"),
            col(Programme.key).label("programme_key"),
            col(Programme.name).label("programme_name"),
        )
        .join(Programme, col(Programme.id) == col(Cohort.programme_id))
        .where(
            or_(col(Cohort.start_date).is_(None), col(Cohort.start_date) <= last),
            or_(col(Cohort.end_date).is_(None), col(Cohort.end_date) >= first),
        )
        .order_by(col(Programme.name), col(Cohort.start_date), col(Cohort.key))
    )
    return await _rows(session, stmt)


async def list_classes(*, session: AsyncSession, cohort_ids: Sequence[int]) -> list[Any]:
    """(id, cohort_id, key, name) of the cohorts' classes."""
    stmt: Any = (
        sa_select(
            *_cols(CohortClass, "id", "cohort_id", "key", "name"),
        )
        .where(col(CohortClass.cohort_id).in_(list(cohort_ids)))
        .order_by(col(CohortClass.cohort_id), col(CohortClass.name))
    )
    return await _rows(session, stmt)


async def enrolment_counts(*, session: AsyncSession, cohort_ids: Sequence[int]) -> list[Any]:
    """Per cohort: applicants, admitted, started, completed, withdrawn, dropouts."""
    withdrawn = col(Enrolment.status) == EnrolmentStatus.WITHDRAWN
    stmt: Any = (
        sa_select(
            col(Enrolment.cohort_id).label("cohort_id"),
            func.count().label("applicants"),
            _count_if(ADMITTED).label("admitted"),
            _count_if(STARTED).label("started"),
            _count_if(col(Enrolment.status) == EnrolmentStatus.COMPLETED).label("completed"),
            _count_if(withdrawn).label("withdrawn"),
            _count_if(and_(withdrawn, STARTED)).label("dropouts"),
        )
        .where(col(Enrolment.cohort_id).in_(list(cohort_ids)))
        .group_by(col(Enrolment.cohort_id))
    )
    return await _rows(session, stmt)


async def enrolment_status_counts(*, session: AsyncSession, cohort_ids: Sequence[int]) -> list[Any]:
    """(cohort_id, status, n): enrolments per cohort and current status."""
    stmt: Any = (
        sa_select(
            *_cols(Enrolment, "cohort_id", "status"),
            func.count().label("n"),
        )
        .where(col(Enrolment.cohort_id).in_(list(cohort_ids)))
        .group_by(col(Enrolment.cohort_id), col(Enrolment.status))
    )
    return await _rows(session, stmt)


async def list_withdrawals(*, session: AsyncSession, cohort_ids: Sequence[int]) -> list[Any]:
    """(cohort_id, withdrawn_on, started, reason) of withdrawn enrolments; few rows per cohort."""
    stmt: Any = sa_select(
        *_cols(Enrolment, "cohort_id", "withdrawn_on"),
        case((STARTED, literal(True)), else_=literal(False)).label("started"),
        col(Enrolment.withdrawal_reason).label("reason"),
    ).where(
        col(Enrolment.cohort_id).in_(list(cohort_ids)),
        col(Enrolment.status) == EnrolmentStatus.WITHDRAWN,
    )
    return await _rows(session, stmt)


async def list_session_starts(*, session: AsyncSession, cohort_ids: Sequence[int]) -> list[Any]:
    """(cohort_id, number, starts_at) of every in-person session, in order."""
    stmt: Any = (
        sa_select(
            *_cols(ProgrammeSession, "cohort_id", "number", "starts_at"),
        )
        .where(col(ProgrammeSession.cohort_id).in_(list(cohort_ids)))
        .order_by(col(ProgrammeSession.cohort_id), col(ProgrammeSession.starts_at))
    )
    return await _rows(session, stmt)


async def background_counts(
    *, session: AsyncSession, cohort_ids: Sequence[int], column: str
) -> list[Any]:
    """(cohort_id, value, n) of started participants by one Person column."""
    if column not in BACKGROUND_COLUMNS:
        raise ValueError(f"not a background column: {column}")
    attr = getattr(Person, column)
    stmt: Any = (
        sa_select(
            col(Enrolment.cohort_id).label("cohort_id"),
            col(attr).label("value"),
            func.count().label("n"),
        )
        .join(Person, col(Person.id) == col(Enrolment.person_id))
        .where(col(Enrolment.cohort_id).in_(list(cohort_ids)), STARTED)
        .group_by(col(Enrolment.cohort_id), col(attr))
    )
    return await _rows(session, stmt)


async def municipalities_per_county(
    *, session: AsyncSession, cohort_ids: Sequence[int]
) -> list[Any]:
    """(county, municipalities) distinct municipalities of started participants, all cohorts."""
    stmt: Any = (
        sa_select(
            col(Person.county).label("county"),
            func.count(distinct(col(Person.municipality))).label("municipalities"),
        )
        .join(Enrolment, col(Person.id) == col(Enrolment.person_id))
        .where(col(Enrolment.cohort_id).in_(list(cohort_ids)), STARTED)
        .group_by(col(Person.county))
    )
    return await _rows(session, stmt)


async def credit_figures(*, session: AsyncSession, cohort_ids: Sequence[int]) -> list[Any]:
    """Per cohort: started, completed, with credits, total credits, completed with full credits."""
    credits = func.coalesce(col(Enrolment.credits), 0.0)
    stmt: Any = (
        sa_select(
            col(Enrolment.cohort_id).label("cohort_id"),
            _count_if(STARTED).label("started"),
            _count_if(col(Enrolment.status) == EnrolmentStatus.COMPLETED).label("completed"),
            _count_if(col(Enrolment.credits) > 0).label("with_credits"),
            func.sum(credits).label("total_credits"),
        )
        .where(col(Enrolment.cohort_id).in_(list(cohort_ids)))
        .group_by(col(Enrolment.cohort_id))
    )
    return await _rows(session, stmt)


async def credit_distribution(*, session: AsyncSession, cohort_ids: Sequence[int]) -> list[Any]:
    """(cohort_id, credits, n) for enrolments with credits recorded."""
    stmt: Any = (
        sa_select(
            *_cols(Enrolment, "cohort_id", "credits"),
            func.count().label("n"),
        )
        .where(col(Enrolment.cohort_id).in_(list(cohort_ids)), col(Enrolment.credits).is_not(None))
        .group_by(col(Enrolment.cohort_id), col(Enrolment.credits))
    )
    return await _rows(session, stmt)


# --- pulses ---------------------------------------------------------------------------------


async def list_report_pulses(
    *,
    session: AsyncSession,
    cohort_ids: Sequence[int],
    opens_from: datetime,
    opens_before: datetime,
) -> list[Any]:
    """Pulses of the cohorts (and cohort-less alumni pulses) that opened in the period."""
    stmt: Any = (
        sa_select(
            *_cols(
                Pulse,
                "id",
                "cohort_id",
                "key",
                "title",
                "anonymous",
                "audience",
                "opens_at",
                "closes_at",
            ),
        )
        .where(
            or_(col(Pulse.cohort_id).in_(list(cohort_ids)), col(Pulse.cohort_id).is_(None)),
            col(Pulse.opens_at) >= opens_from,
            col(Pulse.opens_at) < opens_before,
        )
        .order_by(col(Pulse.cohort_id), col(Pulse.opens_at), col(Pulse.id))
    )
    return await _rows(session, stmt)


async def list_questions(*, session: AsyncSession, pulse_ids: Sequence[int]) -> list[Any]:
    """(id, pulse_id, position, kind, text, choices, proposal_id) of the pulses' questions."""
    stmt: Any = (
        sa_select(
            *_cols(
                PulseQuestion,
                "id",
                "pulse_id",
                "position",
                "kind",
                "text",
                "choices",
                "proposal_id",
            ),
        )
        .where(col(PulseQuestion.pulse_id).in_(list(pulse_ids)))
        .order_by(col(PulseQuestion.pulse_id), col(PulseQuestion.position))
    )
    return await _rows(session, stmt)


async def participation_counts(*, session: AsyncSession, pulse_ids: Sequence[int]) -> list[Any]:
    """(pulse_id, class_id, invited, answered): the class is the person's in the pulse's cohort."""
    stmt: Any = (
        sa_select(
            col(PulseParticipation.pulse_id).label("pulse_id"),
            col(Enrolment.class_id).label("class_id"),
            func.count().label("invited"),
            _count_if(col(PulseParticipation.answered)).label("answered"),
        )
        .join(Pulse, col(Pulse.id) == col(PulseParticipation.pulse_id))
        .outerjoin(
            Enrolment,
            and_(
                col(Enrolment.person_id) == col(PulseParticipation.person_id),
                col(Enrolment.cohort_id) == col(Pulse.cohort_id),
            ),
        )
        .where(col(PulseParticipation.pulse_id).in_(list(pulse_ids)))
        .group_by(col(PulseParticipation.pulse_id), col(Enrolment.class_id))
    )
    return await _rows(session, stmt)


async def answer_counts(*, session: AsyncSession, pulse_ids: Sequence[int]) -> list[Any]:
    """(question_id, class_id, value, n) of answers; value NULL means free text.

    One pass over the answers table for numbers and free text alike: it is the biggest table.
    """
    stmt: Any = (
        sa_select(
            *_cols(PulseAnswer, "question_id", "class_id", "value"),
            func.count().label("n"),
        )
        .where(
            col(PulseAnswer.pulse_id).in_(list(pulse_ids)),
            or_(col(PulseAnswer.value).is_not(None), col(PulseAnswer.text).is_not(None)),
        )
        .group_by(col(PulseAnswer.question_id), col(PulseAnswer.class_id), col(PulseAnswer.value))
    )
    return await _rows(session, stmt)


# --- line managers and networks --------------------------------------------------------------


def _hours_between(start: Any, end: Any, dialect: str) -> Any:
    """Hours from start to end, computed by the database (no row-by-row datetime parsing)."""
    if dialect == "postgresql":
        return func.extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


async def nudge_figures_rows(*, session: AsyncSession, cohort_ids: Sequence[int]) -> list[Any]:
    """Per nudge: (nudge_id, cohort_id, key, title, send_at, nudged, answered, done, escalated)."""
    stmt: Any = (
        sa_select(
            col(Nudge.id).label("nudge_id"),
            *_cols(Nudge, "cohort_id", "key", "title", "send_at"),
            func.count().label("nudged"),
            _count_if(col(NudgeAnswer.answer).is_not(None)).label("answered"),
            _count_if(col(NudgeAnswer.answer) == "done").label("done"),
            _count_if(col(NudgeAnswer.escalated_at).is_not(None)).label("escalated"),
        )
        .join(NudgeAnswer, col(NudgeAnswer.nudge_id) == col(Nudge.id))
        .where(col(Nudge.cohort_id).in_(list(cohort_ids)))
        .group_by(
            col(Nudge.id),
            col(Nudge.cohort_id),
            col(Nudge.key),
            col(Nudge.title),
            col(Nudge.send_at),
        )
        .order_by(col(Nudge.cohort_id), col(Nudge.send_at), col(Nudge.id))
    )
    return await _rows(session, stmt)


async def nudge_answer_hours(*, session: AsyncSession, cohort_ids: Sequence[int]) -> list[Any]:
    """(nudge_id, hours) from sending to answering, for every answered nudge of the cohorts."""
    dialect = session.get_bind().dialect.name
    start = func.coalesce(col(NudgeAnswer.sent_at), col(Nudge.send_at))
    stmt: Any = (
        sa_select(
            col(NudgeAnswer.nudge_id).label("nudge_id"),
            _hours_between(start, col(NudgeAnswer.answered_at), dialect).label("hours"),
        )
        .join(Nudge, col(Nudge.id) == col(NudgeAnswer.nudge_id))
        .where(
            col(Nudge.cohort_id).in_(list(cohort_ids)), col(NudgeAnswer.answered_at).is_not(None)
        )
    )
    return await _rows(session, stmt)


async def checkin_counts(
    *, session: AsyncSession, cohort_ids: Sequence[int], start: datetime, end: datetime
) -> list[Any]:
    """(network_id, name, kind, cohort_id, rounds, checkins, met) of "did you meet?" answers."""
    stmt: Any = (
        sa_select(
            col(Network.id).label("network_id"),
            *_cols(Network, "name", "kind", "cohort_id"),
            func.count(distinct(col(MatchRound.id))).label("rounds"),
            func.count().label("checkins"),
            _count_if(col(MatchCheckin.answer) == "yes").label("met"),
        )
        .join(MatchGroup, col(MatchGroup.id) == col(MatchCheckin.group_id))
        .join(MatchRound, col(MatchRound.id) == col(MatchGroup.round_id))
        .join(Network, col(Network.id) == col(MatchRound.network_id))
        .where(
            or_(col(Network.cohort_id).in_(list(cohort_ids)), col(Network.cohort_id).is_(None)),
            col(MatchCheckin.answered_at) >= start,
            col(MatchCheckin.answered_at) < end,
        )
        .group_by(col(Network.id), col(Network.name), col(Network.kind), col(Network.cohort_id))
        .order_by(col(Network.name))
    )
    return await _rows(session, stmt)


async def list_report_enrolments(*, session: AsyncSession, cohort_ids: Sequence[int]) -> list[Any]:
    """One row per enrolment: its recorded status, dates and results, and the background columns.

    The year rule (bot.report.rules) needs every date of a row, so rows are read as plain tuples
    of the few columns it uses; a year's report reads a few thousand at most.
    """
    stmt: Any = (
        sa_select(
            col(Enrolment.cohort_id).label("cohort_id"),
            col(Cohort.start_date).label("cohort_start"),
            col(Cohort.end_date).label("cohort_end"),
            *_cols(
                Enrolment,
                "class_id",
                "status",
                "applied_on",
                "admitted_on",
                "started_on",
                "completed_on",
                "withdrawn_on",
                "not_started_on",
            ),
            col(Enrolment.withdrawal_reason).label("reason"),
            *_cols(Enrolment, "credits", "exam_result", "result_on"),
            *(col(getattr(Person, c)).label(c) for c in (*BACKGROUND_COLUMNS, "workplace")),
        )
        .join(Cohort, col(Cohort.id) == col(Enrolment.cohort_id))
        .join(Person, col(Person.id) == col(Enrolment.person_id))
        .where(col(Enrolment.cohort_id).in_(list(cohort_ids)))
    )
    return await _rows(session, stmt)


async def list_nudge_sends(*, session: AsyncSession, cohort_ids: Sequence[int]) -> list[Any]:
    """Per nudge and participant: the nudge, its manager, when it went out and the answer.

    `sent_at` is set only once the message really went out: a nudge not yet due is not "asked".
    """
    stmt: Any = (
        sa_select(
            col(Nudge.id).label("nudge_id"),
            *_cols(Nudge, "cohort_id", "key", "title", "send_at"),
            *_cols(NudgeAnswer, "manager_id", "sent_at", "answer", "answered_at", "escalated_at"),
        )
        .join(NudgeAnswer, col(NudgeAnswer.nudge_id) == col(Nudge.id), isouter=True)
        .where(col(Nudge.cohort_id).in_(list(cohort_ids)))
        .order_by(col(Nudge.cohort_id), col(Nudge.send_at), col(Nudge.id))
    )
    return await _rows(session, stmt)


async def list_pulse_openings(*, session: AsyncSession, pulse_ids: Sequence[int]) -> list[Any]:
    """(pulse_id, invited) for pulses that have opened: someone was invited."""
    stmt: Any = (
        sa_select(
            col(PulseParticipation.pulse_id).label("pulse_id"),
            func.count().label("invited"),
        )
        .where(col(PulseParticipation.pulse_id).in_(list(pulse_ids)))
        .group_by(col(PulseParticipation.pulse_id))
    )
    return await _rows(session, stmt)
