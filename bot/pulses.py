"""Evaluation pulses: create, invite, answer (idempotently), remind non-respondents once, close.

Anonymous pulses (the threat model is in docs/privacy.md)
----------------------------------------------------------
A click on an anonymous pulse writes one thing: the person's receipt in `pulse_receipt`, keyed by
`token = HMAC(COHORTBOT_SECRET_KEY, pulse, person)` and holding all their answers so far, padded
to one size per pulse and sealed with AES-GCM under a key derived from the secret key
(bot.sealed). Nothing that names the person changes: no participation flag, no reminder row.
The reminder pass decides at reminder time, from the receipts, who has not answered.

When the pulse closes (`release`), the receipts are opened, the answers are shuffled and written
to `pulse_answer` in one statement with no person, no token, no time and a random id, the class
only where the class's respondents are shown in the results; the number who answered per class
goes to `pulse_response_count`; the receipts are deleted. After the commit `scrub` checkpoints
and truncates SQLite's WAL (secure_delete zeroes the deleted bytes) or runs VACUUM FULL on
PostgreSQL. Results of an anonymous pulse exist only from then on: live results change once, at
close. Named pulses store the person on the answer at once, and say so to the person.
"""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import pulse_links, sealed
from bot.delivery import cancel, schedule
from bot.identities import Reach, reach, teams_identities
from bot.messages import esc, format_when, normalise_locale, t
from bot.notifier import Button, OutgoingMessage, Section
from bot.reach import bounced, channel_of
from bot.settings import Settings
from bot.suppression import suppress_groups
from bot.text import clean
from bot.timing import QuietHours, next_allowed
from storage.models import PersonIdentity, Pulse, PulseQuestion
from storage.queries import pulses as q
from storage.queries import reach as rq
from storage.queries.people import record_audit

logger = logging.getLogger(__name__)

KINDS = ("scale5", "nps", "choice", "text")
MAX_QUESTIONS = 3
MAX_TEXT = 3000
INVITE_KIND = "pulse_invite"
REMINDER_KIND = "pulse_reminder"
ANSWER_ACTION = "pulse.answer"  # + ".{question_id}.{value}": Slack wants unique action ids
TEXT_ACTION = "pulse.text"  # + ".{question_id}": opens the free-text modal


class PulseError(ValueError):
    """A pulse definition or answer that cannot be accepted; the message is user-facing."""


@dataclass(frozen=True)
class QuestionSpec:
    kind: str
    text: str
    choices: tuple[str, ...] = ()


def respondent_token(settings: Settings, pulse_id: int, person_id: int) -> str:
    """Return HMAC-SHA256(secret, pulse, person) as hex: stable per person and pulse, unguessable."""
    return sealed.respondent_token(settings.signing_key, pulse_id, person_id)


def earlier_tokens(settings: Settings, pulse_id: int, person_id: int) -> list[tuple[str, bytes]]:
    """(token, key) under COHORTBOT_SECRET_KEY_PREVIOUS: receipts and named answers written
    before a key rotation are still found and opened with the key they were written under."""
    return [
        (sealed.respondent_token(k, pulse_id, person_id), k) for k in settings.verification_keys[1:]
    ]


def source_of(pulse_id: int) -> str:
    return f"pulse:{pulse_id}"


def invite_key(pulse_id: int, person_id: int) -> str:
    return f"pulse:{pulse_id}:invite:person:{person_id}"


def reminder_key(pulse_id: int, person_id: int) -> str:
    return f"pulse:{pulse_id}:reminder:person:{person_id}"


def reminder_time(pulse: Pulse) -> datetime:
    """When the one reminder goes: the pulse's own time, or halfway to the deadline."""
    return pulse.reminder_at or pulse.opens_at + (pulse.closes_at - pulse.opens_at) / 2


def audience_kind(pulse: Pulse) -> str:
    """The delivery audience (quiet hours) for the pulse's recipients."""
    return "alumni" if pulse.audience == "alumni" else "participant"


# --- creating ------------------------------------------------------------------------------


def validate_questions(questions: list[QuestionSpec]) -> None:
    """Raise PulseError unless there are 1–3 well-formed questions."""
    if not 1 <= len(questions) <= MAX_QUESTIONS:
        raise PulseError(f"a pulse has 1 to {MAX_QUESTIONS} questions, not {len(questions)}")
    for i, qs in enumerate(questions, start=1):
        if qs.kind not in KINDS:
            raise PulseError(f"question {i}: kind must be one of {', '.join(KINDS)}")
        if not qs.text.strip() or len(qs.text) > 500:
            raise PulseError(f"question {i}: the text must be 1–500 characters")
        if qs.kind == "choice" and not 2 <= len(qs.choices) <= 10:
            raise PulseError(f"question {i}: a choice question needs 2–10 choices")
        if any(len(c) > 75 for c in qs.choices):
            raise PulseError(f"question {i}: a choice fits on a button (75 characters)")


async def create_pulse(
    session: AsyncSession,
    *,
    title: str,
    questions: list[QuestionSpec],
    cohort_id: int | None,
    opens_at: datetime,
    closes_at: datetime,
    now: datetime,
    anonymous: bool = True,
    audience: str = "participants",
    reminder_at: datetime | None = None,
    created_by_id: int | None = None,
    key: str | None = None,
) -> Pulse:
    """Create an ad hoc pulse; invitations go out from the pulse tick once it opens."""
    validate_questions(questions)
    if closes_at <= max(opens_at, now):
        raise PulseError("the pulse must close after it opens and after now")
    if not (audience in ("participants", "alumni") or audience.startswith("class:")):
        raise PulseError("audience is participants, alumni or class:<key>")
    if reminder_at is None:
        # Halfway: late enough to catch most answers first, early enough to be useful.
        reminder_at = opens_at + (closes_at - opens_at) / 2
    pulse = Pulse(
        cohort_id=cohort_id,
        key=key or f"adhoc-{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:4]}",
        title=title.strip()[:200],
        anonymous=anonymous,
        audience=audience,
        opens_at=opens_at,
        closes_at=closes_at,
        reminder_at=reminder_at,
        created_by_id=created_by_id,
    )
    rows = [
        PulseQuestion(
            pulse_id=0, position=0, kind=x.kind, text=x.text.strip(), choices=list(x.choices)
        )
        for x in questions
    ]
    await q.add_pulse(session=session, pulse=pulse, questions=rows)
    await record_audit(
        session=session,
        actor=f"person:{created_by_id}" if created_by_id else "system",
        actor_id=created_by_id,
        action="pulse.create",
        subject=source_of(pulse.id or 0),
        detail={"anonymous": anonymous, "audience": audience, "questions": len(rows)},
    )
    return pulse


# --- messages ------------------------------------------------------------------------------


def question_buttons(
    pulse_id: int, question: PulseQuestion, locale: str, *, link: EmailLink | None = None
) -> tuple[Button, ...]:
    """The one-click buttons for a question (the free-text one opens a modal).

    With `link` (an email), every button is also a link to the answer page with its value
    chosen: the page shows, only its form records (bot.pulse_links).
    """
    qid = question.id
    buttons = _question_buttons(pulse_id, question, locale)
    if link is None:
        return buttons
    out = []
    for b in buttons:
        value = None if b.action_id.startswith(TEXT_ACTION) else int(b.value.rsplit(":", 1)[1])
        url = pulse_links.placeholder(
            pulse_id=pulse_id,
            person_id=link.person_id,
            expires_at=link.expires_at,
            question_id=qid if value is not None else None,
            value=value,
        )
        out.append(replace(b, url=url))
    return tuple(out)


@dataclass(frozen=True)
class EmailLink:
    """Whose answer page an email's buttons open, and until when."""

    person_id: int
    expires_at: datetime


def _question_buttons(pulse_id: int, question: PulseQuestion, locale: str) -> tuple[Button, ...]:
    qid = question.id
    if question.kind == "scale5":
        values = [(str(v), str(v)) for v in range(1, 6)]
    elif question.kind == "nps":
        values = [(str(v), str(v)) for v in range(11)]
    elif question.kind == "choice":
        values = [(c, str(i)) for i, c in enumerate(question.choices)]
    else:
        return (
            Button(
                action_id=f"{TEXT_ACTION}.{qid}",
                label=t("pulse.text.button", locale),
                value=f"{pulse_id}:{qid}",
            ),
        )
    return tuple(
        Button(action_id=f"{ANSWER_ACTION}.{qid}.{v}", label=label, value=f"{pulse_id}:{qid}:{v}")
        for label, v in values
    )


def question_hint(question: PulseQuestion, locale: str) -> str:
    if question.kind == "scale5":
        return t("pulse.scale.hint", locale)
    if question.kind == "nps":
        return t("pulse.nps.hint", locale)
    return ""


def build_pulse_message(
    pulse: Pulse,
    questions: list[PulseQuestion],
    *,
    locale: str,
    reminder: bool = False,
    email_to: int | None = None,
) -> OutgoingMessage:
    """The DM that asks the questions, saying exactly what kind of pulse it is.

    `email_to` (a person id): the email version, whose buttons link to the answer page.
    """
    loc = normalise_locale(locale)
    closes = format_when(pulse.closes_at, loc)
    kind = t("pulse.kind.anonymous" if pulse.anonymous else "pulse.kind.named", loc)
    lead_key = "pulse.invite.lead"
    if reminder:
        lead_key = "pulse.reminder.lead_anonymous" if pulse.anonymous else "pulse.reminder.lead"
    lead = t(
        lead_key,
        loc,
        title=pulse.title,
        when=closes,
    )
    sections = [Section(text=f"{lead}\n{kind}")]
    link = None if email_to is None else EmailLink(email_to, pulse.closes_at)
    for question in questions:
        hint = question_hint(question, loc)
        text = f"*{question.position}. {esc(question.text)}*" + (f"\n_{hint}_" if hint else "")
        buttons = question_buttons(pulse.id or 0, question, loc, link=link)
        sections.append(Section(text=text, buttons=buttons))
    context = t("pulse.invite.context", loc, when=closes)
    if link is not None:
        context += "\n\n" + t("pulse.email.context", loc)
    return OutgoingMessage(
        text=lead,
        title=esc(pulse.title),
        subject=None if link is None else t("pulse.email.subject", loc, title=pulse.title),
        sections=tuple(sections),
        context=context,
        locale=loc,
        meta={"pulse_id": pulse.id, "kind": REMINDER_KIND if reminder else INVITE_KIND},
    )


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
            if question is None or not _valid(question, value, text):
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


# --- answering -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerOutcome:
    """What happened to an answer. `status`: recorded | changed | unchanged | closed |
    not_invited | invalid. `message` is the user-facing text in the person's language."""

    status: str
    message: str
    pulse: Pulse | None = None
    question: PulseQuestion | None = None
    value: int | None = None
    text: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status in ("recorded", "changed", "unchanged")


def answer_label(question: PulseQuestion, value: int | None, text: str | None) -> str:
    """The recorded answer as the person would say it ("4", "Ja", or the text)."""
    if question.kind == "choice" and value is not None and 0 <= value < len(question.choices):
        return question.choices[value]
    if value is not None:
        return str(value)
    return text or ""


def _valid(question: PulseQuestion, value: int | None, text: str | None) -> bool:
    if question.kind == "text":
        return value is None and text is not None and 0 < len(text.strip()) <= MAX_TEXT
    if value is None or text is not None:
        return False
    if question.kind == "scale5":
        return 1 <= value <= 5
    if question.kind == "nps":
        return 0 <= value <= 10
    return 0 <= value < len(question.choices)


def closed_message(pulse: Pulse, *, now: datetime, locale: str = "nb") -> str | None:
    """The "this pulse closed …" text when the pulse no longer takes answers, else None.

    It names the deadline people were given, not when the close job happened to run (which may
    be later); only a pulse staff closed early names the earlier moment.
    """
    if pulse.closed_at is None and now < pulse.closes_at:
        return None
    closed_at = pulse.closes_at
    if pulse.closed_at is not None and pulse.closed_at < pulse.closes_at:
        closed_at = pulse.closed_at
    loc = normalise_locale(locale)
    return t("pulse.answer.closed", loc, when=format_when(closed_at, loc))


async def record_answer(
    session: AsyncSession,
    pulse_id: int,
    person_id: int,
    question_id: int,
    value: int | None = None,
    text: str | None = None,
    *,
    now: datetime,
    settings: Settings,
    locale: str = "nb",
) -> AnswerOutcome:
    """Record one answer: idempotent, changeable until the pulse closes, refused after.

    Anonymous pulses: only the person's sealed receipt is written (one statement), nothing else.
    Named pulses: the answer row with the person, and the participation flag.
    """
    loc = normalise_locale(locale)
    pulse = await q.get_pulse(session=session, pulse_id=pulse_id)
    if pulse is None:
        return AnswerOutcome("invalid", t("pulse.answer.invalid", loc))
    closed = closed_message(pulse, now=now, locale=loc)
    if closed is not None:
        return AnswerOutcome("closed", closed, pulse)
    questions = {x.id: x for x in await q.list_questions(session=session, pulse_id=pulse_id)}
    question = questions.get(question_id)
    if text is not None:
        # No NUL (PostgreSQL cannot store it: the release at close would fail for everybody),
        # control or bidi characters, nor the bot's markers.
        text = clean(text).strip()
    if question is None or not _valid(question, value, text):
        return AnswerOutcome("invalid", t("pulse.answer.invalid", loc), pulse, question)
    participation = await q.get_participation(
        session=session, pulse_id=pulse_id, person_id=person_id
    )
    if participation is None:
        return AnswerOutcome("not_invited", t("pulse.answer.not_invited", loc), pulse, question)
    if pulse.anonymous:
        status = await _seal_answer(
            session, pulse, questions, person_id, question_id, value, text, settings=settings
        )
    else:
        status = await _store_named_answer(
            session, pulse, person_id, question_id, value, text, settings=settings
        )
        if not participation.answered:
            await q.mark_answered(session=session, pulse_id=pulse_id, person_id=person_id)
    if pulse.anonymous:
        message = t("pulse.answer.recorded_anonymous", loc, when=format_when(pulse.closes_at, loc))
    else:
        message = t(
            "pulse.answer.recorded",
            loc,
            answer=answer_label(question, value, text)[:200],
            when=format_when(pulse.closes_at, loc),
        )
    return AnswerOutcome(status, message, pulse, question, value, text)


async def _seal_answer(
    session: AsyncSession,
    pulse: Pulse,
    questions: dict[int | None, PulseQuestion],
    person_id: int,
    question_id: int,
    value: int | None,
    text: str | None,
    *,
    settings: Settings,
) -> str:
    assert pulse.id is not None
    key = settings.signing_key
    token = respondent_token(settings, pulse.id, person_id)
    size = sealed.padded_size([x.kind for x in questions.values()])
    empty = sealed.seal(key, pulse_id=pulse.id, token=token, answers={}, size=size)
    receipt = await q.lock_receipt(session=session, pulse_id=pulse.id, token=token, empty=empty)
    try:
        answers = sealed.unseal(key, pulse_id=pulse.id, token=token, sealed=receipt.sealed)
    except sealed.SealError:
        answers = {}  # does not open (tampered): start again under this key
    for old_token, old_key in earlier_tokens(settings, pulse.id, person_id):
        # Written before a key rotation: open it with the previous key, carry its answers into
        # the receipt under the current key, and drop the old one (the click writes anyway).
        old = await q.get_receipt(session=session, pulse_id=pulse.id, token=old_token)
        if old is None:
            continue
        try:
            earlier = sealed.unseal(old_key, pulse_id=pulse.id, token=old_token, sealed=old.sealed)
        except sealed.SealError:
            earlier = {}
        answers = {**earlier, **answers}
        await q.delete_receipt(session=session, pulse_id=pulse.id, token=old_token)
    before = answers.get(question_id)
    if before is not None and before.get("v") == value and before.get("t") == text:
        return "unchanged"
    answers[question_id] = {"v": value, "t": text}
    blob = sealed.seal(key, pulse_id=pulse.id, token=token, answers=answers, size=size)
    await q.put_receipt(session=session, pulse_id=pulse.id, token=token, sealed=blob)
    return "changed" if before is not None else "recorded"


async def _store_named_answer(
    session: AsyncSession,
    pulse: Pulse,
    person_id: int,
    question_id: int,
    value: int | None,
    text: str | None,
    *,
    settings: Settings,
) -> str:
    assert pulse.id is not None
    token = respondent_token(settings, pulse.id, person_id)
    for old_token, _ in earlier_tokens(settings, pulse.id, person_id):
        # An answer given before a key rotation: move it to the current token, so the new answer
        # replaces it instead of counting twice.
        await q.retoken_answer(
            session=session, question_id=question_id, old_token=old_token, new_token=token
        )
    before = await q.get_answer(session=session, question_id=question_id, respondent_token=token)
    if before is not None and before.value == value and before.text == text:
        return "unchanged"
    await q.upsert_answer(
        session=session,
        pulse_id=pulse.id,
        question_id=question_id,
        person_id=person_id,
        respondent_token=token,
        class_id=await q.class_of(session=session, person_id=person_id, cohort_id=pulse.cohort_id),
        value=value,
        text=text,
        answer_id=uuid.uuid4().hex,
    )
    return "changed" if before is not None else "recorded"


def parse_answer_value(value: str) -> tuple[int, int, int]:
    """Parse a button value "pulse:question:answer" into ints; raise PulseError if malformed."""
    parts = value.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise PulseError("malformed pulse answer")
    return int(parts[0]), int(parts[1]), int(parts[2])


def default_window(now: datetime, days: int = 7) -> tuple[datetime, datetime]:
    """Opens now, closes after `days` days: the usual ad hoc pulse."""
    return now, now + timedelta(days=days)


def describe(pulse: Pulse) -> dict[str, Any]:
    return {"id": pulse.id, "key": pulse.key, "title": pulse.title, "anonymous": pulse.anonymous}


async def audience_options(
    session: AsyncSession, *, locale: str = "nb"
) -> tuple[int | None, list[tuple[str, str]]]:
    """(current cohort id, audience choices) for the creation modal: cohort, its classes, alumni."""
    from bot.assignments import current_cohort_ids
    from storage.queries.report import list_classes

    loc = normalise_locale(locale)
    current = await current_cohort_ids(session)
    cohort_id = current[0] if current else None
    options: list[tuple[str, str]] = []
    if cohort_id is not None:
        options.append((t("report.whole_cohort", loc), "participants"))
        for c in await list_classes(session=session, cohort_ids=[cohort_id]):
            options.append((c.name, f"class:{c.key}"))
    options.append((t("report.alumni", loc), "alumni"))
    return cohort_id, options


async def find_pulse(session: AsyncSession, *, ref: str) -> Pulse | None:
    """A pulse by id, key or title (the newest if several match)."""
    return await q.find_pulse(session=session, ref=ref)


async def recent_pulses(session: AsyncSession, *, limit: int = 8) -> list[Pulse]:
    """The newest pulses, for "which pulse?" hints to staff."""
    return await q.recent_pulses(session=session, limit=limit)


async def find_question(
    session: AsyncSession, *, pulse_id: int, question_id: int
) -> tuple[Pulse, PulseQuestion] | None:
    """The pulse and one of its questions, or None if either is unknown."""
    pulse = await q.get_pulse(session=session, pulse_id=pulse_id)
    if pulse is None:
        return None
    questions = await q.list_questions(session=session, pulse_id=pulse_id)
    question = next((x for x in questions if x.id == question_id), None)
    return None if question is None else (pulse, question)


# --- answering by email (the page behind an email's buttons, handlers/web/pulse_links) ----


@dataclass(frozen=True)
class EmailPage:
    """What the answer page of one person's pulse link shows. Built by reading only."""

    pulse: Pulse
    questions: list[PulseQuestion]
    locale: str
    closed: str | None  # the "closed …" text when it no longer takes answers
    invited: bool


async def email_page(
    session: AsyncSession, *, pulse_id: int, person_id: int, now: datetime
) -> EmailPage | None:
    """The page for a verified link, or None when the pulse or person is gone. Writes nothing."""
    pulse = await q.get_pulse(session=session, pulse_id=pulse_id)
    locale = await q.locale_of(session=session, person_id=person_id)
    if pulse is None or locale is None:
        return None
    loc = normalise_locale(locale)
    participation = await q.get_participation(
        session=session, pulse_id=pulse_id, person_id=person_id
    )
    return EmailPage(
        pulse=pulse,
        questions=await q.list_questions(session=session, pulse_id=pulse_id),
        locale=loc,
        closed=closed_message(pulse, now=now, locale=loc),
        invited=participation is not None,
    )


async def record_email_answers(
    session: AsyncSession,
    *,
    pulse_id: int,
    person_id: int,
    answers: list[tuple[int, int | None, str | None]],
    now: datetime,
    settings: Settings,
) -> list[AnswerOutcome]:
    """Record the answers of one POST of the answer page, as the same clicks in Slack would.

    Each (question id, value, text) goes through `record_answer`, in the caller's transaction:
    for an anonymous pulse that is the person's sealed receipt and nothing else.
    """
    locale = await q.locale_of(session=session, person_id=person_id) or "nb"
    questions = {x.id: x for x in await q.list_questions(session=session, pulse_id=pulse_id)}
    answers = [(qid, v, clean(x).strip() if x is not None else None) for qid, v, x in answers]
    for qid, value, text in answers:
        question = questions.get(qid)
        if question is None or not _valid(question, value, text):
            # All or nothing: one bad answer in the form records none of them.
            loc = normalise_locale(locale)
            return [AnswerOutcome("invalid", t("pulse.answer.invalid", loc), None, question)]
    return [
        await record_answer(
            session,
            pulse_id,
            person_id,
            qid,
            value,
            text,
            now=now,
            settings=settings,
            locale=locale,
        )
        for qid, value, text in answers
    ]
