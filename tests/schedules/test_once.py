"""Scheduled work is done once across processes: two schedulers, each with its own engine, race
the same due work on one database (PostgreSQL, and SQLite's file as well)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from sqlmodel import select

from bot import claims, scheduled
from bot import networks as nw
from bot.clock import FrozenClock
from bot.notifier import GROUP_TARGET_PREFIX
from bot.risk import DIGEST_KIND
from bot.runtime import Runtime
from bot.settings import Settings
from bot.steps import STEP_KINDS
from schedules.digest import run_weekly_digest
from schedules.matching import run_due_matching
from storage.db import Database
from storage.models import Delivery, JobClaim, MatchGroup, MatchRound
from tests.utils.factories import create_class, create_cohort, create_person, enrol


@pytest.fixture(params=["postgresql", "sqlite"])
async def two_engines(
    request: pytest.FixtureRequest, database_url: str
) -> AsyncIterator[tuple[Database, Database]]:
    """Two engines on one database, as two bot processes have."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else database_url
    if request.param == "sqlite" and not database_url.startswith("sqlite"):
        url = database_url  # the suite's PostgreSQL pass: both params use PostgreSQL
    first, second = Database(url), Database(url)
    try:
        yield first, second
    finally:
        await first.dispose()
        await second.dispose()


async def _seed(db: Database, settings: Settings, clock: FrozenClock) -> None:
    async with db.transaction() as s:
        cohort = await create_cohort(s, key="2026h", end_date=date(2026, 6, 1))
        klass = await create_class(s, cohort=cohort, key="bergen")
        for i in range(12):
            p = await create_person(s, slack_user_id=f"U{i:03d}", municipality=f"M{i % 6}")
            await enrol(s, person=p, cohort=cohort, cls=klass)
        await nw.sync_cohort_channels(s, settings, cohort_id=cohort.id, now=clock.now())


async def test_two_processes_start_one_round_per_network_per_due_time(
    two_engines: tuple[Database, Database], settings: Settings, clock: FrozenClock
) -> None:
    first, second = two_engines
    await _seed(first, settings, clock)
    a = Runtime(settings=settings, db=first, clock=clock, process_id="a")
    b = Runtime(settings=settings, db=second, clock=clock, process_id="b")
    now = clock.now()
    # The worst interleaving: both see the round due before either has started it.
    due_a = await scheduled.due_matching_rounds(first, now=now)
    due_b = await scheduled.due_matching_rounds(second, now=now)
    assert due_a == due_b and len(due_a) == 1
    ((network_id, due),) = due_a
    results = await asyncio.gather(
        scheduled.run_round_once(first, settings, network_id=network_id, due=due, now=now),
        scheduled.run_round_once(second, settings, network_id=network_id, due=due, now=now),
        return_exceptions=True,
    )
    ran = [r for r in results if isinstance(r, nw.RoundResult)]
    assert len(ran) == 1, results
    # And whole ticks of both "processes" at once, later the same day: nothing more.
    ticks = await asyncio.gather(
        run_due_matching(a, now + timedelta(hours=1)),
        run_due_matching(b, now + timedelta(hours=1)),
    )
    assert all(t.rounds == {} for t in ticks)
    async with first.session() as s:
        rounds = (await s.exec(select(MatchRound))).all()
        groups = (await s.exec(select(MatchGroup))).all()
        intros = (await s.exec(select(Delivery).where(Delivery.kind == "match_intro"))).all()
        keys = (await s.exec(select(JobClaim).where(JobClaim.job == scheduled.JOB_ROUND))).all()
    assert len(rounds) == 1
    assert len(intros) == len(groups) == len(ran[0].groups) > 1
    # No group DM is opened inside a round's transaction (the round has no Slack client):
    # the outbox opens them when the intros go, so the losing process left nothing in Slack.
    assert all(d.target.startswith(GROUP_TARGET_PREFIX) for d in intros)
    assert [k.due for k in keys] == [claims.due_key(due)]


async def test_two_processes_send_one_digest_per_staff_member_per_week(
    two_engines: tuple[Database, Database], settings: Settings, clock: FrozenClock
) -> None:
    first, second = two_engines
    settings = settings.model_copy(update={"staff_emails": ["staff@example.no"]})
    async with first.transaction() as s:
        await create_person(s, email="staff@example.no", slack_user_id="USTAFF", is_staff=True)
    a = Runtime(settings=settings, db=first, clock=clock)
    b = Runtime(settings=settings, db=second, clock=clock)
    results = await asyncio.gather(
        run_weekly_digest(a, clock.now()),
        run_weekly_digest(b, clock.now()),
        run_weekly_digest(a, clock.now() + timedelta(hours=2)),
        return_exceptions=True,
    )
    done = [r for r in results if r is not None and not isinstance(r, BaseException)]
    assert len(done) == 1, results
    async with first.session() as s:
        digests = (await s.exec(select(Delivery).where(Delivery.kind == DIGEST_KIND))).all()
    assert len({(d.target, d.transport) for d in digests}) == len(digests)
    next_week = await run_weekly_digest(a, clock.now() + timedelta(weeks=1))
    assert next_week is not None


async def test_a_rolled_back_round_leaves_no_claim_and_nothing_in_slack(
    db: Database, settings: Settings, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _seed(db, settings, clock)
    real_round = nw.run_matching_round

    async def round_then_fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        await real_round(*args, **kwargs)  # everything decided ...
        raise RuntimeError("database went away")  # ... then the transaction rolls back

    monkeypatch.setattr(scheduled.networks, "run_matching_round", round_then_fail)
    runtime = Runtime(settings=settings, db=db, clock=clock)
    failed = await run_due_matching(runtime, clock.now())
    assert len(failed.failed) == 1
    async with db.session() as s:
        assert (await s.exec(select(MatchRound))).all() == []
        assert (await s.exec(select(Delivery).where(Delivery.kind == "match_intro"))).all() == []
    # Nothing for Slack either: the round's effects were outbox rows, rolled back with it;
    # what is left is the seed's channel steps.
    async with db.session() as s:
        kinds = {d.kind for d in (await s.exec(select(Delivery))).all()}
    assert kinds <= STEP_KINDS
    monkeypatch.setattr(scheduled.networks, "run_matching_round", real_round)
    retried = await run_due_matching(runtime, clock.now())
    assert len(retried.rounds) == 1
