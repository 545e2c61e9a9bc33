"""The weekly staff digest of dropout signals, Monday 08:00 in the programme's zone.

`run_weekly_digest(runtime, now)` holds the work with time as a parameter. The run is claimed
per ISO week (`bot.claims`), and the digest's dedupe keys have the week in them, so a second
process or a rerun the same week sends nothing twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot import claims, scheduled
from bot.risk import DigestResult, iso_week, run_digest
from bot.runtime import Runtime

logger = logging.getLogger(__name__)

JOB_ID = "risk_digest"


async def run_weekly_digest(runtime: Runtime, now: datetime) -> DigestResult | None:
    """Record this week's risk cases and queue the digest to staff; None if another process
    (or an earlier run) did this week's."""
    async with runtime.db.transaction() as session:
        week = iso_week(now, runtime.settings.zone)
        if not await claims.claim_once(
            session, job=scheduled.JOB_DIGEST, subject="staff", due=week, now=now
        ):
            return None
        return await run_digest(session, now=now, settings=runtime.settings)


def register(scheduler: AsyncIOScheduler, runtime: Runtime) -> None:
    """Add the Monday-morning digest job."""

    async def digest() -> None:
        try:
            result = await run_weekly_digest(runtime, runtime.clock.now())
        except Exception:
            logger.exception("Failed to run the weekly dropout digest")
            return
        if result is None:
            return
        logger.info(
            "Dropout digest %s: %d cases, %d staff", result.week, result.cases, result.staff
        )

    scheduler.add_job(
        digest,
        CronTrigger(day_of_week="mon", hour=8, minute=0, timezone=runtime.settings.zone),
        id=JOB_ID,
        name="weekly dropout digest for staff",
        replace_existing=True,
        misfire_grace_time=6 * 3600,  # a bot restarted at 09:30 still sends Monday's digest
    )
