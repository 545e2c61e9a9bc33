"""The planner: turns a cohort's plan into scheduled deliveries in the outbox.

`plan_deliveries` runs after every `cohortbot plan apply`, in the same transaction, and may be
run again at any time (after a people import, after a class channel was created). It enqueues
with stable dedupe keys and `replace_pending=True`, so re-applying a plan reschedules what is
still pending and never sends anything twice; pending deliveries the plan no longer implies
(a withdrawn participant, a removed reminder offset) are cancelled.

Per assignment (source `assignment:{id}`):
- `assignment:{id}:post:class:{class id}` to each class channel at the release time;
- `assignment:{id}:post:person:{pid}` to each participant only email reaches (in no class
  channel), at the release time;
- `assignment:{id}:reminder:{offset}:person:{pid}` to each participant taking part who has not
  marked it done, `offset` minutes before the due time (default 7 days and 1 day);
- `assignment:{id}:overdue:person:{pid}` at 08:00 local the morning after the due time.
Per nudge: `nudge:{id}:manager:{mid}`, one combined message per manager (bot.line_managers).
Every send time goes through the delivery engine's quiet hours and Norwegian holidays.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.assignments import (
    KIND_OVERDUE,
    KIND_POST,
    KIND_RELEASE,
    KIND_REMINDER,
    post_message,
    reminder_message,
    source_for,
)
from bot.delivery import held_note
from bot.identities import reach, teams_identities
from bot.line_managers.planning import answer_row_changes, nudge_changes, plan_nudges
from bot.messages import DEFAULT_LOCALE, normalise_locale, t
from bot.notifier import OutgoingMessage
from bot.plan_changes import NOT_IN_PLAN, WRITE_CHUNK, PlanChanges, restorable, write_changes
from bot.planner_hash import message_json
from bot.settings import Settings
from bot.timing import QuietHours, local_time, next_allowed
from storage.db import Database
from storage.models import ERASED_EMAIL_SUFFIX, Assignment, DeliveryState
from storage.queries import assignments as q
from storage.queries import deliveries as dq
from storage.queries import nudges as nq

logger = logging.getLogger(__name__)

OVERDUE_NOTICE_AT = time(8, 0)


# A cohort's plan may imply at most this many deliveries (about 25 assignments with three
# personal messages each for 6,000 participants); beyond it the plan is refused with a clear
# error instead of filling the outbox (docs/plan-format.md, "Size limits").
MAX_DELIVERIES_PER_COHORT = 500_000


class PlanTooLarge(ValueError):
    """The plan implies more deliveries than the planner takes for one cohort."""


def check_size(*, cohort_key: str, assignments: int, classes: int, taking_part: int) -> None:
    """Raise PlanTooLarge when a cohort's plan would imply more than MAX_DELIVERIES_PER_COHORT
    deliveries: about assignments × (classes + 3 × participants taking part)."""
    implied = assignments * (classes + 3 * taking_part)
    if implied > MAX_DELIVERIES_PER_COHORT:
        raise PlanTooLarge(
            f"the plan for cohort {cohort_key} implies about {implied:,} deliveries "
            f"({assignments} assignments, {taking_part} participants); the planner "
            f"takes at most {MAX_DELIVERIES_PER_COHORT:,} per cohort: split the cohort or "
            "use fewer assignments or reminders"
        )


async def check_cohort_size(session: AsyncSession, cohort_id: int) -> None:
    """`check_size` for the cohort as the session sees it (before a commit that would make
    it too large: the caller rolls back, so nothing changes)."""
    cohort = await q.get_cohort(session=session, cohort_id=cohort_id)
    if cohort is None:
        return
    participants = await q.list_participants(session=session, cohort_id=cohort_id)
    check_size(
        cohort_key=cohort.key,
        assignments=len(await q.list_assignments(session=session, cohort_id=cohort_id)),
        classes=len(await q.list_classes(session=session, cohort_id=cohort_id)),
        taking_part=sum(1 for p in participants if p.taking_part),
    )


def _json(message: OutgoingMessage) -> dict[str, Any]:
    return message_json(message)


async def plan_changes(
    *,
    session: AsyncSession,
    cohort_id: int,
    settings: Settings,
    now: datetime,
    warnings: list[str] | None = None,
    participants: list[q.ParticipantRow] | None = None,
    assignment_ids: Collection[int] | None = None,
    assignments: list[Assignment] | None = None,
) -> PlanChanges:
    """Work out what the cohort's plan implies and how it differs from the outbox. Reads only.

    `participants` replaces the stored ones (an import's dry run counts what the planner would
    do for the people it has not written). With `assignment_ids`, only those assignments'
    deliveries are compared (a plan apply that changed them and nothing else); `assignments`
    replaces the stored ones (a plan's dry run, whose new assignments are only in memory).
    Raises PlanTooLarge beyond MAX_DELIVERIES_PER_COHORT.
    """
    cohort = await q.get_cohort(session=session, cohort_id=cohort_id)
    if cohort is None:
        raise ValueError(f"no cohort {cohort_id}")
    tz = cohort.timezone or settings.timezone
    classes = await q.list_classes(session=session, cohort_id=cohort_id)
    if participants is None:
        participants = await q.list_participants(session=session, cohort_id=cohort_id)
    if assignments is None:
        assignments = await q.list_assignments(session=session, cohort_id=cohort_id)
    done = {
        (p.assignment_id, p.person_id)
        for p in await q.list_progress(
            session=session, assignment_ids=[a.id for a in assignments if a.id is not None]
        )
        if p.done_at is not None
    }
    taking_part = [p for p in participants if p.taking_part]
    check_size(
        cohort_key=cohort.key,
        assignments=len(assignments),
        classes=len(classes),
        taking_part=len(taking_part),
    )
    if assignment_ids is not None:
        assignments = [a for a in assignments if a.id in assignment_ids]
    sources = [source_for(a.id) for a in assignments if a.id is not None]
    existing = await dq.existing_for_sources(session=session, sources=sources)
    teams = await teams_identities(session, [p.person_id for p in taking_part])
    policy = QuietHours.from_settings(settings)
    changes = PlanChanges()
    held_for = cache(lambda transport: held_note(transport, settings))  # "held:" per transport

    def want(
        key: str,
        *,
        transport: str,
        kind: str,
        target: str,
        message: dict[str, Any],
        send_at: datetime,
        source: str,
        person_id: int | None = None,
    ) -> None:
        changes.wanted += 1
        row = existing.get(key)
        if row is None:
            into = changes.inserts
        elif restorable(row, send_at, now):  # cancelled when they withdrew; reinstated now
            into = changes.restores
        elif row.state == DeliveryState.PENDING and (
            row.send_at != send_at
            or row.target != target
            or row.transport != transport
            or row.plan_hash != message["meta"]["plan_hash"]
            or row.urgent
        ):
            into = changes.updates
        else:
            return  # as stored: nothing to write (most rows of a re-plan)
        into.append(
            {
                "dedupe_key": key,
                "transport": transport,
                "kind": kind,
                "target": target,
                "message": message,
                "send_at": send_at,
                "person_id": person_id,
                "source": source,
                "urgent": False,
                "error": held_for(transport),
            }
        )

    messages: dict[tuple[Any, ...], dict[str, Any]] = {}
    pending_by_source = pending_keys_by_source(existing)
    # Send times depend on the assignment and the zone only: worked out once per zone, not
    # once per participant (quiet hours and holidays cost a few calendar look-ups each).
    times: dict[tuple[int, str, bool], list[tuple[str, str, datetime]]] = {}
    for assignment in assignments:
        assert assignment.id is not None
        source = source_for(assignment.id)
        wanted: set[str] = set()
        pending = pending_by_source.get(source, set())
        post = _json(post_message(assignment, locale=DEFAULT_LOCALE, tz=tz))
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
            want(
                key,
                transport="slack",
                kind=KIND_POST,
                target=klass.slack_channel_id,
                message=post,
                send_at=next_allowed(
                    assignment.release_at, audience="channel", tz=tz, policy=policy
                ),
                source=source,
            )
        for person in taking_part:
            if (assignment.id, person.person_id) in done:
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
            if target.endswith(ERASED_EMAIL_SUFFIX):
                continue  # an erased person's stub, kept for a report: never messaged
            slots = _slots(times, assignment, ptz, policy, email=transport == "email")
            for kind, middle, when in slots:
                key = f"{source}:{middle}:person:{person.person_id}"
                if when < now:
                    # Its time has passed: a pending one is due to go (or waits for a paused
                    # transport) and is left alone; a missing one is not sent late.
                    if key in pending:
                        wanted.add(key)
                    continue
                wanted.add(key)
                cache_key = (assignment.id, locale, ptz, kind, transport != "email")
                message = messages.get(cache_key)
                if message is None:
                    message = messages[cache_key] = _personal_message(
                        assignment, kind, locale=locale, tz=ptz, email=transport == "email"
                    )
                want(
                    key,
                    transport=transport,
                    kind=kind,
                    target=target,
                    message=message,
                    send_at=when,
                    source=source,
                    person_id=person.person_id,
                )
        changes.cancels.extend((k, NOT_IN_PLAN) for k in sorted(pending - wanted))
    return changes


def _slots(
    times: dict[tuple[Any, str, bool], list[tuple[str, str, datetime]]],
    assignment: Assignment,
    tz: str,
    policy: QuietHours,
    *,
    email: bool,
) -> list[tuple[str, str, datetime]]:
    """A participant's (kind, key middle, send time) slots, computed once per zone and reach
    in `times`.

    A participant only email reaches is in no class channel: the assignment itself comes to
    them by email too, at the release time (`{source}:post:person:{id}`)."""
    slots = times.get((assignment.id, tz, email))
    if slots is None:
        slots = _send_times(assignment, tz, policy)
        if email:
            release = next_allowed(
                assignment.release_at, audience="participant", tz=tz, policy=policy
            )
            slots = [(KIND_RELEASE, "post", release), *slots]
        times[(assignment.id, tz, email)] = slots
    return slots


def _personal_message(
    assignment: Assignment, kind: str, *, locale: str, tz: str, email: bool
) -> dict[str, Any]:
    """One participant's message about an assignment (email: no buttons to press)."""
    if kind == KIND_RELEASE:
        return _json(post_message(assignment, locale=locale, tz=tz, with_buttons=False))
    return _json(
        reminder_message(
            assignment, locale=locale, tz=tz, overdue=kind == KIND_OVERDUE, with_buttons=not email
        )
    )


def pending_keys_by_source(existing: dict[str, dq.ExistingDelivery]) -> dict[str, set[str]]:
    """The pending rows' dedupe keys, by source (`assignment:7`, `nudge:3`: the key's start)."""
    out: dict[str, set[str]] = {}
    for k, row in existing.items():
        if row.state == DeliveryState.PENDING:
            out.setdefault(":".join(k.split(":", 2)[:2]), set()).add(k)
    return out


def _send_times(
    assignment: Assignment, tz: str, policy: QuietHours
) -> list[tuple[str, str, datetime]]:
    """(kind, key middle, send time) of a participant's messages about an assignment in zone
    `tz`, after quiet hours and holidays; reminders that would come after the deadline or
    before the post are left out. The dedupe key is `{source}:{middle}:person:{id}`."""
    out = []
    for kind, key, raw in _personal_times(assignment, 0, tz):
        when = next_allowed(raw, audience="participant", tz=tz, policy=policy)
        if kind == KIND_REMINDER and (when >= assignment.due_at or raw < assignment.release_at):
            continue  # a reminder after the deadline or before the post helps nobody
        middle = key.removeprefix(source_for(assignment.id or 0) + ":").removesuffix(":person:0")
        out.append((kind, middle, when))
    return out


async def plan_deliveries(
    *,
    session: AsyncSession,
    cohort_id: int,
    settings: Settings,
    now: datetime,
    warnings: list[str] | None = None,
) -> int:
    """Schedule every delivery the cohort's plan implies, in the caller's transaction.

    Writes only what differs from the outbox (new, moved or changed deliveries; cancels the
    ones no longer implied). Returns how many rows were written. For the running bot use
    `replan_cohort`, which writes in short transactions.

    Args:
        warnings: when given, gets one line per thing staff should fix (a class without a
            Slack channel gets no assignment posts until it has one).
    """
    changes = await plan_changes(
        session=session, cohort_id=cohort_id, settings=settings, now=now, warnings=warnings
    )
    written = await write_changes(session, changes, now=now)
    tz = await _cohort_tz(session, cohort_id, settings)
    written += await plan_nudges(session, cohort_id=cohort_id, tz=tz, settings=settings, now=now)
    return written


async def replan_cohort(
    db: Database,
    *,
    cohort_id: int,
    settings: Settings,
    now: datetime,
    warnings: list[str] | None = None,
    chunk: int = WRITE_CHUNK,
    assignment_ids: Collection[int] | None = None,
    nudge_ids: Collection[int] | None = None,
) -> int:
    """Re-plan a cohort while the bot runs: read without locking, then write only what changed,
    at most `chunk` rows per transaction (so no transaction holds SQLite's write lock for long).
    With `assignment_ids` and `nudge_ids`, only those (a plan apply that changed only them);
    the planner job re-plans everything.

    1. One read works out the assignment deliveries and the nudge answer rows that differ.
    2. The missing answer rows are written (in pieces), since the managers' messages link them.
    3. A second read works out the managers' messages that differ.
    4. Everything is written in pieces: cancellations, then updates, then inserts.
    Safe against concurrent changes and crashes: new rows are inserted only when their key is
    free, updates and cancellations touch only rows still pending (`bot.plan_changes`), so a
    run cut off part-way leaves what the next run completes. Returns how many rows were written.
    """
    async with db.session() as session:
        changes = await plan_changes(
            session=session,
            cohort_id=cohort_id,
            settings=settings,
            now=now,
            warnings=warnings,
            assignment_ids=assignment_ids,
        )
        tz = await _cohort_tz(session, cohort_id, settings)
        answer_rows = await answer_row_changes(session, cohort_id=cohort_id, nudge_ids=nudge_ids)
    for nudge_id, new, moved in answer_rows:
        for i in range(0, max(len(new), len(moved)), chunk):
            async with db.transaction() as session:
                await nq.write_answer_rows(
                    session=session,
                    nudge_id=nudge_id,
                    new=new[i : i + chunk],
                    moved=moved[i : i + chunk],
                )
    async with db.session() as session:
        changes.add(
            await nudge_changes(
                session,
                cohort_id=cohort_id,
                tz=tz,
                settings=settings,
                nudge_ids=nudge_ids,
                now=now,
            )
        )
    for piece in changes.chunks(chunk):
        async with db.transaction() as session:
            await write_changes(session, piece, now=now)
    return changes.written


async def _cohort_tz(session: AsyncSession, cohort_id: int, settings: Settings) -> str:
    cohort = await q.get_cohort(session=session, cohort_id=cohort_id)
    return (cohort.timezone if cohort else None) or settings.timezone


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
