"""APScheduler wiring: the jobs only tick; durable state lives in the database.

Each process has its own AsyncIOScheduler with an in-memory job store (APScheduler forbids
sharing a job store between processes). A job is a `register(scheduler, runtime)` function;
`app.py` passes the list of them to `build_scheduler`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.runtime import Runtime

JobRegistrar = Callable[[AsyncIOScheduler, Runtime], Any]

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}


def build_scheduler(runtime: Runtime, jobs: Iterable[JobRegistrar] = ()) -> AsyncIOScheduler:
    """A scheduler in the programme's time zone with every job registered (not started)."""
    scheduler = AsyncIOScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": AsyncIOExecutor()},
        job_defaults=dict(JOB_DEFAULTS),
        timezone=runtime.settings.zone,
    )
    for register in jobs:
        register(scheduler, runtime)
    return scheduler


def default_jobs() -> list[JobRegistrar]:
    """The jobs every bot process runs."""
    from schedules import digest, dispatch, matching, nudges, planner, pulses, retention

    return [
        dispatch.register,
        nudges.register,
        pulses.register,
        planner.register,
        digest.register,
        matching.register,
        retention.register,
    ]


async def stop_scheduler(scheduler: AsyncIOScheduler, *, grace_seconds: float = 10.0) -> None:
    """Stop starting jobs, let running ones finish (up to `grace_seconds`), then shut down.

    APScheduler's AsyncIOExecutor cancels running jobs on shutdown ("no way to honor wait=True"),
    which would cut a dispatch tick off mid-send; so wait for them first. A job still running
    after the grace period is cancelled; its claimed deliveries are taken over after the lease.
    """
    import asyncio

    if not scheduler.running:
        return
    scheduler.pause()
    running: set[asyncio.Future[Any]] = set()
    for executor in scheduler._executors.values():  # the executors keep their running jobs
        running |= set(getattr(executor, "_pending_futures", ()))
    if running:
        await asyncio.wait(running, timeout=grace_seconds)
    scheduler.shutdown(wait=False)
