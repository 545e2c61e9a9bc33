"""Channel work and file uploads as outbox steps, attacked over real HTTP: outbox -> Dispatcher -> emulator.

Each test names the promise it attacks: a rolled-back decision leaves nothing in Slack, a
crash between steps resumes without duplicates, two dispatchers make one channel, and 429s
and 5xx on conversations.create/invite are retried until everything is done exactly once.
What Slack holds is read back from the emulator over HTTP (`/_admin/channels`).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot import networks as nw
from bot import steps
from bot.clock import FrozenClock
from bot.delivery import Dispatcher, TickStats
from bot.ratelimit import RateLimiter, RateLimits
from bot.settings import Settings
from emulator import EmulatorHandle, start_emulator
from emulator.config import FaultConfig
from emulator.state import WorkspaceState
from handlers.slack.notifier import SlackNotifier, make_slack_client
from storage.db import Database
from storage.models import Delivery, DeliveryState, Network, NetworkKind, OutboxFile
from tests.utils.factories import create_class, create_cohort, create_person, enrol

PEOPLE = [f"UP{n:08d}" for n in range(6)]
CHANNELS = {"lu-2026h", "lu-2026h-bergen", "lu-2026h-tromso"}


def seed(state: WorkspaceState) -> None:
    for uid in PEOPLE:
        state.add_user(uid.lower(), user_id=uid)


@pytest.fixture
async def emu() -> AsyncIterator[EmulatorHandle]:
    handle = await start_emulator(seed=seed)
    yield handle
    await handle.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def notifier(emu: EmulatorHandle, http: aiohttp.ClientSession, clock: FrozenClock) -> SlackNotifier:
    """The bot's Slack transport; its rate limiter runs on the test's clock (a wait moves it)."""

    async def wait(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    limiter = RateLimiter(
        RateLimits(scale=1000), monotonic=lambda: clock.now().timestamp(), sleep=wait
    )
    client = make_slack_client(token=emu.bot_token, base_url=emu.api_url, session=http)
    return SlackNotifier(client, limiter)


def dispatcher(
    db: Database, emu: EmulatorHandle, http: aiohttp.ClientSession, clock: FrozenClock, s: Settings
) -> Dispatcher:
    return Dispatcher(db, {"slack": notifier(emu, http, clock)}, clock, None, s, "steps")


async def slack_channels(emu: EmulatorHandle, http: aiohttp.ClientSession) -> dict[str, Any]:
    """What Slack holds, read over HTTP: channel name -> the channel with its members."""
    async with http.get(f"{emu.base_url}/_admin/channels") as response:
        body = await response.json()
    return {c["name"]: c for c in body["channels"] if not c.get("is_im") and not c.get("is_mpim")}


async def decide(db: Database, settings: Settings, clock: FrozenClock) -> int:
    """A cohort of two classes, its channels decided (not made); returns the cohort id."""
    async with db.transaction() as s:
        cohort = await create_cohort(s, key="2026h")
        bergen = await create_class(s, cohort=cohort, key="bergen", city="Bergen")
        tromso = await create_class(s, cohort=cohort, key="tromso", city="Tromsø")
        for i, uid in enumerate(PEOPLE):
            p = await create_person(s, slack_user_id=uid)
            await enrol(s, person=p, cohort=cohort, cls=bergen if i < 3 else tromso)
        await nw.sync_cohort_channels(s, settings, cohort_id=cohort.id, now=clock.now())
        assert cohort.id is not None
        return cohort.id


async def until_done(d: Dispatcher, db: Database, clock: FrozenClock, rounds: int = 60) -> None:
    """Tick (moving the clock past each retry's time) until nothing is pending or in flight."""
    for _ in range(rounds):
        await d.tick()
        async with db.session() as s:
            rows = (await s.exec(select(Delivery))).all()
        if all(r.state in (DeliveryState.SENT, DeliveryState.FAILED) for r in rows):
            return
        clock.advance(timedelta(seconds=30))
    raise AssertionError("the outbox did not finish")


async def kill(tick: asyncio.Future[Any]) -> None:
    """End a dispatcher as a crash would: its tasks stop where they are, nothing is recorded."""
    workers = [
        t
        for t in asyncio.all_tasks()
        if getattr(t.get_coro(), "__qualname__", "") == "Dispatcher._worker"
    ]
    assert workers
    for task in [*workers, tick]:
        task.cancel()
    await asyncio.gather(*workers, tick, return_exceptions=True)


async def all_rows(db: Database) -> list[Delivery]:
    async with db.session() as s:
        return list((await s.exec(select(Delivery).order_by(Delivery.id))).all())  # type: ignore[arg-type]


def assert_made_once(emu: EmulatorHandle, made: dict[str, Any]) -> None:
    assert CHANNELS <= set(made)
    assert set(made["lu-2026h"]["members"]) >= set(PEOPLE)
    assert set(PEOPLE[:3]) <= set(made["lu-2026h-bergen"]["members"])
    assert not set(PEOPLE[:3]) & set(made["lu-2026h-tromso"]["members"])
    created = Counter(r.args.get("name") for r in emu.calls.calls("conversations.create", ok=True))
    assert all(n == 1 for n in created.values()), created  # never made twice


async def test_a_rolled_back_sync_leaves_nothing_in_slack(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    emu: EmulatorHandle,
    http: aiohttp.ClientSession,
) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as s:
            cohort = await create_cohort(s, key="2026h")
            klass = await create_class(s, cohort=cohort, key="bergen", city="Bergen")
            for uid in PEOPLE:
                await enrol(
                    s, person=await create_person(s, slack_user_id=uid), cohort=cohort, cls=klass
                )
            report = await nw.sync_cohort_channels(
                s, settings, cohort_id=cohort.id, now=clock.now()
            )
            assert len(report.channels) == 2 and len(report.invited) == len(PEOPLE)
            raise RuntimeError("the deciding transaction fails after the decision")
    stats = await dispatcher(db, emu, http, clock, settings).tick()
    assert stats.claimed == 0 and await all_rows(db) == []
    assert not CHANNELS & set(await slack_channels(emu, http))
    touched = [r for r in emu.calls.calls() if r.method.startswith("conversations.")]
    assert touched == []


async def test_steps_are_ordered_and_channel_ids_stored(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    emu: EmulatorHandle,
    http: aiohttp.ClientSession,
) -> None:
    await decide(db, settings, clock)
    assert not CHANNELS & set(await slack_channels(emu, http))  # nothing before the outbox runs
    await until_done(dispatcher(db, emu, http, clock, settings), db, clock)
    made = await slack_channels(emu, http)
    assert_made_once(emu, made)
    assert {r.state for r in await all_rows(db)} == {DeliveryState.SENT}
    async with db.session() as s:
        networks = (await s.exec(select(Network))).all()
    assert {n.slack_channel_id for n in networks} == {made[name]["id"] for name in CHANNELS}
    # Every invite went after its channel's create.
    order = [r.method for r in emu.calls.calls() if r.method.startswith("conversations.")]
    assert order.index("conversations.invite") > order.index("conversations.create")


async def test_a_crash_between_steps_resumes_without_duplicates(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    emu: EmulatorHandle,
    http: aiohttp.ClientSession,
) -> None:
    await decide(db, settings, clock)
    # The first process makes its channels, then dies while its first invite is in Slack's hands.
    hold = emu.emulator.webapi.hold_calls("conversations.invite", after=0)
    # One worker, so at the hold no transaction is open (a dead process holds no lock).
    one = settings.model_copy(update={"dispatch_concurrency": 1})
    dead = dispatcher(db, emu, http, clock, one)
    tick = asyncio.ensure_future(dead.tick())
    await asyncio.wait_for(hold.reached.wait(), timeout=30)
    await kill(tick)
    hold.release()
    in_flight = [r for r in await all_rows(db) if r.state == DeliveryState.UNCERTAIN]
    assert [(r.kind, r.target) for r in in_flight] == [("channel_invite", "network:1")]
    made = await slack_channels(emu, http)
    assert "lu-2026h" in made and set(made["lu-2026h"]["members"]) == {emu.state.bot_user_id}
    # Its lease runs out (explicitly, on the clock), and a new process takes over.
    clock.advance(timedelta(seconds=settings.dispatch_lease_seconds + 1))
    await until_done(dispatcher(db, emu, http, clock, settings), db, clock)
    assert_made_once(emu, await slack_channels(emu, http))
    rows = await all_rows(db)
    assert {r.state for r in rows} == {DeliveryState.SENT}
    # An invite is safe to repeat, so the taken-over one is not counted as a possible duplicate.
    assert all(r.unknown_attempts == 0 for r in rows)


async def test_a_lost_answer_to_create_adopts_the_channel_it_made(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    emu: EmulatorHandle,
    http: aiohttp.ClientSession,
) -> None:
    await decide(db, settings, clock)
    # Every create is carried out, and its answer lost: the retry meets "name_taken".
    emu.emulator.set_faults(
        FaultConfig(drop_after_share=1.0, methods=frozenset({"conversations.create"}), seed=1)
    )
    d = dispatcher(db, emu, http, clock, settings)
    await d.tick()
    emu.emulator.set_faults(FaultConfig())
    clock.advance(timedelta(seconds=60))
    await until_done(d, db, clock)
    made = await slack_channels(emu, http)
    assert CHANNELS <= set(made) and len([n for n in made if n.startswith("lu-")]) == 3
    async with db.session() as s:
        networks = (await s.exec(select(Network))).all()
    assert {n.slack_channel_id for n in networks} == {made[name]["id"] for name in CHANNELS}
    assert {r.state for r in await all_rows(db)} == {DeliveryState.SENT}


async def test_429_and_5xx_on_create_and_invite_are_retried_to_exactly_once(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    emu: EmulatorHandle,
    http: aiohttp.ClientSession,
) -> None:
    await decide(db, settings, clock)
    async with http.post(
        f"{emu.base_url}/_admin/faults",
        json={
            "ratelimited_share": 0.3,
            "server_error_share": 0.3,
            "seed": 7,
            "methods": ["conversations.create", "conversations.invite"],
        },
    ) as response:
        assert response.status == 200
    await until_done(dispatcher(db, emu, http, clock, settings), db, clock)
    faults = Counter(r.fault for r in emu.calls.calls() if r.fault)
    assert faults["ratelimited"] and (faults["internal_error"] + faults["service_unavailable"])
    assert_made_once(emu, await slack_channels(emu, http))
    rows = await all_rows(db)
    assert {r.state for r in rows} == {DeliveryState.SENT}
    # 429s are not held against a step; 5xx count, within the bound.
    assert all(r.attempts <= settings.dispatch_max_attempts for r in rows)


async def test_two_dispatchers_make_each_channel_once(
    db: Database,
    database_url: str,
    settings: Settings,
    clock: FrozenClock,
    emu: EmulatorHandle,
    http: aiohttp.ClientSession,
) -> None:
    await decide(db, settings, clock)
    other = Database(database_url)  # a second process's engine on the same database
    try:
        a = dispatcher(db, emu, http, clock, settings)
        b = dispatcher(other, emu, http, clock, settings)
        ticks: list[TickStats] = await asyncio.gather(a.tick(), b.tick(), a.tick(), b.tick())
        await until_done(a, db, clock)
    finally:
        await other.dispose()
    assert sum(t.claimed for t in ticks) >= 6
    assert_made_once(emu, await slack_channels(emu, http))
    assert {r.state for r in await all_rows(db)} == {DeliveryState.SENT}


# --- file uploads ----------------------------------------------------------------------------


async def stored_files(db: Database) -> list[OutboxFile]:
    async with db.session() as s:
        return list((await s.exec(select(OutboxFile))).all())


async def decide_upload(db: Database, settings: Settings, clock: FrozenClock, target: str) -> None:
    async with db.transaction() as s:
        await steps.upload_file(
            s,
            settings,
            target=target,
            content=b"period,value\n2026,5\n",
            filename="arsrapport-2026.csv",
            title="Årsrapport 2026",
            now=clock.now(),
        )


async def test_a_rolled_back_upload_leaves_nothing_in_slack_or_the_database(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    emu: EmulatorHandle,
    http: aiohttp.ClientSession,
) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as s:
            await steps.upload_file(
                s,
                settings,
                target=PEOPLE[0],
                content=b"x",
                filename="a.csv",
                title="A",
                now=clock.now(),
            )
            raise RuntimeError("the report's transaction fails")
    assert (await dispatcher(db, emu, http, clock, settings).tick()).claimed == 0
    assert emu.state.files == {} and await stored_files(db) == []


async def test_an_upload_survives_5xx_and_keeps_no_bytes_once_sent(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    emu: EmulatorHandle,
    http: aiohttp.ClientSession,
) -> None:
    await decide_upload(db, settings, clock, PEOPLE[0])
    emu.emulator.set_faults(
        FaultConfig(server_error_share=1.0, methods=frozenset({"files.getUploadURLExternal"}))
    )
    d = dispatcher(db, emu, http, clock, settings)
    await d.tick()
    [waiting] = await all_rows(db)
    assert waiting.state == DeliveryState.PENDING and len(await stored_files(db)) == 1
    emu.emulator.set_faults(FaultConfig())
    await until_done(d, db, clock)
    shared = [f for f in emu.state.files.values() if f.completed]
    dm, _ = emu.state.open_im(PEOPLE[0])
    assert [(f.name, f.content, f.channels) for f in shared] == [
        ("arsrapport-2026.csv", b"period,value\n2026,5\n", [dm.id])
    ]
    [done] = await all_rows(db)
    assert done.state == DeliveryState.SENT and "content" not in str(done.message)
    assert await stored_files(db) == []  # the bytes are gone with the step


async def test_a_refused_upload_fails_with_the_reason_and_keeps_no_bytes(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    emu: EmulatorHandle,
    http: aiohttp.ClientSession,
) -> None:
    await decide_upload(db, settings, clock, "CNOSUCHCHAN")
    await until_done(dispatcher(db, emu, http, clock, settings), db, clock)
    [failed] = await all_rows(db)
    assert failed.state == DeliveryState.FAILED and "channel_not_found" in (failed.error or "")
    assert await stored_files(db) == []


async def test_a_create_never_adopts_a_channel_another_network_holds(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    emu: EmulatorHandle,
    http: aiohttp.ClientSession,
) -> None:
    # A second network asks for the name the Bergen class's channel has: Slack says
    # name_taken and the create finds that channel, which must stay Bergen's alone.
    await decide(db, settings, clock)
    d = dispatcher(db, emu, http, clock, settings)
    await until_done(d, db, clock)
    bergen_id = (await slack_channels(emu, http))["lu-2026h-bergen"]["id"]
    async with db.transaction() as s:
        holder = (await s.exec(select(Network).where(Network.slack_channel_id == bergen_id))).one()
        other = Network(kind=NetworkKind.ALUMNI_REGION, key="alumni:vestland", name="Vestland")
        s.add(other)
        await s.flush()
        assert other.id is not None
        assert await steps.create_channel(
            s, settings, network=other, name="lu-2026h-bergen", private=False, now=clock.now()
        )
        other_id = other.id
    await until_done(d, db, clock)
    [refused] = [r for r in await all_rows(db) if r.target == steps.network_target(other_id)]
    assert refused.state == DeliveryState.FAILED
    assert f"is network {holder.id}'s already" in (refused.error or "")
    async with db.session() as s:
        assert (await s.get(Network, other_id)).slack_channel_id is None  # type: ignore[union-attr]
        assert (await s.get(Network, holder.id)).slack_channel_id == bergen_id  # type: ignore[union-attr]
