"""The daily retention job: in the default jobs, and done once however many processes race."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.clock import FrozenClock
from bot.runtime import Runtime
from bot.settings import Settings
from schedules import build_scheduler, default_jobs
from schedules.retention import JOB_ID, run_daily_retention
from storage.db import Database
from storage.models import AuditEvent, JobClaim

NOW = datetime(2030, 3, 2, 2, 30, tzinfo=UTC)  # 03:30 in Oslo


async def test_the_job_runs_daily_at_half_past_three(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    scheduler = build_scheduler(Runtime(settings=settings, db=db, clock=clock), default_jobs())
    job = scheduler.get_job(JOB_ID)
    assert job is not None
    assert str(job.trigger) == "cron[hour='3', minute='30']"


async def test_two_processes_racing_run_retention_once_a_day(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as session:
        session.add(AuditEvent(at=NOW - timedelta(days=4000), actor="cli", action="old"))
    second_db = Database(settings.database_url)
    try:
        runtimes = [
            Runtime(settings=settings, db=db, clock=FrozenClock(NOW)),
            Runtime(settings=settings, db=second_db, clock=FrozenClock(NOW)),
        ]
        results = await asyncio.gather(
            *(run_daily_retention(r, NOW) for r in runtimes), return_exceptions=True
        )
    finally:
        await second_db.dispose()
    done = [r for r in results if r is not None and not isinstance(r, BaseException)]
    # The loser either saw the claim (None) or, on SQLite, waited for the winner's commit.
    assert len(done) == 1, results
    assert done[0].counts["audit_entries"] == 1
    async with db.session() as session:
        runs = (await session.exec(select(JobClaim))).all()
    assert [(r.job, r.due) for r in runs] == [("retention", "2030-03-02")]
    later = await run_daily_retention(runtimes[0], NOW + timedelta(hours=20))
    assert later is None, "the same local day runs once"
    next_day = await run_daily_retention(runtimes[0], NOW + timedelta(days=1))
    assert next_day is not None
