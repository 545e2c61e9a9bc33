"""The scheduler wiring: in-memory job store, pinned zone, the dispatch job ticking the outbox."""

from __future__ import annotations

import asyncio

from apscheduler.jobstores.memory import MemoryJobStore

from bot.clock import FrozenClock
from bot.notifier import RecordingNotifier
from bot.runtime import Runtime
from bot.settings import Settings
from schedules import build_scheduler, default_jobs
from schedules.dispatch import JOB_ID
from storage.db import Database
from tests.utils.deliveries import enqueue_many


async def test_scheduler_is_built_with_the_dispatch_job(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    runtime = Runtime(
        settings=settings, db=db, clock=clock, notifiers={"slack": RecordingNotifier()}
    )
    scheduler = build_scheduler(runtime, default_jobs())
    assert str(scheduler.timezone) == "Europe/Oslo"
    assert isinstance(scheduler._jobstores["default"], MemoryJobStore)
    job = scheduler.get_job(JOB_ID)
    assert job is not None
    defaults = scheduler._job_defaults
    assert defaults["coalesce"] is True and defaults["max_instances"] == 1
    assert job.trigger.interval.total_seconds() == settings.dispatch_interval_seconds


async def test_dispatch_job_sends_due_deliveries(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    notifier = RecordingNotifier()
    runtime = Runtime(settings=settings, db=db, clock=clock, notifiers={"slack": notifier})
    await enqueue_many(db, settings, count=3, send_at=clock.now())
    scheduler = build_scheduler(runtime, default_jobs())
    job = scheduler.get_job(JOB_ID)
    await job.func()  # what the scheduler runs each second
    assert len(notifier.sent) == 3
    await asyncio.sleep(0)
