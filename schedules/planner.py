"""The planner job: re-plan every current cohort now and then.

`cohortbot plan apply` and the people import run the planner themselves; this tick catches
what changes elsewhere: a class channel created after the plan was applied (its assignment
posts were skipped until then), a participant withdrawn or a line manager changed by hand.
Re-planning is idempotent and incremental: it reads the plan and the outbox without locking,
then writes only the rows that differ (new, moved, changed, no longer implied) in transactions
of a few hundred rows; sent rows are never sent again. An unchanged cohort writes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot import claims
from bot.assignments import current_cohort_ids
from bot.planner import replan_cohort
from bot.runtime import Runtime

logger = logging.getLogger(__name__)

JOB_ID = "planner"
INTERVAL_MINUTES = 10
LEASE_SECONDS = 600.0  # far longer than a re-plan takes; a dead process's lease runs out


async def replan_current_cohorts(runtime: Runtime, now: datetime) -> dict[int, int]:
    """Re-plan each cohort not completed yet: read, then write only what changed, in short
    transactions. Each cohort is leased (on the real clock), so two processes do not re-plan
    the same cohort at once; a cohort another process is planning is skipped this tick."""
    async with runtime.db.session() as session:
        cohort_ids = await current_cohort_ids(session)
    written: dict[int, int] = {}
    for cohort_id in cohort_ids:
        try:
            async with claims.lease(
                runtime.db, job=JOB_ID, subject=f"cohort:{cohort_id}", seconds=LEASE_SECONDS
            ) as held:
                if held is None:
                    continue
                written[cohort_id] = await replan_cohort(
                    runtime.db, cohort_id=cohort_id, settings=runtime.settings, now=now
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
