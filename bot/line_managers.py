"""Line-manager nudges: the combined messages, one-click answers, reminders and escalation.

A nudge is one wave from the plan. Each participant's manager gets one message per wave that
names every one of their participants in it, with an answer per participant ("Done", "Not yet
— remind me in a week", "Can't this time"): Slack buttons when the manager is on Slack, else an
email with one signed link per answer. Every answer is a `NudgeAnswer` row (one per nudge and
participant); answering is idempotent.

No answer after N working days (default 5, Norwegian holidays skipped) brings one reminder;
still none after N more brings the case to staff ("escalated"), who can resend or mark it
handled. Deliveries of one nudge share the source `nudge:{id}`.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import delivery
from bot.identities import reach, teams_identities
from bot.involvement import NudgeFigures, involvement_figures
from bot.links import make_link
from bot.messages import Markup, esc, format_when, t
from bot.notifier import Button, OutgoingMessage, Section
from bot.planner_hash import fingerprint, message_json
from bot.settings import Settings
from bot.timing import QuietHours, is_public_holiday, next_allowed
from storage.models import ERASED_EMAIL_SUFFIX, Nudge, NudgeAnswerValue, PersonIdentity
from storage.queries import deliveries as dq
from storage.queries import nudges as q
from storage.queries.assignments import cancel_by_keys, list_current_cohorts, pending_dedupe_keys
from storage.queries.people import record_audit

logger = logging.getLogger(__name__)

KIND_NUDGE = "nudge"
KIND_REMINDER = "nudge_reminder"
KIND_LATER = "nudge_later"
KIND_RESEND = "nudge_resend"
KIND_CONFIRMED = "nudge_confirmed"
ANSWERS = (NudgeAnswerValue.DONE, NudgeAnswerValue.LATER, NudgeAnswerValue.CANNOT)
FINAL = frozenset({NudgeAnswerValue.DONE.value, NudgeAnswerValue.CANNOT.value})
LATER_DELAY = timedelta(days=7)


class NudgeNotFound(Exception):
    """No nudge answer with that id."""


class NotYourNudge(Exception):
    """Someone other than the participant's manager tried to answer."""


def source_for(nudge_id: int) -> str:
    """The outbox source shared by every delivery of one nudge."""
    return f"nudge:{nudge_id}"


def manager_key(nudge_id: int, manager_id: int) -> str:
    """The dedupe key of a manager's combined message for one wave."""
    return f"nudge:{nudge_id}:manager:{manager_id}"


def working_days_after(moment: datetime, days: int, tz: str | ZoneInfo) -> datetime:
    """The same local time `days` working days later (weekends and public holidays skipped)."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    local = moment.astimezone(zone)
    day: date = local.date()
    left = days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and not is_public_holiday(day):
            left -= 1
    wall = datetime.combine(day, local.time().replace(tzinfo=None))
    return wall.replace(tzinfo=zone).astimezone(moment.tzinfo or zone)


# --- neutral messages ----------------------------------------------------------------------


@dataclass(frozen=True)
class Addressee:
    """The manager a message goes to: transport, target and language."""

    manager_id: int
    name: str
    locale: str
    transport: str  # slack | teams | email
    target: str
    tz: str


def addressee_for(
    row: q.ManagedParticipant | q.AnswerRow, tz: str, teams: PersonIdentity | None = None
) -> Addressee:
    """Slack DM when the manager is on Slack and active, else Teams when they have the app,
    else email."""
    if isinstance(row, q.ManagedParticipant):
        mid, name, locale = row.manager_id, row.manager_name, row.manager_locale
        slack_id, active, email, mtz = (
            row.manager_slack_user_id,
            row.manager_slack_active,
            row.manager_email,
            row.manager_timezone,
        )
    else:
        mid, name, locale = row.answer.manager_id, row.manager_name, row.manager_locale
        slack_id, active, email, mtz = (
            row.manager_slack_user_id,
            row.manager_slack_active,
            row.manager_email,
            row.manager_timezone,
        )
    where = reach(email=email, slack_user_id=slack_id, slack_active=active, teams=teams)
    return Addressee(mid, name, locale, where.transport, where.target, mtz or tz)


async def _addressee(
    session: AsyncSession, row: q.ManagedParticipant | q.AnswerRow, tz: str
) -> Addressee:
    manager_id = row.manager_id if isinstance(row, q.ManagedParticipant) else row.answer.manager_id
    teams = await teams_identities(session, [manager_id])
    return addressee_for(row, tz, teams.get(manager_id))


def answer_label(answer: str, locale: str) -> str:
    return t(f"nudge.answer.{answer}", locale)


def nudge_message(
    nudge: Nudge,
    *,
    to: Addressee,
    participants: list[tuple[int, str]],
    settings: Settings,
    send_at: datetime,
    variant: str = KIND_NUDGE,
) -> OutgoingMessage:
    """One combined message to a manager: who, what and by when, with an answer per participant.

    Args:
        participants: (nudge answer id, participant name) pairs.
        variant: nudge | nudge_reminder | nudge_later | nudge_resend; changes the title.
    """
    assert nudge.id is not None
    locale = to.locale
    names = _join_names([name for _, name in participants], locale)
    if variant in (KIND_REMINDER, KIND_RESEND):
        title = t("nudge.reminder.title", locale, title=nudge.title)
    elif variant == KIND_LATER:
        title = t("nudge.later.title", locale, title=nudge.title)
    else:
        title = esc(nudge.title)
    intro = t("nudge.greeting", locale, name=to.name) + " " + t("nudge.intro", locale, who=names)
    body = [intro]
    if nudge.text.strip():
        body.append(esc(nudge.text.strip()))
    # "By when" is always said: the plan's answer-by time, else when the reminder would go.
    respond_by = nudge.respond_by or working_days_after(
        max(send_at, nudge.send_at), settings.nudge_reminder_working_days, to.tz
    )
    # A reminder or "not yet" follow-up can go after the plan's deadline: asking for an answer
    # "by" a day already gone reads as a mistake, so say the deadline has passed.
    respond_key = "nudge.respond_by_passed" if respond_by <= send_at else "nudge.respond_by"
    body.append(t(respond_key, locale, when=format_when(respond_by, locale, to.tz)))
    if to.transport == "email":
        body.append(t("nudge.email.how", locale))
    sections = [Section(text="\n\n".join(body))]
    expires = max(send_at, nudge.send_at) + timedelta(days=settings.link_ttl_days)
    for answer_id, name in participants:
        buttons = []
        for answer in ANSWERS:
            value = answer.value
            if to.transport == "email":
                label = t("nudge.link.label", locale, answer=answer_label(value, locale), name=name)
                url = make_link(
                    base_url=settings.base_url,
                    key=settings.signing_key,
                    nudge_answer_id=answer_id,
                    answer=value,
                    expires_at=expires,
                )
            else:
                label, url = answer_label(value, locale), None
            buttons.append(
                Button(
                    f"nudge_answer_{value}",
                    label[:75],
                    value=f"{answer_id}:{value}",
                    style="primary" if value == "done" else None,
                    url=url,
                )
            )
        heading = t("nudge.answer_for", locale, name=name)
        if to.transport == "slack":
            heading = f"*{heading}*"  # Slack mrkdwn; email shows text as written
        sections.append(Section(text=heading, buttons=tuple(buttons)))
    return OutgoingMessage(
        text=f"{title} – {names}",
        title=title,
        subject=title,
        sections=tuple(sections),
        context=t("nudge.context", locale),
        locale=locale,
        meta={"kind": variant, "nudge_id": nudge.id, "answers": [a for a, _ in participants]},
    )


def _join_names(names: list[str], locale: str) -> Markup:
    """People's names joined in the bot's words: "A, B og C" (each name marked)."""
    marked = [esc(n) for n in names]
    if len(marked) <= 1:
        return Markup("".join(marked))
    word = " og " if locale != "en" else " and "
    return Markup(", ".join(marked[:-1]) + word + marked[-1])


# --- planning the waves --------------------------------------------------------------------


async def plan_nudges(
    session: AsyncSession, *, cohort_id: int, tz: str, settings: Settings, now: datetime
) -> int:
    """Ensure an answer row per participant and one combined message per manager and wave."""
    written = 0
    managed = [
        m
        for m in await q.managed_participants(session=session, cohort_id=cohort_id)
        if m.status in ("active", "admitted")
    ]
    by_participant = {m.participant_id: m for m in managed}
    policy = QuietHours.from_settings(settings)
    addressees: dict[int, Addressee] = {}  # per manager, the same for every nudge
    for nudge in await q.list_nudges(session=session, cohort_id=cohort_id):
        assert nudge.id is not None
        await q.ensure_answer_rows(
            session=session,
            nudge_id=nudge.id,
            managers={m.participant_id: m.manager_id for m in managed},
        )
        groups: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for row in await q.answers_for_nudge(session=session, nudge_id=nudge.id):
            who = by_participant.get(row.participant_id)
            if who is None or row.answer is not None or row.manager_id != who.manager_id:
                continue
            assert row.id is not None
            groups[who.manager_id].append((row.id, who.participant_name))
            if who.manager_id not in addressees:
                addressees[who.manager_id] = await _addressee(session, who, tz)
        wanted: set[str] = set()
        # Compared with the outbox in one read and written in bulk: only new or changed
        # messages are written (re-planning an unchanged cohort writes nothing).
        existing = await dq.existing_for_sources(session=session, sources=[source_for(nudge.id)])
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for manager_id, participants in groups.items():
            to = addressees[manager_id]
            key = manager_key(nudge.id, manager_id)
            wanted.add(key)
            if to.target.endswith(ERASED_EMAIL_SUFFIX):
                continue  # an erased person's stub: never messaged
            send_at = next_allowed(
                nudge.send_at, audience="line_manager", tz=to.tz or settings.timezone, policy=policy
            )
            # Everything the message is built from: when it matches the stored one, the
            # message (links, names, texts) is not rendered again.
            plan_hash = fingerprint(
                nudge.id,
                nudge.kind,
                nudge.title,
                nudge.text,
                nudge.send_at,
                nudge.respond_by,
                to,
                participants,
                settings.base_url,
                hashlib.sha256((settings.secret_key or "").encode()).hexdigest(),
            )
            old = existing.get(key)
            if old is not None and (
                old.state != "pending"  # sent, failed or cancelled: left alone
                or (
                    old.plan_hash == plan_hash
                    and old.send_at == send_at
                    and old.target == to.target
                    and old.transport == to.transport
                    and not old.urgent
                )
            ):
                continue
            message = nudge_message(
                nudge, to=to, participants=participants, settings=settings, send_at=nudge.send_at
            )
            values = {
                "dedupe_key": key,
                "transport": to.transport,
                "kind": KIND_NUDGE,
                "target": to.target,
                "message": message_json(message, plan_hash),
                "send_at": send_at,
                "person_id": manager_id,
                "source": source_for(nudge.id),
                "urgent": False,
                "error": delivery.held_note(to.transport, settings),
            }
            if old is None:
                inserts.append(values)
            else:
                updates.append(values)
        await dq.insert_deliveries(session=session, rows=inserts, now=now)
        await dq.update_pending_deliveries(session=session, rows=updates, now=now)
        written += len(inserts) + len(updates)
        pending = await pending_dedupe_keys(session=session, source=source_for(nudge.id))
        stale = [
            k
            for k in pending
            if k.startswith(f"nudge:{nudge.id}:manager:") and k not in wanted and k.count(":") == 3
        ]
        await cancel_by_keys(session=session, dedupe_keys=stale, reason="no longer needed", now=now)
    return written


# --- answering -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerOutcome:
    """What an answer did. `recorded` is False on a repeat; `answer` is what is on record."""

    row: q.AnswerRow
    recorded: bool
    answer: str
    answered_at: datetime


async def answer_nudge(
    session: AsyncSession,
    nudge_answer_id: int,
    answer: str,
    via: str,
    now: datetime,
    *,
    settings: Settings,
    by_person_id: int | None = None,
) -> AnswerOutcome:
    """Record a manager's answer; a repeat click shows what is already on record.

    Until the nudge's deadline (`answer_deadline`) the manager may change the answer (a
    misclick, or a mail scanner that slipped through); after it the answer on record is final.
    "Not yet" schedules one reminder a week later. The participant hears "confirmed" only once
    "Done" is final: the message is scheduled for the deadline and withdrawn if the answer
    changes before then.
    """
    if answer not in {a.value for a in ANSWERS}:
        raise ValueError(f"unknown answer {answer!r}")
    locked = await q.lock_answer(session=session, nudge_answer_id=nudge_answer_id)
    if locked is None:
        raise NudgeNotFound(nudge_answer_id)
    if by_person_id is not None and locked.manager_id != by_person_id:
        raise NotYourNudge(nudge_answer_id)
    current = locked.answer
    deadline = answer_deadline(await _nudge_of(session, nudge_answer_id), settings)
    closed = current is not None and now >= deadline
    if closed or current == answer:
        row = await q.get_answer_row(session=session, nudge_answer_id=nudge_answer_id)
        assert row is not None and current is not None
        return AnswerOutcome(row, False, current, locked.answered_at or now)
    first_answer_at = locked.answered_at or now
    await q.update_answers(
        session=session,
        nudge_answer_ids=[nudge_answer_id],
        answer=answer,
        answered_at=first_answer_at,
        answered_via=via,
    )
    row = await q.get_answer_row(session=session, nudge_answer_id=nudge_answer_id)
    assert row is not None
    nudge = row.nudge
    assert nudge.id is not None
    later_key = f"nudge:{nudge.id}:later:{nudge_answer_id}"
    if answer == NudgeAnswerValue.LATER:
        to = await _addressee(session, row, settings.timezone)
        await delivery.schedule(
            session,
            key=later_key,
            transport=to.transport,
            kind=KIND_LATER,
            target=to.target,
            message=nudge_message(
                nudge,
                to=to,
                participants=[(nudge_answer_id, row.participant_name)],
                settings=settings,
                send_at=now + LATER_DELAY,
                variant=KIND_LATER,
            ),
            send_at=now + LATER_DELAY,
            audience="line_manager",
            settings=settings,
            person_id=row.answer.manager_id,
            source=source_for(nudge.id),
            tz=to.tz,
            now=now,
        )
    else:
        await cancel_by_keys(
            session=session, dedupe_keys=[later_key], reason=f"answered {answer}", now=now
        )
    told = _told_prefix(row)
    if current == NudgeAnswerValue.DONE:
        # "Done" changed before the deadline: the participant was not told yet; never will be.
        await q.cancel_pending_with_prefix(
            session=session, key_prefix=told, reason=f"changed to {answer}", now=now
        )
    if answer == NudgeAnswerValue.DONE and settings.tell_participant_on_manager_confirm:
        await _tell_participant(session, row, settings=settings, now=now, at=max(now, deadline))
    return AnswerOutcome(row, True, answer, first_answer_at)


def answer_deadline(nudge: Nudge, settings: Settings) -> datetime:
    """Until when a manager may change an answer: the plan's answer-by time, else the day the
    silent manager would be reminded (what the nudge itself says as "by when")."""
    return nudge.respond_by or working_days_after(
        nudge.send_at, settings.nudge_reminder_working_days, settings.timezone
    )


async def _nudge_of(session: AsyncSession, nudge_answer_id: int) -> Nudge:
    row = await q.get_answer_row(session=session, nudge_answer_id=nudge_answer_id)
    assert row is not None
    return row.nudge


def _told_prefix(row: q.AnswerRow) -> str:
    return f"nudge:{row.nudge.id}:confirmed:person:{row.answer.participant_id}"


async def _tell_participant(
    session: AsyncSession, row: q.AnswerRow, *, settings: Settings, now: datetime, at: datetime
) -> None:
    locale = row.participant_locale
    text = t("nudge.participant_told", locale, manager=row.manager_name, title=row.nudge.title)
    teams = await teams_identities(session, [row.answer.participant_id])
    where = reach(
        email=row.participant_email,
        slack_user_id=row.participant_slack_user_id,
        teams=teams.get(row.answer.participant_id),
    )
    transport, target = where.transport, where.target
    assert row.nudge.id is not None
    await delivery.schedule(
        session,
        # One key per "Done": a Done withdrawn and given again is told once, at the deadline.
        key=f"{_told_prefix(row)}:{int(now.timestamp())}",
        transport=transport,
        kind=KIND_CONFIRMED,
        target=target,
        message=OutgoingMessage(text=text, title=esc(row.nudge.title), locale=locale),
        send_at=at,
        audience="participant",
        settings=settings,
        person_id=row.answer.participant_id,
        source=source_for(row.nudge.id),
    )


async def manager_locale(session: AsyncSession, nudge_answer_id: int) -> str | None:
    """The language of the manager a nudge answer belongs to (None if there is no such row)."""
    row = await q.get_answer_row(session=session, nudge_answer_id=nudge_answer_id)
    return row.manager_locale if row else None


@dataclass(frozen=True)
class AnswerPage:
    """What a one-click link's page shows: the question, what is on record, until when."""

    title: str
    participant_name: str
    locale: str
    current: str | None
    deadline: datetime
    open: bool  # the answer may still be given or changed
    tz: str


async def answer_page(
    session: AsyncSession, nudge_answer_id: int, *, settings: Settings, now: datetime
) -> AnswerPage:
    """Read (never write) what the page for a nudge answer's link shows."""
    row = await q.get_answer_row(session=session, nudge_answer_id=nudge_answer_id)
    if row is None:
        raise NudgeNotFound(nudge_answer_id)
    deadline = answer_deadline(row.nudge, settings)
    current = row.answer.answer
    return AnswerPage(
        title=row.nudge.title,
        participant_name=row.participant_name,
        locale=row.manager_locale,
        current=current,
        deadline=deadline,
        open=current is None or now < deadline,
        tz=row.manager_timezone or settings.timezone,
    )


def answer_values() -> list[str]:
    """The answers a manager can give, in the order they are offered."""
    return [a.value for a in ANSWERS]


def outcome_text(outcome: AnswerOutcome, locale: str) -> str:
    """The confirmation people see, the same on a repeat click."""
    name = outcome.row.participant_name
    label = answer_label(outcome.answer, locale)
    if outcome.recorded:
        text = t("nudge.recorded", locale, name=name, answer=label)
    else:
        text = t("nudge.already", locale, name=name, answer=label)
    if outcome.answer == NudgeAnswerValue.LATER:
        text += " " + t("nudge.recorded.later", locale)
    return text


# --- reminders and escalation --------------------------------------------------------------


@dataclass
class FollowupStats:
    """What one follow-up run did."""

    synced: int = 0
    reminded: int = 0
    escalated: int = 0


async def run_followups(
    session: AsyncSession, *, settings: Settings, now: datetime
) -> FollowupStats:
    """Remind silent managers once after N working days, then escalate to staff after N more."""
    stats = FollowupStats()
    for answer_id, sent_at in await q.unsent_answers_with_sent_delivery(session=session):
        await q.set_sent(session=session, nudge_answer_id=answer_id, sent_at=sent_at)
        stats.synced += 1
    days = settings.nudge_reminder_working_days
    remind: dict[tuple[int, int], list[q.AnswerRow]] = defaultdict(list)
    escalate: list[int] = []
    for row in await q.answer_rows(session=session, unanswered_only=True):
        a = row.answer
        if a.handled_at is not None or a.escalated_at is not None or a.sent_at is None:
            continue
        if a.reminded_at is None:
            if working_days_after(a.sent_at, days, settings.timezone) <= now:
                remind[(row.nudge.id or 0, a.manager_id)].append(row)
        elif working_days_after(a.reminded_at, days, settings.timezone) <= now:
            assert a.id is not None
            escalate.append(a.id)
    for (nudge_id, manager_id), rows in remind.items():
        await _send_again(
            session,
            rows,
            key=f"{manager_key(nudge_id, manager_id)}:reminder",
            variant=KIND_REMINDER,
            settings=settings,
            now=now,
        )
        stats.reminded += len(rows)
    # A manager the message never reached (a bounced address, a deleted Slack account) will
    # not answer either: staff hear about it at once instead of after two silent periods.
    escalate = sorted(set(escalate) | set(await q.unanswered_with_failed_delivery(session=session)))
    if escalate:
        stats.escalated = await q.update_answers(
            session=session, nudge_answer_ids=escalate, escalated_at=now
        )
        logger.info("Escalated %d unanswered nudges to staff", stats.escalated)
    return stats


async def _send_again(
    session: AsyncSession,
    rows: list[q.AnswerRow],
    *,
    key: str,
    variant: str,
    settings: Settings,
    now: datetime,
) -> None:
    first = rows[0]
    nudge = first.nudge
    assert nudge.id is not None
    to = await _addressee(session, first, settings.timezone)
    pairs = [(r.answer.id or 0, r.participant_name) for r in rows]
    await delivery.schedule(
        session,
        key=key,
        transport=to.transport,
        kind=variant,
        target=to.target,
        message=nudge_message(
            nudge, to=to, participants=pairs, settings=settings, send_at=now, variant=variant
        ),
        send_at=now,
        audience="line_manager",
        settings=settings,
        person_id=first.answer.manager_id,
        source=source_for(nudge.id),
        tz=to.tz,
    )
    await q.update_answers(session=session, nudge_answer_ids=[p[0] for p in pairs], reminded_at=now)


# --- what staff do -------------------------------------------------------------------------


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


async def _audit_staff(
    session: AsyncSession, staff_person_id: int | None, action: str, subject: str
) -> None:
    """Audit what staff did (from the CLI when no person is given)."""
    await record_audit(
        session=session,
        actor=f"person:{staff_person_id}" if staff_person_id else "cli",
        actor_id=staff_person_id,
        action=action,
        subject=subject,
    )


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
    await _send_again(
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
    await _audit_staff(session, staff_person_id, "nudge.resend", f"nudge_answer:{nudge_answer_id}")
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
        await _audit_staff(
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
    await _audit_staff(session, staff_person_id, "nudges.silent_read", f"cohort:{cohort.id}")
    return InvolvementOverview(
        cohort.id, cohort.name, await involvement_figures(session, cohort.id), silent
    )


# --- what a manager sees -------------------------------------------------------------------


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
    await _audit_staff(session, staff_person_id, "nudges.followup_read", f"cohort:{cohort.id}")
    return ManagerFollowup(cohort.id, cohort.name, cases)
