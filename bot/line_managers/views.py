"""What a manager sees, and the follow-up for staff: planned, pending, overdue, escalated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.line_managers.common import addressee_for, audit_staff, working_days_after
from bot.settings import Settings
from storage.models import NudgeAnswerValue
from storage.queries import nudges as q
from storage.queries.assignments import list_current_cohorts


@dataclass(frozen=True)
class ManagerOverview:
    """A manager's participants and the questions waiting for their answer."""

    participants: list[str]
    waiting: list[q.AnswerRow]


async def manager_overview(
    session: AsyncSession, manager_id: int, now: datetime
) -> ManagerOverview:
    """Only the manager's own participants and their unanswered nudges that have gone out."""
    names = [
        n for _, n, _ in await q.participants_of_manager(session=session, manager_id=manager_id)
    ]
    waiting = [
        r
        for r in await q.answer_rows(session=session, manager_id=manager_id)
        if (r.answer.answer is None or r.answer.answer == NudgeAnswerValue.LATER)
        and r.nudge.send_at <= now
        and r.answer.handled_at is None
    ]
    return ManagerOverview(names, waiting)


# --- follow-up for staff: planned, pending, overdue, escalated -----------------------------

FOLLOWUP_STATES = ("escalated", "overdue", "pending", "planned")


@dataclass(frozen=True)
class ManagerCase:
    """One participant's manager for one nudge who has not given a final answer.

    `state`: planned (the nudge has not gone out yet), pending (sent, not yet due), overdue
    (the answer-by time or the reminder time has passed), escalated (still silent after the
    reminder, or the message could not be delivered). `delivery` is the outbox state of the
    newest message to the manager about it (sent, pending, held, failed) with `error`.
    """

    nudge_answer_id: int
    nudge_title: str
    manager_id: int
    manager_name: str
    manager_contact: str
    participant_name: str
    class_id: int | None
    state: str
    answer: str | None  # None, or "later" (said "not yet")
    send_at: datetime
    due_at: datetime | None
    sent_at: datetime | None
    reminded_at: datetime | None
    escalated_at: datetime | None
    delivery: str | None
    transport: str | None
    error: str | None
    participant_id: int | None = None  # for the audit of who was shown


@dataclass(frozen=True)
class ManagerFollowup:
    """Every open manager case of a cohort, by state."""

    cohort_id: int
    cohort_name: str
    cases: list[ManagerCase]

    def of(self, state: str) -> list[ManagerCase]:
        return [c for c in self.cases if c.state == state]

    def count(self, state: str) -> int:
        return sum(1 for c in self.cases if c.state == state)

    def managers(self, state: str) -> int:
        """Distinct managers with a case in `state`."""
        return len({c.manager_id for c in self.cases if c.state == state})

    @property
    def failed(self) -> list[ManagerCase]:
        return [c for c in self.cases if c.delivery == "failed"]


def _delivery_state(row: Any) -> str:
    if row.state == "pending" and (row.error or "").startswith("held:"):
        return "held"
    return str(row.state)


async def manager_followup(
    session: AsyncSession, cohort_id: int, *, now: datetime, settings: Settings
) -> list[ManagerCase]:
    """Every unanswered (or "not yet") nudge answer of the cohort not handled, classified."""
    rows = [
        r
        for r in await q.answer_rows(session=session, cohort_id=cohort_id)
        if r.answer.handled_at is None
        and (r.answer.answer is None or r.answer.answer == NudgeAnswerValue.LATER)
    ]
    nudge_ids = {r.nudge.id for r in rows if r.nudge.id is not None}
    latest: dict[tuple[int, int], Any] = {}
    for d in await q.manager_deliveries(session=session, nudge_ids=nudge_ids):
        parts = str(d.dedupe_key).split(":")
        if len(parts) >= 4 and parts[0] == "nudge" and parts[2] == "manager":
            if parts[1].isdigit() and parts[3].isdigit():
                latest[(int(parts[1]), int(parts[3]))] = d  # ordered by id: the newest wins
    out: list[ManagerCase] = []
    for r in rows:
        a, nudge = r.answer, r.nudge
        assert a.id is not None and nudge.id is not None
        d = latest.get((nudge.id, a.manager_id))
        delivery = _delivery_state(d) if d is not None else None
        due: datetime | None = None
        if a.sent_at is not None:
            due = nudge.respond_by or working_days_after(
                a.sent_at, settings.nudge_reminder_working_days, settings.timezone
            )
        if a.escalated_at is not None:
            state = "escalated"
        elif a.sent_at is None and nudge.send_at > now and delivery != "failed":
            state = "planned"
        elif a.answer is None and (a.reminded_at is not None or (due is not None and due <= now)):
            state = "overdue"
        else:
            state = "pending"
        to = addressee_for(r, settings.timezone)
        out.append(
            ManagerCase(
                nudge_answer_id=a.id,
                nudge_title=nudge.title,
                manager_id=a.manager_id,
                manager_name=r.manager_name,
                manager_contact=r.manager_email if to.transport == "email" else "Slack",
                participant_name=r.participant_name,
                class_id=r.class_id,
                state=state,
                answer=a.answer,
                send_at=nudge.send_at,
                due_at=due,
                sent_at=a.sent_at,
                reminded_at=a.reminded_at,
                escalated_at=a.escalated_at,
                delivery=delivery,
                transport=d.transport if d is not None else to.transport,
                error=d.error if d is not None and delivery in ("failed", "held") else None,
                participant_id=a.participant_id,
            )
        )
    order = {s: i for i, s in enumerate(FOLLOWUP_STATES)}
    out.sort(key=lambda c: (order[c.state], c.send_at, c.manager_name, c.participant_name))
    return out


async def followup_overview(
    session: AsyncSession, *, staff_person_id: int | None, now: datetime, settings: Settings
) -> ManagerFollowup | None:
    """The newest current cohort's open manager cases (the read is audited)."""
    cohorts = await list_current_cohorts(session=session)
    if not cohorts or cohorts[0].id is None:
        return None
    cohort = cohorts[0]
    assert cohort.id is not None
    cases = await manager_followup(session, cohort.id, now=now, settings=settings)
    await audit_staff(
        session,
        staff_person_id,
        "nudges.followup_read",
        f"cohort:{cohort.id}",
        person_ids=[i for c in cases for i in (c.manager_id, c.participant_id)],
    )
    return ManagerFollowup(cohort.id, cohort.name, cases)
