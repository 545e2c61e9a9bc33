"""The dispatch tick: send what is due, every `dispatch_interval_seconds` (default 1 s)."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.delivery import Dispatcher
from bot.ratelimit import RateLimiter
from bot.runtime import Runtime
from schedules.stopping import on_stop

logger = logging.getLogger(__name__)

JOB_ID = "dispatch"


def make_dispatcher(runtime: Runtime, limiter: RateLimiter | None = None) -> Dispatcher:
    """The process's dispatcher over its transports."""
    return Dispatcher(runtime, limiter=limiter, linger=True)


def register(
    scheduler: AsyncIOScheduler, runtime: Runtime, *, dispatcher: Dispatcher | None = None
) -> Dispatcher:
    """Add the dispatch job; returns the dispatcher it ticks."""
    dispatcher = dispatcher or make_dispatcher(runtime)

    async def dispatch_tick() -> None:
        try:
            stats = await dispatcher.tick()
        except Exception:
            logger.exception("Failed to run the dispatch tick")
            return
        if stats.claimed:
            logger.info(
                "Dispatched %d: %d sent, %d retry, %d failed, %d deferred, %d paused",
                stats.claimed,
                stats.sent,
                stats.retried,
                stats.failed,
                stats.deferred,
                stats.paused,
            )

    # A shutdown lets the running tick finish its sends, not start new ones.
    on_stop(scheduler, dispatcher.drain)
    scheduler.add_job(
        dispatch_tick,
        IntervalTrigger(
            seconds=runtime.settings.dispatch_interval_seconds, timezone=runtime.settings.zone
        ),
        id=JOB_ID,
        name="dispatch deliveries",
        next_run_time=runtime.clock.now() + timedelta(seconds=0),
        replace_existing=True,
    )
    return dispatcher
