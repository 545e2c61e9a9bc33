"""The networks job: complete cohorts past their end date, queue the monthly alumni discussion
prompts and start due matching rounds.

`run_due_matching(runtime, now)` holds the work with time as a parameter; `register` ticks it
every 15 minutes. The channel work it decides (archiving class channels, group DMs for intros)
is done by the outbox after each commit (`bot.steps`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot import networks, scheduled
from bot.runtime import Runtime

logger = logging.getLogger(__name__)

JOB_ID = "matching"
INTERVAL_MINUTES = 15


@dataclass
class MatchingTick:
    completed_cohorts: list[int] = field(default_factory=list)
    rounds: dict[int, int] = field(default_factory=dict)  # network id -> round id
    failed: list[int] = field(default_factory=list)  # network ids
    prompts: int = 0  # alumni discussion prompts queued
    skipped: list[int] = field(default_factory=list)  # network ids another process matched


async def run_due_matching(runtime: Runtime, now: datetime) -> MatchingTick:
    """Complete due cohorts, then run every network's due round, each in its own transaction.

    Each round and each completion is claimed (`bot.scheduled`), so with several processes
    exactly one of them does it.
    """
    tick = MatchingTick()
    tick.completed_cohorts = await scheduled.complete_cohorts_once(
        runtime.db, runtime.settings, now=now
    )
    async with runtime.db.transaction() as session:
        tick.prompts = await networks.schedule_alumni_prompts(session, runtime.settings, now=now)
    for network_id, due in await scheduled.due_matching_rounds(runtime.db, now=now):
        try:
            result = await scheduled.run_round_once(
                runtime.db, runtime.settings, network_id=network_id, due=due, now=now
            )
        except Exception:
            # One network's failure (e.g. Slack refusing a group DM) must not stop the others;
            # its next_match_at is unchanged and its claim rolled back, so the next tick tries
            # again.
            logger.exception("Failed to run the matching round for network %s", network_id)
            tick.failed.append(network_id)
            continue
        if result is not None:
            tick.rounds[network_id] = result.round_id
        else:
            tick.skipped.append(network_id)
    return tick


def register(scheduler: AsyncIOScheduler, runtime: Runtime) -> None:
    """Add the matching job."""

    async def matching_tick() -> None:
        try:
            tick = await run_due_matching(runtime, runtime.clock.now())
        except Exception:
            logger.exception("Failed to run the matching tick")
            return
        if tick.rounds or tick.completed_cohorts:
            logger.info(
                "Matching: %d rounds started, %d cohorts completed, %d networks failed",
                len(tick.rounds),
                len(tick.completed_cohorts),
                len(tick.failed),
            )

    scheduler.add_job(
        matching_tick,
        IntervalTrigger(minutes=INTERVAL_MINUTES, timezone=runtime.settings.zone),
        id=JOB_ID,
        name="peer matching rounds",
        replace_existing=True,
    )
