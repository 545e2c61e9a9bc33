"""A participant's enrolments, for recording their status, credits and exam result."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Cohort, Enrolment


async def list_person_enrolments(
    *, session: AsyncSession, person_id: int
) -> list[tuple[Enrolment, Cohort]]:
    """(enrolment, cohort) of every cohort the person is enrolled in, oldest cohort first."""
    result = await session.execute(
        select(Enrolment, Cohort)
        .join(Cohort, col(Cohort.id) == col(Enrolment.cohort_id))
        .where(col(Enrolment.person_id) == person_id)
        .order_by(col(Cohort.start_date), col(Cohort.id))
    )
    return [(e, c) for e, c in result.all()]
