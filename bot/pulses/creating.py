"""Creating a pulse, and finding pulses and questions."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.messages import normalise_locale, t
from bot.pulses.common import (
    KINDS,
    MAX_QUESTIONS,
    PulseError,
    QuestionSpec,
    source_of,
)
from storage.models import Pulse, PulseQuestion
from storage.queries import pulses as q
from storage.queries.people import record_audit

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


# --- finding -------------------------------------------------------------------------------


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
