"""Dropout signals: a weekly digest for staff of participants who may be about to drop out.

Signals (thresholds in settings, documented in .env.example), looked for in the last
`risk_lookback_days` days:
- `overdue_assignments`: at least `risk_overdue_assignments` assignments past due, not done;
- `unanswered_pulses`: at least `risk_unanswered_pulses` *named* pulses closed without an answer;
- `low_scores`: any answer of `risk_low_score` or less on a 1–5 question of a *named* pulse;
- `silent_manager`: a line-manager nudge still unanswered after escalation (and not handled).
Anonymous pulses never feed a signal: that would need the link between answer and person that
they promise not to keep.

Each flagged participant becomes a RiskCase for the ISO week; staff mark it followed up with a
note. The digest is a neutral message queued for each staff member (dedupe `digest:{week}:staff:{pid}`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery import schedule
from bot.messages import esc, format_when, normalise_locale, t
from bot.notifier import Button, OutgoingMessage, Section
from bot.settings import Settings
from bot.staff_lists import more_text, open_button
from storage.models import RiskCase
from storage.queries import deliveries as dq
from storage.queries import pulses as pq
from storage.queries import risk as q
from storage.queries.people import record_audit

FOLLOW_UP_ACTION = "risk.followed_up"  # + ".{case_id}"
DIGEST_KIND = "risk_digest"
# Each person takes a section and a button row: 2 of Slack's 50 blocks, with a header and a
# closing note. When more are flagged, 23 are shown with "and N more" and a button that opens
# the whole list (bot/staff_lists.py), so nobody is dropped without a word.
MAX_PEOPLE_IN_DIGEST = 24
MAX_PEOPLE_WITH_MORE = 23


class CaseNotFound(LookupError):
    """No such risk case."""


@dataclass
class ParticipantRisk:
    person_id: int
    cohort_id: int
    name: str
    cohort_name: str
    class_name: str | None
    reasons: list[str] = field(default_factory=list)  # "code:count"
    case_id: int | None = None


def iso_week(now: datetime, zone: ZoneInfo) -> str:
    """The ISO week of `now` in the programme's zone, e.g. "2026-W10"."""
    year, week, _ = now.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"


def week_label(week: str) -> str:
    """An ISO week as staff read it: "2026-W10" -> "10, 2026" (after «uke» / "week")."""
    year, sep, number = week.partition("-W")
    return f"{int(number)}, {year}" if sep and year.isdigit() and number.isdigit() else week


def reason_text(reason: str, locale: str) -> str:
    """Say a reason code ("overdue_assignments:2") in words."""
    code, _, count = reason.partition(":")
    return t(f"risk.reason.{code}", locale, n=int(count) if count.isdigit() else 1)


async def find_risks(
    session: AsyncSession, *, now: datetime, settings: Settings
) -> list[ParticipantRisk]:
    """Return the participants with at least one signal, each with its reasons (writes nothing)."""
    cohorts = {c.id: c.name for c in await q.running_cohorts(session=session)}
    if not cohorts:
        return []
    ids = list(cohorts)
    since = now - timedelta(days=settings.risk_lookback_days)
    reasons: dict[tuple[int, int], list[str]] = defaultdict(list)
    for r in await q.overdue_assignments(session=session, cohort_ids=ids, since=since, now=now):
        if r.n >= settings.risk_overdue_assignments:
            reasons[(r.person_id, r.cohort_id)].append(f"overdue_assignments:{r.n}")
    for cohort_id in ids:
        for r in await pq.unanswered_named(
            session=session, cohort_id=cohort_id, since=since, now=now
        ):
            if r.n >= settings.risk_unanswered_pulses:
                reasons[(r.person_id, cohort_id)].append(f"unanswered_pulses:{r.n}")
        for r in await pq.named_low_scores(
            session=session, cohort_id=cohort_id, since=since, max_value=settings.risk_low_score
        ):
            reasons[(r.person_id, cohort_id)].append(f"low_scores:{r.n}")
    for r in await q.silent_line_managers(session=session, cohort_ids=ids):
        reasons[(r.person_id, r.cohort_id)].append(f"silent_manager:{r.n}")
    people = {
        (p.person_id, p.cohort_id): p for p in await q.participants(session=session, cohort_ids=ids)
    }
    out = []
    for key, found in reasons.items():
        p = people.get(key)
        if p is None:  # withdrawn or completed since: no longer at risk of dropping out
            continue
        out.append(
            ParticipantRisk(
                p.person_id, p.cohort_id, p.name, cohorts[p.cohort_id], p.class_name, found
            )
        )
    return sorted(out, key=lambda r: (r.cohort_name, r.class_name or "", r.name))


def build_digest_message(
    risks: list[ParticipantRisk], *, week: str, locale: str
) -> OutgoingMessage:
    """The staff digest: one section per flagged participant with a "followed up" button."""
    loc = normalise_locale(locale)
    title = t("risk.digest.title", loc, week=week_label(week))
    if not risks:
        text = t("risk.digest.none", loc, week=week_label(week))
        return OutgoingMessage(text=text, title=title, locale=loc)
    sections = []
    limit = MAX_PEOPLE_IN_DIGEST if len(risks) <= MAX_PEOPLE_IN_DIGEST else MAX_PEOPLE_WITH_MORE
    for r in risks[:limit]:
        where = f"{r.cohort_name}" + (f", {r.class_name}" if r.class_name else "")
        lines = "\n".join(f"• {reason_text(x, loc)}" for x in r.reasons)
        head = t("lists.risk.item", loc, case=r.case_id, name=r.name)
        sections.append(
            Section(
                text=f"{head} ({esc(where)})\n{lines}",
                buttons=(
                    Button(
                        action_id=f"{FOLLOW_UP_ACTION}.{r.case_id}",
                        label=t("risk.digest.followed_up", loc),
                        value=str(r.case_id),
                    ),
                ),
            )
        )
    context = t("risk.digest.context", loc)
    if len(risks) > limit:
        sections.append(
            Section(
                text=more_text(limit, len(risks), loc),
                buttons=(open_button("risk", week, len(risks), loc),),
            )
        )
    return OutgoingMessage(
        text=t(
            "risk.digest.lead",
            loc,
            n=len(risks),
            week=week_label(week),
        ),
        title=title,
        sections=tuple(sections),
        context=context,
        locale=loc,
        meta={"kind": DIGEST_KIND, "week": week},
    )


@dataclass(frozen=True)
class DigestResult:
    week: str
    cases: int
    staff: int


async def run_digest(session: AsyncSession, *, now: datetime, settings: Settings) -> DigestResult:
    """Record this week's risk cases and queue the digest to each staff member (once a week)."""
    week = iso_week(now, settings.zone)
    risks = await find_risks(session, now=now, settings=settings)
    for r in risks:
        r.case_id = await q.save_case(
            session=session,
            person_id=r.person_id,
            cohort_id=r.cohort_id,
            week=week,
            reasons=r.reasons,
        )
    staff = await q.staff_recipients(session=session, staff_emails=settings.staff_emails)
    for person, slack_user_id in staff:
        assert person.id is not None
        await schedule(
            session,
            now=now,
            key=f"digest:{week}:staff:{person.id}",
            transport="slack",
            kind=DIGEST_KIND,
            target=slack_user_id,
            message=build_digest_message(risks, week=week, locale=person.locale),
            send_at=now,
            audience="staff",
            settings=settings,
            person_id=person.id,
            source=f"digest:{week}",
            tz=person.timezone,
        )
    await record_audit(
        session=session,
        actor="system",
        action="risk.digest",
        subject=f"week:{week}",
        # Who the digest names to staff, so `cohortbot audit --person` finds it.
        detail={
            "cases": len(risks),
            "staff": len(staff),
            "person_ids": sorted({r.person_id for r in risks}),
        },
    )
    return DigestResult(week, len(risks), len(staff))


async def mark_followed_up(
    session: AsyncSession, case_id: int, staff_id: int, note: str | None, *, now: datetime
) -> RiskCase:
    """Mark a risk case followed up by a staff member, with an optional note; audited."""
    case = await q.get_case(session=session, case_id=case_id)
    if case is None:
        raise CaseNotFound(case_id)
    clean = note.strip()[:2000] if note and note.strip() else None
    await q.set_followed_up(session=session, case_id=case_id, staff_id=staff_id, note=clean, at=now)
    await record_audit(
        session=session,
        actor=f"person:{staff_id}",
        actor_id=staff_id,
        action="risk.followed_up",
        subject=f"person:{case.person_id}",
        detail={"case": case_id, "week": case.week},
    )
    await session.refresh(case)
    return case


@dataclass(frozen=True)
class DigestCopy:
    """A staff member's copy of a week's digest, as sent, to redraw in place."""

    target: str  # the Slack user it was sent to
    ref: str  # the message's timestamp
    message: OutgoingMessage


def mark_in_digest(
    message: OutgoingMessage, case_id: int, *, by: str, when: str
) -> OutgoingMessage | None:
    """The digest with case `case_id`'s button replaced by who followed it up; None if absent."""
    action = f"{FOLLOW_UP_ACTION}.{case_id}"
    sections = []
    found = False
    for section in message.sections:
        if any(b.action_id == action for b in section.buttons):
            found = True
            note = t("lists.risk.followed_up_by", message.locale, name=by, when=when)
            section = Section(text=f"{section.text}\n{note}", fields=section.fields)
        sections.append(section)
    return replace(message, sections=tuple(sections)) if found else None


async def digest_copies_after_follow_up(
    session: AsyncSession, case_id: int, *, by: str, tz: str
) -> list[DigestCopy]:
    """Every staff member's copy of the case's week digest, redrawn to show it followed up."""
    case = await q.get_case(session=session, case_id=case_id)
    if case is None or case.id is None:
        return []
    when = case.followed_up_at
    copies = []
    for row in await dq.sent_messages(
        session=session, source=f"digest:{case.week}", kind=DIGEST_KIND
    ):
        if not row.result_ref:
            continue
        message = OutgoingMessage.from_json(row.message)
        moment = format_when(when, message.locale, tz) if when is not None else ""
        marked = mark_in_digest(message, case.id, by=by, when=moment)
        if marked is not None:
            copies.append(DigestCopy(row.target, row.result_ref, marked))
    return copies


async def case_week(session: AsyncSession, case_id: int) -> str | None:
    """The ISO week of a case, or None if there is no such case."""
    return await q.case_weeks(session=session, case_id=case_id)
