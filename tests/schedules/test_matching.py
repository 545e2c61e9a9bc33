"""The matching job: due rounds run once, cohorts past their end complete, failures stay local."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlmodel import select

from bot import networks as nw
from bot import scheduled
from bot.clock import FrozenClock
from bot.runtime import Runtime
from bot.settings import Settings
from schedules.matching import register, run_due_matching
from storage.db import Database
from storage.models import MatchRound, Network, NetworkKind
from tests.utils.factories import create_class, create_cohort, create_person, enrol


async def seed(db: Database, settings: Settings, clock: FrozenClock) -> None:
    async with db.transaction() as s:
        cohort = await create_cohort(s, key="2026h", end_date=date(2026, 6, 1))
        klass = await create_class(s, cohort=cohort, key="bergen")
        for i in range(4):
            p = await create_person(s, slack_user_id=f"U{i}", municipality=f"M{i}")
            await enrol(s, person=p, cohort=cohort, cls=klass)
        await nw.sync_cohort_channels(s, settings, cohort_id=cohort.id, now=clock.now())


async def test_due_rounds_run_once(db: Database, settings: Settings, clock: FrozenClock) -> None:
    await seed(db, settings, clock)
    runtime = Runtime(settings=settings, db=db, clock=clock)
    first = await run_due_matching(runtime, clock.now())
    again = await run_due_matching(runtime, clock.now() + timedelta(days=1))
    later = await run_due_matching(runtime, clock.now() + timedelta(weeks=2))
    assert len(first.rounds) == 1 and again.rounds == {} and len(later.rounds) == 1
    async with db.session() as s:
        assert len((await s.exec(select(MatchRound))).all()) == 2


async def test_failure_leaves_network_due_and_cohorts_complete(
    db: Database, settings: Settings, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(db, settings, clock)

    async def broken_round(*args: object, **kwargs: object) -> None:
        raise RuntimeError("round failed")

    monkeypatch.setattr(scheduled.networks, "run_matching_round", broken_round)
    runtime = Runtime(settings=settings, db=db, clock=clock)
    tick = await run_due_matching(runtime, clock.now())
    assert tick.rounds == {} and len(tick.failed) == 1
    async with db.session() as s:
        net = (await s.exec(select(Network).where(Network.kind == NetworkKind.COHORT))).one()
        assert net.next_match_at is not None and net.next_match_at <= clock.now()
    monkeypatch.undo()
    summer = await run_due_matching(runtime, clock.now() + timedelta(weeks=20))
    assert len(summer.completed_cohorts) == 1 and summer.rounds == {}


def test_register_adds_the_job_without_any_slack_client(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    # Channel work is decided here and done by the outbox, so the job needs no Slack client.
    runtime = Runtime(settings=settings, db=db, clock=clock)
    scheduler = AsyncIOScheduler(timezone=settings.zone)
    register(scheduler, runtime)
    assert scheduler.get_job("matching") is not None
