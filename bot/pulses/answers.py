"""Recording an answer: sealed receipts for anonymous pulses, named rows otherwise."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import sealed
from bot.messages import format_when, normalise_locale, t
from bot.pulses.common import (
    PulseError,
    earlier_tokens,
    respondent_token,
    valid_answer,
)
from bot.settings import Settings
from bot.text import clean
from storage.models import Pulse, PulseQuestion
from storage.queries import pulses as q

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
    if question is None or not valid_answer(question, value, text):
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
