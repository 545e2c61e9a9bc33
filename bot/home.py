"""What App Home shows beyond the feature sections: next session, open pulses, cohorts, risk cases.

Each function reads what one Home section needs and returns plain values; the Slack side
(handlers/home/, handlers/blocks/home_sections.py) only renders them. Pulse figures here count
who was asked and who answered (`PulseParticipation`), never what anyone answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings
from storage.models import Cohort, CohortStatus, Pulse
from storage.queries import assignments as aq
from storage.queries import plan as planq
from storage.queries import pulses as pq
from storage.queries import report as rq
from storage.queries import risk as riskq
from storage.queries.people import record_audit

MAX_COHORTS = 6  # a staff Home section stays small; the rest are counted
MAX_PULSES_PER_COHORT = 5
MAX_RISK_CASES = 10
RISK_VIEW_ACTION = "home.risk_cases.view"


@dataclass(frozen=True)
class NextSession:
    """An in-person session ("samling") still to come."""

    cohort_id: int
    cohort_name: str
    number: int
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str | None
    tz: str


def _next_session(row: Any) -> NextSession:
    return NextSession(
        cohort_id=row.cohort_id,
        cohort_name=row.cohort_name,
        number=row.number,
        title=row.title,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        location=row.location,
        tz=row.timezone or "Europe/Oslo",
    )


async def next_session_for(
    session: AsyncSession, *, person_id: int, now: datetime
) -> NextSession | None:
    """The soonest session starting after `now` in any cohort the person takes part in."""
    cohort_ids = await aq.cohorts_of_person(session=session, person_id=person_id)
    rows = await planq.upcoming_sessions(session=session, cohort_ids=cohort_ids, after=now)
    return _next_session(rows[0]) if rows else None


@dataclass(frozen=True)
class OpenPulse:
    """A pulse the person was asked and has not answered, while it is open."""

    pulse_id: int
    title: str
    closes_at: datetime
    anonymous: bool


async def open_pulses_for(
    session: AsyncSession, *, person_id: int, now: datetime, settings: Settings
) -> list[OpenPulse]:
    """The person's open, unanswered pulses, closing soonest first (answers are never read).

    An anonymous pulse counts as answered when the person has a receipt, found with their
    keyed token (bot.pulses.answered_people); the receipt itself is not opened.
    """
    from bot.pulses import answered_people

    out = []
    for p in await pq.open_unanswered(session=session, person_id=person_id, now=now):
        if p.id is None:
            continue
        if p.anonymous and await answered_people(session, p, [person_id], settings=settings):
            continue
        out.append(OpenPulse(p.id, p.title, p.closes_at, p.anonymous))
    return out


@dataclass(frozen=True)
class PulseRate:
    """How many of those asked have answered an open pulse."""

    pulse_id: int
    title: str
    closes_at: datetime
    invited: int
    answered: int

    @property
    def rate(self) -> float | None:
        return self.answered / self.invited if self.invited else None


@dataclass
class CohortGlance:
    """One planned or active cohort: participants by status, next session, open pulses."""

    cohort_id: int
    name: str
    status: str
    tz: str
    counts: dict[str, int] = field(default_factory=dict)  # enrolment status -> people
    next_session: NextSession | None = None
    pulses: list[PulseRate] = field(default_factory=list)
    more_pulses: int = 0

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)


@dataclass
class Glance:
    """Cohorts at a glance for staff, plus open pulses that belong to no cohort (alumni)."""

    cohorts: list[CohortGlance] = field(default_factory=list)
    more_cohorts: int = 0
    cohortless_pulses: list[PulseRate] = field(default_factory=list)


async def _pulse_rates(session: AsyncSession, pulses: list[Pulse]) -> dict[int, PulseRate]:
    ids = [p.id for p in pulses if p.id is not None]
    invited: dict[int, int] = dict.fromkeys(ids, 0)
    answered: dict[int, int] = dict.fromkeys(ids, 0)
    if ids:
        # Grouped per class for the report; the Home shows the pulse's total.
        for r in await rq.participation_counts(session=session, pulse_ids=ids):
            invited[r.pulse_id] += int(r.invited)
            answered[r.pulse_id] += int(r.answered or 0)
        # An open anonymous pulse knows who answered only as receipts: count those.
        anonymous = [p.id for p in pulses if p.id is not None and p.anonymous]
        answered.update(await pq.receipt_counts(session=session, pulse_ids=anonymous))
    return {
        p.id: PulseRate(p.id, p.title, p.closes_at, invited[p.id], answered[p.id])
        for p in pulses
        if p.id is not None
    }


def cohort_status(cohort: Cohort, now: datetime) -> str:
    """The cohort's status as of `now`: a planned cohort whose start day has come is running.

    Only the alumni transition writes a status (completed); nothing marks a cohort active, so
    the start date decides, in the cohort's own time zone.
    """
    if cohort.status != CohortStatus.PLANNED or cohort.start_date is None:
        return cohort.status
    today = now.astimezone(ZoneInfo(cohort.timezone)).date()
    return CohortStatus.ACTIVE if cohort.start_date <= today else cohort.status


async def cohorts_at_a_glance(
    session: AsyncSession, *, now: datetime, max_cohorts: int = MAX_COHORTS
) -> Glance:
    """Planned and active cohorts (active first, then by start), each with its key figures."""
    current = [c for c in await aq.list_current_cohorts(session=session) if c.id is not None]
    status = {c.id: cohort_status(c, now) for c in current}
    current.sort(
        key=lambda c: (status[c.id] != CohortStatus.ACTIVE, c.start_date or date.max, c.id or 0)
    )
    shown = current[:max_cohorts]
    by_id = {c.id: CohortGlance(c.id, c.name, status[c.id], c.timezone) for c in shown if c.id}
    glance = Glance(list(by_id.values()), more_cohorts=len(current) - len(shown))
    if by_id:
        ids = list(by_id)
        for r in await rq.enrolment_status_counts(session=session, cohort_ids=ids):
            by_id[r.cohort_id].counts[str(r.status)] = int(r.n)
        for r in await planq.upcoming_sessions(session=session, cohort_ids=ids, after=now):
            if by_id[r.cohort_id].next_session is None:
                by_id[r.cohort_id].next_session = _next_session(r)
    open_pulses = [
        p
        for p in await pq.open_pulses(session=session, now=now)
        if p.cohort_id is None or p.cohort_id in by_id
    ]
    rates = await _pulse_rates(session, open_pulses)
    for p in sorted(open_pulses, key=lambda p: (p.closes_at, p.id or 0)):
        rate = rates.get(p.id or 0)
        if rate is None:
            continue
        if p.cohort_id is None:
            if len(glance.cohortless_pulses) < MAX_PULSES_PER_COHORT:
                glance.cohortless_pulses.append(rate)
            continue
        cohort = by_id[p.cohort_id]
        if len(cohort.pulses) < MAX_PULSES_PER_COHORT:
            cohort.pulses.append(rate)
        else:
            cohort.more_pulses += 1
    return glance


@dataclass(frozen=True)
class OpenRiskCase:
    case_id: int
    person_id: int
    name: str
    cohort_name: str
    class_name: str | None
    reasons: list[str]  # "code:count", as bot.risk writes them


@dataclass(frozen=True)
class OpenRiskCases:
    week: str | None  # None: no digest has flagged anyone yet
    cases: list[OpenRiskCase]
    more: int = 0

    @property
    def total(self) -> int:
        return len(self.cases) + self.more


async def read_open_risk_cases(
    session: AsyncSession, *, staff_id: int | None, limit: int = MAX_RISK_CASES
) -> OpenRiskCases:
    """The latest week's risk cases nobody has followed up, for a staff member; audited.

    Names with dropout signals are per-person data, so each read that shows any is written to
    the audit log with the case ids shown. Call inside a transaction.
    """
    week = await riskq.latest_case_week(session=session)
    if week is None:
        return OpenRiskCases(None, [])
    rows = await riskq.open_case_rows(session=session, week=week)
    cases = [
        OpenRiskCase(r.id, r.person_id, r.name, r.cohort_name, r.class_name, list(r.reasons or []))
        for r in rows[:limit]
    ]
    if cases:
        await record_audit(
            session=session,
            actor=f"person:{staff_id}" if staff_id is not None else "unknown",
            actor_id=staff_id,
            action=RISK_VIEW_ACTION,
            subject=f"week:{week}",
            detail={
                "cases": [c.case_id for c in cases],
                "total": len(rows),
                "person_ids": sorted({c.person_id for c in cases}),
            },
        )
    return OpenRiskCases(week, cases, max(0, len(rows) - len(cases)))
