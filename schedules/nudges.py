"""The line-manager follow-up job: one reminder after N working days, then escalation to staff.

`run_nudge_followups(runtime, now)` holds the work with time as a parameter; `register` ticks
it every 15 minutes. All state is in the nudge answer rows, so a missed tick loses nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot import claims, scheduled
from bot.line_managers import FollowupStats, run_followups
from bot.runtime import Runtime

logger = logging.getLogger(__name__)

JOB_ID = "nudge_followups"
INTERVAL_MINUTES = 15


async def run_nudge_followups(runtime: Runtime, now: datetime) -> FollowupStats:
    """Sync sent times, remind silent managers once and escalate the still silent."""
    async with runtime.db.transaction() as session:
        await claims.serialise(session, job=scheduled.JOB_FOLLOWUPS)  # one process at a time
        return await run_followups(session, settings=runtime.settings, now=now)


def register(scheduler: AsyncIOScheduler, runtime: Runtime) -> None:
    """Add the follow-up job."""

    async def followups_tick() -> None:
        try:
            stats = await run_nudge_followups(runtime, runtime.clock.now())
        except Exception:
            logger.exception("Failed to run the nudge follow-ups")
            return
        if stats.reminded or stats.escalated:
            logger.info(
                "Nudge follow-ups: %d reminded, %d escalated", stats.reminded, stats.escalated
            )

    scheduler.add_job(
        followups_tick,
        IntervalTrigger(minutes=INTERVAL_MINUTES, timezone=runtime.settings.zone),
        id=JOB_ID,
        name="line-manager reminders and escalation",
        next_run_time=runtime.clock.now() + timedelta(seconds=30),
        replace_existing=True,
    )
