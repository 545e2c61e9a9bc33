"""The follow-up job: registered by default, and escalates through the runtime's database."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FrozenClock
from bot.delivery import Dispatcher
from bot.line_managers import silent_managers
from bot.notifier import RecordingNotifier
from bot.planner import plan_deliveries
from bot.runtime import Runtime
from bot.settings import Settings
from schedules import build_scheduler, default_jobs
from schedules.nudges import JOB_ID, run_nudge_followups
from storage.db import Database
from tests.utils.assignments import add_nudge, build_programme, oslo


async def test_the_job_is_in_the_default_jobs(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    scheduler = build_scheduler(Runtime(settings=settings, db=db, clock=clock), default_jobs())
    job = scheduler.get_job(JOB_ID)
    assert job is not None and job.trigger.interval == timedelta(minutes=15)


async def test_followups_escalate_after_a_reminder(db: Database, settings: Settings) -> None:
    send = oslo(2026, 8, 24, 9, 0)
    clock = FrozenClock(send)
    runtime = Runtime(settings=settings, db=db, clock=clock)
    async with db.transaction() as session:
        p = await build_programme(session)
        await add_nudge(session, p.cohort, send_at=send)
        await plan_deliveries(session=session, cohort_id=p.cohort.id, settings=settings, now=send)
    notifiers = {"slack": RecordingNotifier("slack"), "email": RecordingNotifier("email")}
    await Dispatcher(db, notifiers, clock, settings=settings).tick()
    first = await run_nudge_followups(runtime, oslo(2026, 8, 31, 9, 0))
    second = await run_nudge_followups(runtime, oslo(2026, 9, 7, 9, 0))
    assert first.reminded == 3 and second.escalated == 3
    async with db.session() as session:
        assert len(await silent_managers(session, p.cohort.id)) == 3


async def test_replanning_picks_up_a_class_channel_created_later(
    db: Database, settings: Settings
) -> None:
    from sqlmodel import select

    from schedules.planner import JOB_ID as PLANNER_JOB
    from schedules.planner import replan_current_cohorts
    from storage.models import CohortClass, Delivery
    from tests.utils.assignments import add_assignment

    now = oslo(2026, 9, 1, 9, 0)
    runtime = Runtime(settings=settings, db=db, clock=FrozenClock(now))
    assert build_scheduler(runtime, default_jobs()).get_job(PLANNER_JOB) is not None
    async with db.transaction() as session:
        p = await build_programme(session)
        a = await add_assignment(
            session, p.cohort, release_at=oslo(2026, 9, 10, 16), due_at=oslo(2026, 9, 25, 23, 59)
        )
        await plan_deliveries(session=session, cohort_id=p.cohort.id, settings=settings, now=now)
    async with db.transaction() as session:
        bodo = await session.get(CohortClass, p.bodo.id)
        assert bodo is not None
        bodo.slack_channel_id = "CBODO"
        session.add(bodo)
    await replan_current_cohorts(runtime, now)
    async with db.session() as session:
        keys = set((await session.execute(select(Delivery.dedupe_key))).scalars())
    assert f"assignment:{a.id}:post:class:{p.bodo.id}" in keys
