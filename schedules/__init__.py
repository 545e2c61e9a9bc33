"""APScheduler wiring: the jobs only tick; durable state lives in the database.

Each process has its own AsyncIOScheduler with an in-memory job store (APScheduler forbids
sharing a job store between processes). A job is a `register(scheduler, runtime)` function;
`app.py` passes the list of them to `build_scheduler`.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
)
from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import metrics
from bot.runtime import Runtime
from schedules.stopping import stopping

logger = logging.getLogger(__name__)

JobRegistrar = Callable[[AsyncIOScheduler, Runtime], Any]

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}


class JobTracker:
    """Count the jobs running now and record runs in metrics, from the scheduler's public events.

    Submitted events come before the job's coroutine can finish (same loop, no await between),
    so the count never goes negative; `idle` is set whenever nothing runs.
    """

    EVENTS = (
        EVENT_JOB_SUBMITTED
        | EVENT_JOB_EXECUTED
        | EVENT_JOB_ERROR
        | EVENT_JOB_MISSED
        | EVENT_JOB_MAX_INSTANCES
    )

    def __init__(self) -> None:
        self.running = 0
        self.idle = asyncio.Event()
        self.idle.set()
        self._started: dict[str, list[float]] = {}

    def running_jobs(self) -> list[str]:
        """The ids of the jobs running now."""
        return [job for job, starts in self._started.items() if starts]

    def __call__(self, event: JobEvent) -> None:
        if event.code == EVENT_JOB_SUBMITTED:
            self.running += 1
            self.idle.clear()
            self._started.setdefault(event.job_id, []).append(time.perf_counter())
        elif event.code in (EVENT_JOB_EXECUTED, EVENT_JOB_ERROR):
            self.running = max(0, self.running - 1)
            if self.running == 0:
                self.idle.set()
            outcome = "ok" if event.code == EVENT_JOB_EXECUTED else "error"
            metrics.JOB_RUNS.labels(event.job_id, outcome).inc()
            started = self._started.get(event.job_id)
            if started:
                metrics.JOB_SECONDS.labels(event.job_id).observe(
                    time.perf_counter() - started.pop(0)
                )
        elif event.code == EVENT_JOB_MISSED:
            metrics.JOB_RUNS.labels(event.job_id, "missed").inc()
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            # The previous run is still going (max_instances=1): this one is skipped.
            metrics.JOB_RUNS.labels(event.job_id, "skipped").inc()


_trackers: weakref.WeakKeyDictionary[AsyncIOScheduler, JobTracker] = weakref.WeakKeyDictionary()


def build_scheduler(runtime: Runtime, jobs: Iterable[JobRegistrar] = ()) -> AsyncIOScheduler:
    """A scheduler in the programme's time zone with every job registered (not started)."""
    scheduler = AsyncIOScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": AsyncIOExecutor()},
        job_defaults=dict(JOB_DEFAULTS),
        timezone=runtime.settings.zone,
    )
    tracker = JobTracker()
    scheduler.add_listener(tracker, JobTracker.EVENTS)
    _trackers[scheduler] = tracker
    for register in jobs:
        register(scheduler, runtime)
    return scheduler


def default_jobs() -> list[JobRegistrar]:
    """The jobs every bot process runs."""
    from schedules import digest, dispatch, matching, nudges, planner, privacy, pulses, retention

    return [
        dispatch.register,
        nudges.register,
        pulses.register,
        planner.register,
        digest.register,
        matching.register,
        retention.register,
        privacy.register,
    ]


async def stop_scheduler(scheduler: AsyncIOScheduler, *, grace_seconds: float = 10.0) -> None:
    """Stop starting jobs, let running ones finish (up to `grace_seconds`), then shut down.

    APScheduler's AsyncIOExecutor cancels running jobs on shutdown ("no way to honor wait=True"),
    which would cut a dispatch tick off mid-send; so wait for them first. A job still running
    after the grace period is cancelled; its claimed deliveries are taken over after the lease.
    Running jobs are known from the scheduler's public job events (see `JobTracker`).
    """
    if not scheduler.running:
        return
    scheduler.pause()
    stopping(scheduler)  # e.g. the dispatcher stops claiming and gives back what it has not begun
    tracker = _trackers.get(scheduler)
    if tracker is not None and tracker.running:
        try:
            await asyncio.wait_for(tracker.idle.wait(), timeout=grace_seconds)
        except TimeoutError:
            running = sorted(tracker.running_jobs())
            logger.warning(
                "Stopping with %d job(s) still running after %g s (%s): they are cancelled, "
                "and their claimed work resumes after its lease",
                len(running),
                grace_seconds,
                ", ".join(running),
            )
            # The cancellation is expected now: say it once above, not as a traceback per job.
            logging.getLogger("apscheduler.executors.default").addFilter(_drop_cancelled)
    scheduler.shutdown(wait=False)


def _drop_cancelled(record: logging.LogRecord) -> bool:
    """Keep a log record unless it reports a job cancelled at shutdown."""
    exc = record.exc_info[1] if record.exc_info else None
    return not isinstance(exc, asyncio.CancelledError)
