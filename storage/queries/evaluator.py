"""Evaluator queries: signed links, question proposals and the pulses they can go into."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Cohort,
    CohortStatus,
    EvaluatorLink,
    EvaluatorProposal,
    ProgrammeSession,
    ProposalState,
    Pulse,
    PulseParticipation,
    PulseQuestion,
)


async def add_link(
    *, session: AsyncSession, email: str, expires_at: datetime, created_by: str, now: datetime
) -> EvaluatorLink:
    row = EvaluatorLink(email=email, expires_at=expires_at, created_by=created_by, created_at=now)
    session.add(row)
    await session.flush()
    return row


async def get_link(*, session: AsyncSession, link_id: int) -> EvaluatorLink | None:
    return await session.get(EvaluatorLink, link_id)


async def list_links(*, session: AsyncSession, limit: int = 200) -> list[EvaluatorLink]:
    """Links made, newest first."""
    stmt = select(EvaluatorLink).order_by(col(EvaluatorLink.id).desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def count_links(*, session: AsyncSession) -> int:
    return int(
        (await session.execute(select(func.count()).select_from(EvaluatorLink))).scalar_one()
    )


async def revoke_link(*, session: AsyncSession, link_id: int, now: datetime) -> bool:
    """Close a link for good; False when there is no such link or it was closed already."""
    result: Any = await session.execute(
        update(EvaluatorLink)
        .where(col(EvaluatorLink.id) == link_id, col(EvaluatorLink.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    return bool(result.rowcount)


async def add_proposal(*, session: AsyncSession, row: EvaluatorProposal) -> EvaluatorProposal:
    session.add(row)
    await session.flush()
    return row


async def proposal_by_nonce(*, session: AsyncSession, nonce: str) -> EvaluatorProposal | None:
    result = await session.execute(
        select(EvaluatorProposal).where(col(EvaluatorProposal.form_nonce) == nonce)
    )
    return result.scalar_one_or_none()


async def get_proposal(*, session: AsyncSession, proposal_id: int) -> EvaluatorProposal | None:
    result = await session.execute(
        select(EvaluatorProposal)
        .where(col(EvaluatorProposal.id) == proposal_id)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def list_proposals(
    *, session: AsyncSession, states: Sequence[str] | None = None, limit: int = 200
) -> list[EvaluatorProposal]:
    """Proposals, newest first."""
    stmt = select(EvaluatorProposal).order_by(col(EvaluatorProposal.id).desc()).limit(limit)
    if states:
        stmt = stmt.where(col(EvaluatorProposal.state).in_(list(states)))
    return list((await session.execute(stmt)).scalars())


async def count_proposals(*, session: AsyncSession, states: Sequence[str] | None = None) -> int:
    stmt = select(func.count()).select_from(EvaluatorProposal)
    if states:
        stmt = stmt.where(col(EvaluatorProposal.state).in_(list(states)))
    return int((await session.execute(stmt)).scalar_one())


async def decide_proposal(
    *,
    session: AsyncSession,
    proposal_id: int,
    state: str,
    now: datetime,
    decided_by: str,
    decided_by_id: int | None,
    reason: str | None = None,
    pulse_id: int | None = None,
) -> bool:
    """Move a proposal out of "proposed" in one conditional UPDATE; False if it already was.

    The first statement of the deciding transaction, so two clicks at once (or two processes)
    serialise on the row (PostgreSQL) or on the write lock (SQLite) and only one decides.
    """
    values: dict[str, Any] = {
        "state": state,
        "decided_at": now,
        "decided_by": decided_by,
        "decided_by_id": decided_by_id,
        "reason": reason,
    }
    if pulse_id is not None:
        values["pulse_id"] = pulse_id
    result: Any = await session.execute(
        update(EvaluatorProposal)
        .where(
            col(EvaluatorProposal.id) == proposal_id,
            col(EvaluatorProposal.state) == ProposalState.PROPOSED,
        )
        .values(**values)
    )
    return bool(result.rowcount)


async def add_question(*, session: AsyncSession, row: PulseQuestion) -> PulseQuestion:
    session.add(row)
    await session.flush()
    return row


async def question_of_proposal(*, session: AsyncSession, proposal_id: int) -> PulseQuestion | None:
    result = await session.execute(
        select(PulseQuestion).where(col(PulseQuestion.proposal_id) == proposal_id)
    )
    return result.scalar_one_or_none()


async def pulse_questions(*, session: AsyncSession, pulse_id: int) -> list[PulseQuestion]:
    result = await session.execute(
        select(PulseQuestion)
        .where(col(PulseQuestion.pulse_id) == pulse_id)
        .order_by(col(PulseQuestion.position))
    )
    return list(result.scalars())


async def upcoming_pulses(*, session: AsyncSession, now: datetime) -> list[Pulse]:
    """Pulses not opened yet (opening after `now`, nobody asked yet) of cohorts not completed,
    soonest first: where an accepted question can still go."""
    invited = exists().where(col(PulseParticipation.pulse_id) == col(Pulse.id))
    stmt = (
        select(Pulse)
        .outerjoin(Cohort, col(Cohort.id) == col(Pulse.cohort_id))
        .where(
            col(Pulse.opens_at) > now,
            col(Pulse.closed_at).is_(None),
            ~invited,
            (col(Cohort.status) != CohortStatus.COMPLETED) | col(Pulse.cohort_id).is_(None),
        )
        .order_by(col(Pulse.opens_at), col(Pulse.id))
    )
    return list((await session.execute(stmt)).scalars())


async def upcoming_sessions(
    *, session: AsyncSession, now: datetime
) -> list[tuple[ProgrammeSession, str]]:
    """(session, cohort name) of sessions still to come in cohorts not completed, soonest first."""
    stmt = (
        select(ProgrammeSession, col(Cohort.name))
        .join(Cohort, col(Cohort.id) == col(ProgrammeSession.cohort_id))
        .where(col(ProgrammeSession.starts_at) > now, col(Cohort.status) != CohortStatus.COMPLETED)
        .order_by(col(ProgrammeSession.starts_at), col(ProgrammeSession.id))
    )
    return [(row[0], str(row[1])) for row in (await session.execute(stmt)).all()]


async def pulse_opened(*, session: AsyncSession, pulse_id: int) -> bool:
    """Whether anyone has been asked the pulse already (its questions are then fixed)."""
    stmt = select(exists().where(col(PulseParticipation.pulse_id) == pulse_id))
    return bool((await session.execute(stmt)).scalar())


async def get_pulse(*, session: AsyncSession, pulse_id: int) -> Pulse | None:
    return await session.get(Pulse, pulse_id)


async def sessions_by_id(
    *, session: AsyncSession, session_ids: Sequence[int]
) -> dict[int, ProgrammeSession]:
    if not session_ids:
        return {}
    result = await session.execute(
        select(ProgrammeSession).where(col(ProgrammeSession.id).in_(list(session_ids)))
    )
    return {s.id: s for s in result.scalars() if s.id is not None}


async def pulses_by_id(*, session: AsyncSession, pulse_ids: Sequence[int]) -> dict[int, Pulse]:
    if not pulse_ids:
        return {}
    result = await session.execute(select(Pulse).where(col(Pulse.id).in_(list(pulse_ids))))
    return {p.id: p for p in result.scalars() if p.id is not None}


async def closed_pulses(*, session: AsyncSession, opens_from: datetime) -> list[Pulse]:
    """Pulses that have closed (and, when anonymous, released their answers), newest first."""
    stmt = (
        select(Pulse)
        .where(
            col(Pulse.closed_at).is_not(None),
            col(Pulse.opens_at) >= opens_from,
            (col(Pulse.anonymous).is_(False)) | col(Pulse.released_at).is_not(None),
        )
        .order_by(col(Pulse.opens_at).desc(), col(Pulse.id).desc())
    )
    return list((await session.execute(stmt)).scalars())
