"""The planner: turns a cohort's plan into scheduled deliveries in the outbox.

`plan_deliveries` runs after every `cohortbot plan apply`, in the same transaction, and may be
run again at any time (after a people import, after a class channel was created). It enqueues
with stable dedupe keys and `replace_pending=True`, so re-applying a plan reschedules what is
still pending and never sends anything twice; pending deliveries the plan no longer implies
(a withdrawn participant, a removed reminder offset) are cancelled.

Per assignment (source `assignment:{id}`):
- `assignment:{id}:post:class:{class id}` to each class channel at the release time;
- `assignment:{id}:reminder:{offset}:person:{pid}` to each participant taking part who has not
  marked it done, `offset` minutes before the due time (default 7 days and 1 day);
- `assignment:{id}:overdue:person:{pid}` at 08:00 local the morning after the due time.
Per nudge: `nudge:{id}:manager:{mid}`, one combined message per manager (bot.line_managers).
Every send time goes through the delivery engine's quiet hours and Norwegian holidays.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import delivery
from bot.assignments import (
    KIND_OVERDUE,
    KIND_POST,
    KIND_REMINDER,
    post_message,
    reminder_message,
    source_for,
)
from bot.identities import reach, teams_identities
from bot.line_managers import plan_nudges
from bot.messages import DEFAULT_LOCALE, normalise_locale, t
from bot.settings import Settings
from bot.timing import QuietHours, local_time, next_allowed
from storage.models import Assignment
from storage.queries import assignments as q

logger = logging.getLogger(__name__)

OVERDUE_NOTICE_AT = time(8, 0)


async def plan_deliveries(
    *,
    session: AsyncSession,
    cohort_id: int,
    settings: Settings,
    now: datetime,
    warnings: list[str] | None = None,
) -> int:
    """Schedule every delivery the cohort's plan implies; return how many were written.

    Args:
        warnings: when given, gets one line per thing staff should fix (a class without a
            Slack channel gets no assignment posts until it has one).
    """
    cohort = await q.get_cohort(session=session, cohort_id=cohort_id)
    if cohort is None:
        raise ValueError(f"no cohort {cohort_id}")
    tz = cohort.timezone or settings.timezone
    written = 0
    classes = await q.list_classes(session=session, cohort_id=cohort_id)
    participants = await q.list_participants(session=session, cohort_id=cohort_id)
    assignments = await q.list_assignments(session=session, cohort_id=cohort_id)
    done = {
        (p.assignment_id, p.person_id)
        for p in await q.list_progress(
            session=session, assignment_ids=[a.id for a in assignments if a.id is not None]
        )
        if p.done_at is not None
    }
    policy = QuietHours.from_settings(settings)
    for assignment in assignments:
        assert assignment.id is not None
        source = source_for(assignment.id)
        wanted: set[str] = set()
        pending = set(await q.pending_dedupe_keys(session=session, source=source))
        for klass in classes:
            if not klass.slack_channel_id:
                note = (
                    t("assignment.status.no_channel", DEFAULT_LOCALE, name=klass.name)
                    + f" ({assignment.key})"
                )
                # The caller shows collected warnings to the person; otherwise (the periodic
                # re-plan) the log is the only place staff will see it.
                logger.log(
                    logging.INFO if warnings is not None else logging.WARNING,
                    "Skipped posting assignment %s: class %s has no channel",
                    assignment.id,
                    klass.id,
                )
                if warnings is not None:
                    warnings.append(note)
                continue
            key = f"{source}:post:class:{klass.id}"
            wanted.add(key)
            written += await delivery.schedule(
                session,
                key=key,
                transport="slack",
                kind=KIND_POST,
                target=klass.slack_channel_id,
                message=post_message(assignment, locale=DEFAULT_LOCALE, tz=tz),
                send_at=assignment.release_at,
                audience="channel",
                settings=settings,
                source=source,
                tz=tz,
                replace_pending=True,
            )
        teams = await teams_identities(session, [p.person_id for p in participants])
        for person in participants:
            if not person.taking_part or (assignment.id, person.person_id) in done:
                continue
            ptz = person.timezone or tz
            locale = normalise_locale(person.locale)
            where = reach(
                email=person.email,
                slack_user_id=person.slack_user_id,
                slack_active=person.slack_active,
                teams=teams.get(person.person_id),
            )
            transport, target = where.transport, where.target
            for kind, key, raw in _personal_times(assignment, person.person_id, ptz):
                when = next_allowed(raw, audience="participant", tz=ptz, policy=policy)
                if kind == KIND_REMINDER and (
                    when >= assignment.due_at or raw < assignment.release_at
                ):
                    continue  # a reminder after the deadline or before the post helps nobody
                if when < now:
                    # Its time has passed: a pending one is due to go (or waits for a paused
                    # transport) and is left alone; a missing one is not sent late.
                    if key in pending:
                        wanted.add(key)
                    continue
                wanted.add(key)
                written += await delivery.schedule(
                    session,
                    key=key,
                    transport=transport,
                    kind=kind,
                    target=target,
                    message=reminder_message(
                        assignment,
                        locale=locale,
                        tz=ptz,
                        overdue=kind == KIND_OVERDUE,
                        with_buttons=transport != "email",
                    ),
                    send_at=raw,
                    audience="participant",
                    settings=settings,
                    person_id=person.person_id,
                    source=source,
                    tz=ptz,
                    replace_pending=True,
                )
        stale = [k for k in pending if k not in wanted]
        await q.cancel_by_keys(session=session, dedupe_keys=stale, reason="no longer in the plan")
    written += await plan_nudges(session, cohort_id=cohort_id, tz=tz, settings=settings, now=now)
    return written


def _personal_times(
    assignment: Assignment, person_id: int, tz: str
) -> list[tuple[str, str, datetime]]:
    """(kind, dedupe key, unadjusted send time) for one participant's reminders."""
    source = source_for(assignment.id or 0)
    out = [
        (
            KIND_REMINDER,
            f"{source}:reminder:{offset}:person:{person_id}",
            before(assignment.due_at, offset, tz),
        )
        for offset in sorted(set(assignment.reminder_offsets), reverse=True)
        if offset > 0
    ]
    due_day = assignment.due_at.astimezone(ZoneInfo(tz)).date()
    overdue_at = local_time(due_day + timedelta(days=1), OVERDUE_NOTICE_AT, tz)
    out.append((KIND_OVERDUE, f"{source}:overdue:person:{person_id}", overdue_at))
    return out


def before(moment: datetime, minutes: int, tz: str) -> datetime:
    """`minutes` before `moment`, whole days counted on the local wall clock.

    "7 days before Friday 30 October 09:00" is Friday 23 October 09:00 local, although a DST
    change lies between them; the remainder below a day is elapsed time.
    """
    days, rest = divmod(minutes, 24 * 60)
    zone = ZoneInfo(tz)
    local = moment.astimezone(zone)
    shifted = local_time(
        local.date() - timedelta(days=days), local.time().replace(tzinfo=None), zone
    )
    return shifted - timedelta(minutes=rest)
