"""Programme plan queries: look rows up by their plan keys, save and remove them."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlmodel import SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Assignment,
    Cohort,
    CohortClass,
    Nudge,
    Programme,
    ProgrammeSession,
    Pulse,
    PulseAnswer,
    PulseQuestion,
)

RowT = TypeVar("RowT", bound=SQLModel)


async def get_programme_by_key(*, session: AsyncSession, key: str) -> Programme | None:
    result = await session.execute(select(Programme).where(col(Programme.key) == key))
    return result.scalar_one_or_none()


async def get_cohort_by_key(*, session: AsyncSession, key: str) -> Cohort | None:
    result = await session.execute(select(Cohort).where(col(Cohort.key) == key))
    return result.scalar_one_or_none()


async def find_cohort(*, session: AsyncSession, ref: str) -> Cohort | None:
    """A cohort by key, or by numeric id when no cohort has that key."""
    cohort = await get_cohort_by_key(session=session, key=ref)
    if cohort is None and ref.strip().isdigit():
        cohort = await session.get(Cohort, int(ref))
    return cohort


async def list_cohort_keys(*, session: AsyncSession) -> list[str]:
    result = await session.execute(select(col(Cohort.key)).order_by(col(Cohort.key)))
    return list(result.scalars().all())


async def list_classes(*, session: AsyncSession, cohort_id: int) -> list[CohortClass]:
    result = await session.execute(
        select(CohortClass)
        .where(col(CohortClass.cohort_id) == cohort_id)
        .order_by(col(CohortClass.key))
    )
    return list(result.scalars().all())


async def list_sessions(*, session: AsyncSession, cohort_id: int) -> list[ProgrammeSession]:
    result = await session.execute(
        select(ProgrammeSession)
        .where(col(ProgrammeSession.cohort_id) == cohort_id)
        .order_by(col(ProgrammeSession.number))
    )
    return list(result.scalars().all())


async def list_assignments(*, session: AsyncSession, cohort_id: int) -> list[Assignment]:
    result = await session.execute(
        select(Assignment)
        .where(col(Assignment.cohort_id) == cohort_id)
        .order_by(col(Assignment.key))
    )
    return list(result.scalars().all())


async def list_nudges(*, session: AsyncSession, cohort_id: int) -> list[Nudge]:
    result = await session.execute(
        select(Nudge).where(col(Nudge.cohort_id) == cohort_id).order_by(col(Nudge.key))
    )
    return list(result.scalars().all())


async def list_pulses(*, session: AsyncSession, cohort_id: int) -> list[Pulse]:
    result = await session.execute(
        select(Pulse).where(col(Pulse.cohort_id) == cohort_id).order_by(col(Pulse.key))
    )
    return list(result.scalars().all())


async def list_pulse_questions(
    *, session: AsyncSession, pulse_ids: Iterable[int]
) -> list[PulseQuestion]:
    ids = list(pulse_ids)
    if not ids:
        return []
    result = await session.execute(
        select(PulseQuestion)
        .where(col(PulseQuestion.pulse_id).in_(ids))
        .order_by(col(PulseQuestion.pulse_id), col(PulseQuestion.position))
    )
    return list(result.scalars().all())


async def count_question_answers(*, session: AsyncSession, question_id: int) -> int:
    result = await session.execute(
        select(func.count())
        .select_from(PulseAnswer)
        .where(col(PulseAnswer.question_id) == question_id)
    )
    return int(result.scalar_one())


_DRY_RUN = "cohortbot.dry_run"  # session.info: the stand-in ids of a dry run's new rows


def start_dry_run(session: AsyncSession) -> None:
    """Make `save` and `delete` on this session keep everything in memory: nothing is added,
    flushed or deleted (and autoflush is off), new rows get negative stand-in ids. The caller
    rolls back afterwards. The session then only ever reads: no write transaction at all."""
    session.sync_session.autoflush = False
    session.info[_DRY_RUN] = itertools.count(-1, -1)


async def save(*, session: AsyncSession, row: RowT) -> RowT:
    """Insert or update one row in the caller's transaction; new rows get their id."""
    dry = session.info.get(_DRY_RUN)
    if dry is not None:
        if getattr(row, "id", None) is None:
            setattr(row, "id", next(dry))  # noqa: B010 (not every row type declares id)
        return row
    session.add(row)
    await session.flush()
    return row


async def delete(*, session: AsyncSession, row: SQLModel) -> None:
    """Delete one row in the caller's transaction."""
    if session.info.get(_DRY_RUN) is not None:
        return
    await session.delete(row)
    await session.flush()


async def upcoming_sessions(
    *, session: AsyncSession, cohort_ids: Sequence[int], after: datetime
) -> list[Any]:
    """(cohort_id, cohort_name, timezone, number, title, starts_at, ends_at, location) of the
    cohorts' sessions starting after a time, soonest first."""
    if not cohort_ids:
        return []
    result = await session.execute(
        select(
            col(ProgrammeSession.cohort_id).label("cohort_id"),
            col(Cohort.name).label("cohort_name"),
            col(Cohort.timezone).label("timezone"),
            col(ProgrammeSession.number).label("number"),
            col(ProgrammeSession.title).label("title"),
            col(ProgrammeSession.starts_at).label("starts_at"),
            col(ProgrammeSession.ends_at).label("ends_at"),
            col(ProgrammeSession.location).label("location"),
        )
        .join(Cohort, col(Cohort.id) == col(ProgrammeSession.cohort_id))
        .where(
            col(ProgrammeSession.cohort_id).in_(list(cohort_ids)),
            col(ProgrammeSession.starts_at) > after,
        )
        .order_by(col(ProgrammeSession.starts_at), col(ProgrammeSession.id))
    )
    return list(result.all())
