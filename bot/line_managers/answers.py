"""Answering a nudge: one-click answers, "not yet", telling the participant, the link page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import delivery
from bot.identities import reach, teams_identities
from bot.line_managers.common import (
    ANSWERS,
    KIND_CONFIRMED,
    KIND_LATER,
    LATER_DELAY,
    NotYourNudge,
    NudgeNotFound,
    addressee_of,
    answer_label,
    source_for,
    working_days_after,
)
from bot.line_managers.compose import nudge_message
from bot.messages import esc, t
from bot.notifier import OutgoingMessage
from bot.settings import Settings
from storage.models import Nudge, NudgeAnswerValue
from storage.queries import nudges as q
from storage.queries.assignments import cancel_by_keys


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
        to = await addressee_of(session, row, settings.timezone)
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
        now=now,
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
