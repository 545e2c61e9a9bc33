"""Questions the Directorate proposes, and staff accepting them into a pulse in one step.

An evaluator proposes a question (text, kind, choices, optionally the pulse or session it is
for). Staff accept it (Home button or `cohortbot evaluator accept ID`): the question is added
to the pulse it names, else the next pulse of the session it names, else the next pulse of
any current cohort — always a pulse nobody has been asked yet, so everyone asked gets the same
questions (and an anonymous pulse's sealed answers keep one size). Accepting is one
conditional UPDATE first and a question row whose `proposal_id` is unique: a double click, two
staff at once or two processes add one question. Every decision is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.messages import t
from bot.text import clean
from storage.models import (
    EvaluatorProposal,
    ProgrammeSession,
    ProposalState,
    Pulse,
    PulseQuestion,
)
from storage.queries import evaluator as q
from storage.queries.people import record_audit

KINDS = ("scale5", "nps", "choice", "text")
MAX_TEXT = 500
MAX_CHOICE = 75
MAX_CHOICES = 10
MAX_REASON = 500
# A pulse stays short: at most this many Directorate questions beside the plan's own.
MAX_DIRECTORATE_QUESTIONS = 2


class ProposalError(ValueError):
    """A proposal or decision that cannot be made; `key` is a message key, `values` its values."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def text(self, locale: str) -> str:
        return t(self.key, locale, **self.values)


@dataclass(frozen=True)
class ProposalView:
    """A proposal as staff and evaluators see it (the proposer's email only for staff)."""

    id: int
    text: str
    kind: str
    choices: list[str]
    state: str
    proposed_by: str
    created_at: datetime
    meant_for: str | None  # the pulse or session it names, as a title
    target: Pulse | None  # accepted: the pulse it went into; proposed: where it would go now
    reason: str | None
    position: int | None  # accepted: the question's number in the pulse


def parse_choices(raw: str) -> list[str]:
    """Choices from a form or the command line: one per line, or separated by `;`."""
    sep = "\n" if "\n" in raw else ";"
    return [c.strip() for c in raw.split(sep) if c.strip()]


def validate(text: str, kind: str, choices: list[str]) -> tuple[str, str, list[str]]:
    """The cleaned proposal, or ProposalError with a message key."""
    # Only words: no NUL (PostgreSQL refuses it), no control or bidi characters, none of the
    # bot's own markers (adapters would read them as a reference or formatting).
    text = " ".join(clean(text).split())
    choices = [c for c in (" ".join(clean(c).split()) for c in choices) if c]
    if kind not in KINDS:
        raise ProposalError("evaluator.error.kind")
    if not text or len(text) > MAX_TEXT:
        raise ProposalError("evaluator.error.text", limit=MAX_TEXT)
    if kind == "choice":
        if not 2 <= len(choices) <= MAX_CHOICES or len(set(choices)) != len(choices):
            raise ProposalError("evaluator.error.choices", limit=MAX_CHOICES)
        if any(len(c) > MAX_CHOICE for c in choices):
            raise ProposalError("evaluator.error.choice_length", limit=MAX_CHOICE)
    elif choices:
        raise ProposalError("evaluator.error.no_choices")
    return text, kind, choices if kind == "choice" else []


async def propose(
    session: AsyncSession,
    *,
    email: str,
    text: str,
    kind: str,
    choices: list[str],
    pulse_id: int | None,
    session_id: int | None,
    nonce: str | None,
    now: datetime,
) -> tuple[EvaluatorProposal, bool]:
    """Record a proposal; the same form sent twice (same nonce) records once. (row, recorded)."""
    if nonce:
        existing = await q.proposal_by_nonce(session=session, nonce=nonce)
        if existing is not None:
            return existing, False
    text, kind, choices = validate(text, kind, choices)
    if pulse_id is not None:
        upcoming = {p.id for p in await q.upcoming_pulses(session=session, now=now)}
        if pulse_id not in upcoming:
            raise ProposalError("evaluator.error.pulse_closed")
    if session_id is not None:
        coming = {s.id for s, _ in await q.upcoming_sessions(session=session, now=now)}
        if session_id not in coming:
            raise ProposalError("evaluator.error.no_session")
    row = await q.add_proposal(
        session=session,
        row=EvaluatorProposal(
            proposed_by=email,
            text=text,
            kind=kind,
            choices=choices,
            pulse_id=pulse_id,
            session_id=session_id,
            form_nonce=nonce or None,
            created_at=now,
        ),
    )
    await record_audit(
        session=session,
        actor=f"evaluator:{email}"[:120],
        action="evaluator.propose",
        subject=f"evaluator_proposal:{row.id}",
        detail={"kind": kind, "pulse_id": pulse_id, "session_id": session_id},
    )
    return row, True


async def _target(
    session: AsyncSession,
    proposal: EvaluatorProposal,
    *,
    now: datetime,
    pulse_id: int | None,
    upcoming: list[Pulse] | None = None,
) -> Pulse | None:
    """Where the proposal goes if accepted now: a pulse nobody has been asked yet."""
    if upcoming is None:
        upcoming = await q.upcoming_pulses(session=session, now=now)
    wanted = pulse_id or proposal.pulse_id
    if wanted is not None:
        return next((p for p in upcoming if p.id == wanted), None)
    if proposal.session_id is not None:
        return next((p for p in upcoming if p.session_id == proposal.session_id), None)
    return upcoming[0] if upcoming else None


@dataclass(frozen=True)
class Decision:
    proposal: EvaluatorProposal
    recorded: bool  # False when it had been decided already (a repeat click)
    pulse: Pulse | None
    question: PulseQuestion | None


async def accept(
    session: AsyncSession,
    proposal_id: int,
    *,
    now: datetime,
    actor: str,
    actor_id: int | None,
    pulse_id: int | None = None,
) -> Decision:
    """Add the proposed question to its pulse, once; a repeat shows what was done.

    Raises ProposalError (and the caller's transaction rolls back: nothing changes) when
    there is no such proposal, it was rejected, or no pulse can take it.
    """
    # The conditional UPDATE comes first: it is what serialises concurrent accepts.
    decided = await q.decide_proposal(
        session=session,
        proposal_id=proposal_id,
        state=ProposalState.ACCEPTED,
        now=now,
        decided_by=actor,
        decided_by_id=actor_id,
    )
    proposal = await q.get_proposal(session=session, proposal_id=proposal_id)
    if proposal is None:
        raise ProposalError("evaluator.error.no_proposal", id=proposal_id)
    if not decided:
        if proposal.state == ProposalState.ACCEPTED:
            question = await q.question_of_proposal(session=session, proposal_id=proposal_id)
            pulse = (
                await q.get_pulse(session=session, pulse_id=question.pulse_id) if question else None
            )
            return Decision(proposal, False, pulse, question)
        raise ProposalError("evaluator.error.already_rejected", id=proposal_id)
    pulse = await _target(session, proposal, now=now, pulse_id=pulse_id)
    if pulse is None or pulse.id is None:
        raise ProposalError("evaluator.error.no_pulse")
    questions = await q.pulse_questions(session=session, pulse_id=pulse.id)
    if sum(1 for x in questions if x.proposal_id is not None) >= MAX_DIRECTORATE_QUESTIONS:
        raise ProposalError(
            "evaluator.error.pulse_full", title=pulse.title, limit=MAX_DIRECTORATE_QUESTIONS
        )
    question = await q.add_question(
        session=session,
        row=PulseQuestion(
            pulse_id=pulse.id,
            position=max((x.position for x in questions), default=0) + 1,
            kind=proposal.kind,
            text=proposal.text,
            choices=list(proposal.choices),
            proposal_id=proposal.id,
        ),
    )
    proposal.pulse_id = pulse.id
    session.add(proposal)
    await session.flush()
    await record_audit(
        session=session,
        actor=actor,
        actor_id=actor_id,
        action="evaluator.proposal.accept",
        subject=f"evaluator_proposal:{proposal_id}",
        detail={"pulse_id": pulse.id, "question_id": question.id, "position": question.position},
    )
    return Decision(proposal, True, pulse, question)


async def reject(
    session: AsyncSession,
    proposal_id: int,
    *,
    reason: str,
    now: datetime,
    actor: str,
    actor_id: int | None,
) -> Decision:
    """Turn a proposal down with a reason the evaluator sees; a repeat changes nothing."""
    reason = " ".join(reason.split())
    if not reason or len(reason) > MAX_REASON:
        raise ProposalError("evaluator.error.reason", limit=MAX_REASON)
    decided = await q.decide_proposal(
        session=session,
        proposal_id=proposal_id,
        state=ProposalState.REJECTED,
        now=now,
        decided_by=actor,
        decided_by_id=actor_id,
        reason=reason,
    )
    proposal = await q.get_proposal(session=session, proposal_id=proposal_id)
    if proposal is None:
        raise ProposalError("evaluator.error.no_proposal", id=proposal_id)
    if not decided:
        if proposal.state == ProposalState.REJECTED:
            return Decision(proposal, False, None, None)
        raise ProposalError("evaluator.error.already_accepted", id=proposal_id)
    await record_audit(
        session=session,
        actor=actor,
        actor_id=actor_id,
        action="evaluator.proposal.reject",
        subject=f"evaluator_proposal:{proposal_id}",
    )
    return Decision(proposal, True, None, None)


async def proposals(
    session: AsyncSession, *, now: datetime, states: list[str] | None = None
) -> list[ProposalView]:
    """Proposals, newest first, each with where it went or would go if accepted now."""
    rows = await q.list_proposals(session=session, states=states)
    pulses = await q.pulses_by_id(
        session=session, pulse_ids=[r.pulse_id for r in rows if r.pulse_id is not None]
    )
    sessions = await q.sessions_by_id(
        session=session, session_ids=[r.session_id for r in rows if r.session_id is not None]
    )
    upcoming = await q.upcoming_pulses(session=session, now=now)  # once, not per proposal
    out = []
    for r in rows:
        assert r.id is not None
        meant = None
        if r.pulse_id is not None and r.pulse_id in pulses:
            meant = pulses[r.pulse_id].title
        elif r.session_id is not None and r.session_id in sessions:
            meant = sessions[r.session_id].title
        target: Pulse | None = None
        position = None
        if r.state == ProposalState.ACCEPTED:
            question = await q.question_of_proposal(session=session, proposal_id=r.id)
            target = pulses.get(r.pulse_id or 0)
            position = question.position if question else None
        elif r.state == ProposalState.PROPOSED:
            target = await _target(session, r, now=now, pulse_id=None, upcoming=upcoming)
        out.append(
            ProposalView(
                r.id,
                r.text,
                r.kind,
                list(r.choices),
                r.state,
                r.proposed_by,
                r.created_at,
                meant,
                target,
                r.reason,
                position,
            )
        )
    return out


async def count(session: AsyncSession, *, states: list[str] | None = None) -> int:
    """How many proposals there are (in these states): `proposals` lists at most 200."""
    return await q.count_proposals(session=session, states=states)


async def upcoming_sessions(
    session: AsyncSession, *, now: datetime
) -> list[tuple[ProgrammeSession, str]]:
    """The sessions a proposal can name (still to come), with their cohort's name."""
    return await q.upcoming_sessions(session=session, now=now)


async def upcoming_pulses(session: AsyncSession, *, now: datetime) -> list[Pulse]:
    """The pulses a proposal can name: not opened yet, of cohorts not completed."""
    return await q.upcoming_pulses(session=session, now=now)
