"""What staff do: silent managers, resending, marking handled, the involvement overview."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.involvement import NudgeFigures, involvement_figures
from bot.line_managers.common import KIND_RESEND, NudgeNotFound, audit_staff, manager_key
from bot.line_managers.followups import send_again
from bot.settings import Settings
from storage.queries import nudges as q
from storage.queries.assignments import list_current_cohorts


@dataclass(frozen=True)
class SilentManager:
    """An escalated nudge answer: the manager has not answered after a reminder."""

    nudge_answer_id: int
    cohort_id: int
    nudge_title: str
    manager_id: int
    manager_name: str
    manager_contact: str  # email, or "Slack" when reached there
    participant_id: int
    participant_name: str
    class_id: int | None
    sent_at: datetime | None
    reminded_at: datetime | None
    escalated_at: datetime


async def silent_managers(
    session: AsyncSession, cohort_id: int | None = None
) -> list[SilentManager]:
    """Escalated, unanswered and not handled: for the staff view and the weekly digest."""
    out = []
    for row in await q.answer_rows(session=session, cohort_id=cohort_id, escalated_only=True):
        a = row.answer
        assert a.id is not None and a.escalated_at is not None
        out.append(
            SilentManager(
                nudge_answer_id=a.id,
                cohort_id=row.nudge.cohort_id,
                nudge_title=row.nudge.title,
                manager_id=a.manager_id,
                manager_name=row.manager_name,
                manager_contact=row.manager_email,
                participant_id=a.participant_id,
                participant_name=row.participant_name,
                class_id=row.class_id,
                sent_at=a.sent_at,
                reminded_at=a.reminded_at,
                escalated_at=a.escalated_at,
            )
        )
    return out


async def _answer_row(session: AsyncSession, nudge_answer_id: int) -> q.AnswerRow:
    row = await q.get_answer_row(session=session, nudge_answer_id=nudge_answer_id)
    if row is None:
        raise NudgeNotFound(nudge_answer_id)
    return row


async def resend_nudge(
    session: AsyncSession,
    nudge_answer_id: int,
    *,
    staff_person_id: int | None,
    settings: Settings,
    now: datetime,
) -> q.AnswerRow:
    """Send the nudge again to the manager (all their unanswered participants in that wave).

    The escalation clock restarts: no answer N working days after the resend escalates again.
    """
    row = await _answer_row(session, nudge_answer_id)
    rows = [
        r
        for r in await q.answer_rows(
            session=session,
            nudge_id=row.answer.nudge_id,
            manager_id=row.answer.manager_id,
            unanswered_only=True,
        )
        if r.answer.handled_at is None
    ] or [row]
    stamp = now.strftime("%Y%m%dT%H%M%S")
    await send_again(
        session,
        rows,
        key=f"{manager_key(row.answer.nudge_id, row.answer.manager_id)}:resend:{stamp}",
        variant=KIND_RESEND,
        settings=settings,
        now=now,
    )
    await q.update_answers(
        session=session,
        nudge_answer_ids=[r.answer.id for r in rows if r.answer.id is not None],
        escalated_at=None,
    )
    await audit_staff(session, staff_person_id, "nudge.resend", f"nudge_answer:{nudge_answer_id}")
    return row


async def mark_handled(
    session: AsyncSession, nudge_answer_id: int, *, staff_person_id: int | None, now: datetime
) -> q.AnswerRow:
    """Staff followed the case up themselves: it leaves the silent-managers list."""
    row = await _answer_row(session, nudge_answer_id)
    if row.answer.handled_at is None:
        await q.update_answers(
            session=session,
            nudge_answer_ids=[nudge_answer_id],
            handled_at=now,
            handled_by_id=staff_person_id,
        )
        await audit_staff(
            session, staff_person_id, "nudge.mark_handled", f"nudge_answer:{nudge_answer_id}"
        )
    return row


@dataclass(frozen=True)
class InvolvementOverview:
    """The newest current cohort's involvement figures and silent managers, for staff."""

    cohort_id: int
    cohort_name: str
    figures: list[NudgeFigures]
    silent: list[SilentManager]


async def involvement_overview(
    session: AsyncSession, *, staff_person_id: int | None
) -> InvolvementOverview | None:
    """Figures and silent managers for the newest cohort not completed (the read is audited)."""
    cohorts = await list_current_cohorts(session=session)
    if not cohorts or cohorts[0].id is None:
        return None
    cohort = cohorts[0]
    assert cohort.id is not None
    silent = await silent_managers(session, cohort.id)
    await audit_staff(
        session,
        staff_person_id,
        "nudges.silent_read",
        f"cohort:{cohort.id}",
        person_ids=[i for s in silent for i in (s.manager_id, s.participant_id)],
    )
    return InvolvementOverview(
        cohort.id, cohort.name, await involvement_figures(session, cohort.id), silent
    )
