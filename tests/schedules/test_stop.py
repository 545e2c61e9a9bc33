"""Stopping the scheduler waits for running jobs through APScheduler's public job events."""

from __future__ import annotations

import asyncio

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import FrozenClock
from bot.runtime import Runtime
from bot.settings import Settings
from schedules import build_scheduler, stop_scheduler
from storage.db import Database


def _one_shot(started: asyncio.Event, release: asyncio.Event, finished: list[str]):
    def register(scheduler: AsyncIOScheduler, _runtime: Runtime) -> None:
        async def job() -> None:
            started.set()
            await release.wait()
            finished.append("done")

        scheduler.add_job(job, id="slow")  # no trigger: runs once, as soon as the scheduler starts

    return register


async def test_stop_scheduler_does_not_cut_a_running_job_off(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    started, release, finished = asyncio.Event(), asyncio.Event(), []
    runtime = Runtime(settings=settings, db=db, clock=clock)
    scheduler = build_scheduler(runtime, [_one_shot(started, release, finished)])
    scheduler.start()
    await asyncio.wait_for(started.wait(), timeout=30)
    stopping = asyncio.create_task(stop_scheduler(scheduler, grace_seconds=60))
    await asyncio.sleep(0)  # one loop turn, not a wait on time: stop_scheduler reaches its wait
    assert not stopping.done(), "stopped while a job was still running"
    release.set()
    await asyncio.wait_for(stopping, timeout=30)
    assert finished == ["done"]
    assert not scheduler.running


async def test_stop_scheduler_gives_up_on_a_hung_job_after_the_grace(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    started, never, finished = asyncio.Event(), asyncio.Event(), []
    runtime = Runtime(settings=settings, db=db, clock=clock)
    scheduler = build_scheduler(runtime, [_one_shot(started, never, finished)])
    scheduler.start()
    await asyncio.wait_for(started.wait(), timeout=30)
    await asyncio.wait_for(stop_scheduler(scheduler, grace_seconds=0.01), timeout=30)
    assert not scheduler.running and finished == []


async def test_stop_scheduler_returns_at_once_when_idle(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    scheduler = build_scheduler(Runtime(settings=settings, db=db, clock=clock), [])
    scheduler.start()
    await asyncio.wait_for(stop_scheduler(scheduler, grace_seconds=3600), timeout=30)
    assert not scheduler.running
