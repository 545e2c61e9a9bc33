"""The pulse job: open due pulses (invite), remind non-respondents once, close at the deadline.

`run_pulse_tick(runtime, now)` holds the work with time as a parameter; `register` ticks it every
5 minutes. All state is in the pulse and participation rows, so a missed tick loses nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot import claims, scheduled
from bot.pulses import TickResult, scrub, tick
from bot.runtime import Runtime

logger = logging.getLogger(__name__)

JOB_ID = "pulse_tick"
INTERVAL_MINUTES = 5


async def run_pulse_tick(runtime: Runtime, now: datetime) -> TickResult:
    """Open, remind and close pulses as of `now`, in one transaction; then scrub released receipts.

    The scrub runs after every tick that closed a pulse and again on later ticks until it
    succeeds (a SQLite checkpoint can be held up by a reader), so no receipt lingers in the files.
    """
    async with runtime.db.transaction() as session:
        # Under the job's row lock: another process's tick waits, then finds the pulses
        # already opened, reminded and closed.
        await claims.serialise(session, job=scheduled.JOB_PULSES)
        result = await tick(session, now=now, settings=runtime.settings)
    if result.closed or runtime.scrub_pending:
        runtime.scrub_pending = not await scrub(runtime.db.engine)
        if runtime.scrub_pending:
            logger.warning("Could not yet scrub released pulse receipts; trying again next tick")
    return result


def register(scheduler: AsyncIOScheduler, runtime: Runtime) -> None:
    """Add the pulse job."""

    async def pulse_tick() -> None:
        try:
            result = await run_pulse_tick(runtime, runtime.clock.now())
        except Exception:
            logger.exception("Failed to run the pulse tick")
            return
        if result.opened or result.reminded or result.closed:
            logger.info(
                "Pulses: %d opened (%d invited), %d reminded, %d closed",
                result.opened,
                result.invited,
                result.reminded,
                result.closed,
            )

    scheduler.add_job(
        pulse_tick,
        IntervalTrigger(minutes=INTERVAL_MINUTES, timezone=runtime.settings.zone),
        id=JOB_ID,
        name="pulse invitations, reminders and closing",
        next_run_time=runtime.clock.now() + timedelta(seconds=20),
        replace_existing=True,
    )
