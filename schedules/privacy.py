"""Every minute: queue the privacy notice (art. 13) for people the bot has not told yet.

Safe in any number of processes: the notice's dedupe key is per person.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.privacy import send_due_notices
from bot.runtime import Runtime

logger = logging.getLogger(__name__)

JOB_ID = "privacy_notices"
INTERVAL_MINUTES = 1


async def run_privacy_notices(runtime: Runtime, now: datetime) -> int:
    """Queue notices for everyone not told yet; how many were queued."""
    async with runtime.db.transaction() as session:
        return await send_due_notices(session, runtime.settings, now=now)


def register(scheduler: AsyncIOScheduler, runtime: Runtime) -> None:
    """Add the privacy-notice job."""

    async def notices() -> None:
        try:
            queued = await run_privacy_notices(runtime, runtime.clock.now())
        except Exception:
            logger.exception("Failed to queue privacy notices")
            return
        if queued:
            logger.info("Privacy notices queued: %d", queued)

    scheduler.add_job(
        notices,
        IntervalTrigger(minutes=INTERVAL_MINUTES, timezone=runtime.settings.zone),
        id=JOB_ID,
        name="privacy notices for people not told yet",
        next_run_time=runtime.clock.now() + timedelta(seconds=15),
        replace_existing=True,
    )
