"""Answering by email: the page behind an email's buttons (handlers/web/pulse_links)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.messages import normalise_locale, t
from bot.pulses.answers import (
    AnswerOutcome,
    closed_message,
    record_answer,
)
from bot.pulses.common import (
    valid_answer,
)
from bot.settings import Settings
from bot.text import clean
from storage.models import Pulse, PulseQuestion
from storage.queries import pulses as q

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
        if question is None or not valid_answer(question, value, text):
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
