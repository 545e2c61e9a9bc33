"""Inviting, reminding, releasing and closing a pulse (the scheduled tick)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import sealed
from bot.delivery import cancel, schedule
from bot.identities import Reach, reach, teams_identities
from bot.messages import normalise_locale
from bot.notifier import OutgoingMessage
from bot.pulses.common import (
    INVITE_KIND,
    REMINDER_KIND,
    audience_kind,
    earlier_tokens,
    invite_key,
    reminder_key,
    reminder_time,
    respondent_token,
    source_of,
    valid_answer,
)
from bot.pulses.messages import build_pulse_message
from bot.reach import bounced, channel_of
from bot.settings import Settings
from bot.suppression import suppress_groups
from bot.timing import QuietHours, next_allowed
from storage.models import PersonIdentity, Pulse
from storage.queries import pulses as q
from storage.queries import reach as rq

# --- inviting, reminding, closing ----------------------------------------------------------


def _reach(row: Any, teams: dict[int, PersonIdentity]) -> Reach:
    """Slack first, then Teams: the audience rows carry the Slack id, Teams comes by lookup."""
    return reach(
        email=getattr(row, "email", "") or "",
        slack_user_id=row.slack_user_id,
        slack_active=getattr(row, "slack_active", True),
        teams=teams.get(row.person_id),
    )


async def invite(session: AsyncSession, pulse: Pulse, *, now: datetime, settings: Settings) -> int:
    """Ask the pulse's audience (one delivery each) and record who was asked; return how many.

    Each person is asked where they are reached: Slack, else Teams, else email (the buttons
    then link to the answer page). Everybody asked counts as invited. How many were reached
    by which channel, per class, is recorded (`pulse_reach`), with those nothing reaches (no
    chat account and no address, or the address bounced) as "none": they are not asked.
    """
    assert pulse.id is not None
    questions = await q.list_questions(session=session, pulse_id=pulse.id)
    audience = await q.audience_rows(session=session, pulse=pulse)
    teams = await teams_identities(session, [r.person_id for r in audience])
    refused = await bounced(session, [r.email for r in audience if r.email])
    people = []
    reached: dict[tuple[int | None, str], int] = {}
    for r in audience:
        channel = channel_of(_reach(r, teams), bounced=refused)
        reached[(r.class_id, channel)] = reached.get((r.class_id, channel), 0) + 1
        if channel != "none":
            people.append(r)
    await rq.record_pulse_reach(session=session, pulse_id=pulse.id, counts=reached)
    await q.add_participations(
        session=session, pulse_id=pulse.id, person_ids=[r.person_id for r in people], invited_at=now
    )
    messages: dict[str, OutgoingMessage] = {}
    for r in people:
        loc = normalise_locale(r.locale)
        where = _reach(r, teams)
        if where.transport == "email":
            message = build_pulse_message(pulse, questions, locale=loc, email_to=r.person_id)
        else:
            message = messages.get(loc) or build_pulse_message(pulse, questions, locale=loc)
            messages[loc] = message
        await schedule(
            session,
            now=now,
            key=invite_key(pulse.id, r.person_id),
            transport=where.transport,
            kind=INVITE_KIND,
            target=where.target,
            message=message,
            send_at=max(now, pulse.opens_at),
            audience=audience_kind(pulse),
            settings=settings,
            person_id=r.person_id,
            source=source_of(pulse.id),
            tz=r.timezone,
        )
    return len(people)


async def answered_people(
    session: AsyncSession, pulse: Pulse, person_ids: list[int], *, settings: Settings
) -> set[int]:
    """Which of these people have answered: the flag (named) or a receipt (anonymous, needs the key)."""
    assert pulse.id is not None
    if not pulse.anonymous:
        rows = await q.invited_people(session=session, pulse_id=pulse.id)
        return {r.person_id for r in rows if r.answered and r.person_id in set(person_ids)}
    tokens = {respondent_token(settings, pulse.id, pid): pid for pid in person_ids}
    for pid in person_ids:
        tokens.update({tok: pid for tok, _ in earlier_tokens(settings, pulse.id, pid)})
    found = await q.receipt_tokens(session=session, pulse_id=pulse.id, tokens=list(tokens))
    return {tokens[tok] for tok in found}


async def send_reminders(
    session: AsyncSession, pulse: Pulse, *, now: datetime, settings: Settings
) -> int:
    """Remind, once, the people asked: for an anonymous pulse everyone asked, otherwise each
    person who has not answered by the moment the reminder may go.

    An anonymous pulse reminds everybody ("if you have answered already, thank you"), because
    a reminder sent only to those who have not answered would tell whoever reads the outbox
    who answered early. Decided per person when quiet hours let their reminder go (so it is
    sent at once, never queued and then cancelled by an answer); when nobody is left waiting,
    the pass is marked done on the pulse, a time that is the same for everybody. Returns
    reminders queued now.
    """
    assert pulse.id is not None
    invited = await q.invited_people(session=session, pulse_id=pulse.id)
    teams = await teams_identities(session, [r.person_id for r in invited])
    # Everybody asked, on whichever channel reaches them now (an anonymous pulse: all asked).
    people = [r for r in invited if channel_of(_reach(r, teams)) != "none"]
    answered = (
        set()
        if pulse.anonymous
        else await answered_people(session, pulse, [r.person_id for r in people], settings=settings)
    )
    policy = QuietHours.from_settings(settings)
    due_at = reminder_time(pulse)
    questions = await q.list_questions(session=session, pulse_id=pulse.id)
    queued = waiting = 0
    for r in people:
        if r.person_id in answered:
            continue
        tz = r.timezone or settings.timezone
        if next_allowed(due_at, audience=audience_kind(pulse), tz=tz, policy=policy) > now:
            waiting += 1
            continue
        where = _reach(r, teams)
        message = build_pulse_message(
            pulse,
            questions,
            locale=r.locale,
            reminder=True,
            email_to=r.person_id if where.transport == "email" else None,
        )
        if await schedule(
            session,
            now=now,
            key=reminder_key(pulse.id, r.person_id),
            transport=where.transport,
            kind=REMINDER_KIND,
            target=where.target,
            message=message,
            send_at=now,
            audience=audience_kind(pulse),
            settings=settings,
            person_id=r.person_id,
            source=source_of(pulse.id),
            tz=tz,
        ):
            queued += 1
    if not waiting:
        await q.set_reminders_done(session=session, pulse_id=pulse.id, at=now)
        pulse.reminders_done_at = now
    return queued


@dataclass(frozen=True)
class Release:
    """What `release` did: answers written, respondents, and receipts that did not open."""

    answers: int = 0
    respondents: int = 0
    unopened: int = 0


async def release(
    session: AsyncSession,
    pulse: Pulse,
    *,
    now: datetime,
    settings: Settings,
    rng: random.Random | None = None,
) -> Release:
    """Move a closed anonymous pulse's sealed answers into `pulse_answer`, in the caller's transaction.

    Writes, in this order: the answers (shuffled, one statement, no person/token/time, the class
    only for classes shown by `suppress_groups` over respondents per class), the respondent count
    per class, the deletion of every receipt. "Who answered" is never written readable.
    """
    assert pulse.id is not None
    if not pulse.anonymous or pulse.released_at is not None:
        return Release()
    invited = [r.person_id for r in await q.invited_people(session=session, pulse_id=pulse.id)]
    # Each token under the key it was made with: the current one, and the previous one of a
    # rotation (a receipt written before it and not touched since is still counted).
    by_token: dict[str, tuple[int, bytes, int]] = {}
    for pid in invited:
        by_token[respondent_token(settings, pulse.id, pid)] = (pid, settings.signing_key, 0)
        for age, (tok, k) in enumerate(earlier_tokens(settings, pulse.id, pid), 1):
            by_token.setdefault(tok, (pid, k, age))
    questions = {x.id: x for x in await q.list_questions(session=session, pulse_id=pulse.id)}
    found: dict[int, list[tuple[int, dict[int, dict[str, Any]]]]] = {}
    unopened = 0
    for receipt in await q.list_receipts(session=session, pulse_id=pulse.id):
        pid, key, age = by_token.get(receipt.token, (None, b"", 0))
        try:
            answers = (
                sealed.unseal(key, pulse_id=pulse.id, token=receipt.token, sealed=receipt.sealed)
                if pid is not None
                else {}
            )
        except sealed.SealError:
            answers = {}
        if pid is None or not answers:
            # Sealed under a key we no longer have, or of someone no longer asked: not counted.
            unopened += 1
            continue
        found.setdefault(pid, []).append((age, answers))
    opened: list[tuple[int, dict[int, dict[str, Any]]]] = []
    for pid, versions in found.items():
        merged: dict[int, dict[str, Any]] = {}
        for _, answers in sorted(versions, key=lambda v: -v[0]):  # the newest key wins
            merged.update(answers)
        opened.append((pid, merged))
    classes = await q.classes_of(
        session=session, person_ids=[pid for pid, _ in opened], cohort_id=pulse.cohort_id
    )
    respondents: dict[int | None, int] = {}
    for pid, _ in opened:
        respondents[classes[pid]] = respondents.get(classes[pid], 0) + 1
    groups = sorted(respondents, key=lambda c: (c is None, c or 0))
    hidden, _ = suppress_groups([respondents[c] for c in groups], min_n=settings.min_group_size)
    shown = {c for c, h in zip(groups, hidden, strict=True) if not h and c is not None}
    rows: list[dict[str, Any]] = []
    for pid, answers in opened:
        label = classes[pid] if classes[pid] in shown else None
        for qid, a in answers.items():
            question = questions.get(qid)
            value, text = a.get("v"), a.get("t")
            if question is None or not valid_answer(question, value, text):
                continue
            rows.append(
                {
                    "id": uuid.uuid4().hex,
                    "pulse_id": pulse.id,
                    "question_id": qid,
                    "person_id": None,
                    "respondent_token": None,
                    "class_id": label,
                    "value": value,
                    "text": text,
                }
            )
    (rng or random.SystemRandom()).shuffle(rows)
    await q.add_released_answers(session=session, rows=rows)
    await q.add_response_counts(session=session, pulse_id=pulse.id, counts=respondents)
    await q.delete_receipts(session=session, pulse_id=pulse.id)
    await q.set_released(session=session, pulse_id=pulse.id, at=now)
    pulse.released_at = now
    return Release(len(rows), len(opened), unopened)


async def close(session: AsyncSession, pulse: Pulse, *, now: datetime, settings: Settings) -> int:
    """Close the pulse, release an anonymous one's answers, cancel what it still has queued.

    Returns deliveries cancelled. Call `scrub` after the commit.
    """
    assert pulse.id is not None
    await q.set_closed(session=session, pulse_id=pulse.id, at=now)
    pulse.closed_at = now
    await release(session, pulse, now=now, settings=settings)
    return await cancel(session, source=source_of(pulse.id), reason="pulse closed", now=now)


async def scrub(engine: Any) -> bool:
    """After a release commits: make the deleted receipts unrecoverable from the files."""
    return await q.scrub_deleted_receipts(engine=engine)


@dataclass(frozen=True)
class TickResult:
    opened: int = 0
    invited: int = 0
    reminded: int = 0
    closed: int = 0


async def tick(session: AsyncSession, *, now: datetime, settings: Settings) -> TickResult:
    """Open due pulses, remind once at the reminder time, close at the deadline."""
    opened = invited = reminded = closed = 0
    for pulse in await q.pulses_to_close(session=session, now=now):
        await close(session, pulse, now=now, settings=settings)
        closed += 1
    for pulse in await q.pulses_to_open(session=session, now=now):
        invited += await invite(session, pulse, now=now, settings=settings)
        opened += 1
    for pulse in await q.open_pulses(session=session, now=now):
        if reminder_time(pulse) <= now and pulse.reminders_done_at is None:
            reminded += await send_reminders(session, pulse, now=now, settings=settings)
    return TickResult(opened, invited, reminded, closed)
