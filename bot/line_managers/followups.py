"""Reminders and escalation: silent managers are reminded once, then brought to staff."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import delivery
from bot.line_managers.common import (
    KIND_REMINDER,
    addressee_of,
    manager_key,
    source_for,
    working_days_after,
)
from bot.line_managers.compose import nudge_message
from bot.settings import Settings
from storage.queries import nudges as q

logger = logging.getLogger(__name__)


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
        await send_again(
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


async def send_again(
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
    to = await addressee_of(session, first, settings.timezone)
    pairs = [(r.answer.id or 0, r.participant_name) for r in rows]
    await delivery.schedule(
        session,
        now=now,
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
