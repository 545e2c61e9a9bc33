"""The daily retention run, 03:30 in the programme's zone, done once across processes.

Every process has the job; the first to insert the day's job claim (`bot.claims`, unique on job
and local date) does the work, the others find the claim and skip. A crash mid-run rolls the claim back with
the work, so the next tick or the next day tries again.
"""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.retention import RETENTION_JOB, RetentionResult, run_once_today
from bot.runtime import Runtime

logger = logging.getLogger(__name__)

JOB_ID = RETENTION_JOB


async def run_daily_retention(runtime: Runtime, now: datetime) -> RetentionResult | None:
    """Apply the retention rules if no process has done so today; None if one has."""
    return await run_once_today(runtime.db, runtime.settings, now=now)


def register(scheduler: AsyncIOScheduler, runtime: Runtime) -> None:
    """Add the nightly retention job."""

    async def retention() -> None:
        try:
            result = await run_daily_retention(runtime, runtime.clock.now())
        except Exception:
            logger.exception("Failed to run the daily retention rules")
            return
        if result is not None:
            logger.info("Retention: %s", ", ".join(f"{k} {v}" for k, v in result.counts.items()))

    scheduler.add_job(
        retention,
        CronTrigger(hour=3, minute=30, timezone=runtime.settings.zone),
        id=JOB_ID,
        name="daily retention rules",
        replace_existing=True,
        misfire_grace_time=12 * 3600,  # a bot started at 08:00 still runs the night's retention
    )
