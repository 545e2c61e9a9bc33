"""The planner job: re-plan every current cohort now and then.

`cohortbot plan apply` and the people import run the planner themselves; this tick catches
what changes elsewhere: a class channel created after the plan was applied (its assignment
posts were skipped until then), a participant withdrawn or a line manager changed by hand.
Re-planning is idempotent: pending rows are rescheduled, sent ones are never sent again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.assignments import current_cohort_ids
from bot.planner import plan_deliveries
from bot.runtime import Runtime

logger = logging.getLogger(__name__)

JOB_ID = "planner"
INTERVAL_MINUTES = 10


async def replan_current_cohorts(runtime: Runtime, now: datetime) -> dict[int, int]:
    """Run the planner for each cohort not completed yet, each in its own transaction."""
    async with runtime.db.session() as session:
        cohort_ids = await current_cohort_ids(session)
    written: dict[int, int] = {}
    for cohort_id in cohort_ids:
        try:
            async with runtime.db.transaction() as session:
                written[cohort_id] = await plan_deliveries(
                    session=session, cohort_id=cohort_id, settings=runtime.settings, now=now
                )
        except Exception:
            logger.exception("Failed to re-plan cohort %s", cohort_id)
    return written


def register(scheduler: AsyncIOScheduler, runtime: Runtime) -> None:
    """Add the planner job."""

    async def planner_tick() -> None:
        await replan_current_cohorts(runtime, runtime.clock.now())

    scheduler.add_job(
        planner_tick,
        IntervalTrigger(minutes=INTERVAL_MINUTES, timezone=runtime.settings.zone),
        id=JOB_ID,
        name="re-plan current cohorts",
        next_run_time=runtime.clock.now() + timedelta(seconds=20),
        replace_existing=True,
    )
