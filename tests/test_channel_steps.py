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
from dataclasses import dataclass
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
from tests.utils.deliveries import all_deliveries, crash
from tests.utils.factories import create_class, create_cohort, create_person, enrol

PEOPLE = [f"UP{n:08d}" for n in range(6)]
CHANNELS = {"lu-2026h", "lu-2026h-bergen", "lu-2026h-tromso"}


def seed(state: WorkspaceState) -> None:
    for uid in PEOPLE:
        state.add_user(uid.lower(), user_id=uid)


@dataclass
class World:
    """The bot's side (database, settings, a frozen clock) and Slack's (the emulator, over HTTP)."""

    db: Database
    settings: Settings
    clock: FrozenClock
    emu: EmulatorHandle
    http: aiohttp.ClientSession

    def notifier(self) -> SlackNotifier:
        """The bot's Slack transport; its rate limiter runs on the test's clock (a wait moves it)."""

        async def wait(seconds: float) -> None:
            self.clock.advance(timedelta(seconds=seconds))

        limiter = RateLimiter(
            RateLimits(scale=1000), monotonic=lambda: self.clock.now().timestamp(), sleep=wait
        )
        client = make_slack_client(
            token=self.emu.bot_token, base_url=self.emu.api_url, session=self.http
        )
        return SlackNotifier(client, limiter)

    def dispatcher(
        self, *, db: Database | None = None, settings: Settings | None = None
    ) -> Dispatcher:
        """A dispatcher process: on this world's database and settings unless told others."""
        return Dispatcher(
            db or self.db,
            {"slack": self.notifier()},
            self.clock,
            None,
            settings or self.settings,
            "steps",
        )

    async def decide(self) -> int:
        """A cohort of two classes, its channels decided (not made); returns the cohort id."""
        async with self.db.transaction() as s:
            cohort = await create_cohort(s, key="2026h")
            bergen = await create_class(s, cohort=cohort, key="bergen", city="Bergen")
            tromso = await create_class(s, cohort=cohort, key="tromso", city="Tromsø")
            for i, uid in enumerate(PEOPLE):
                p = await create_person(s, slack_user_id=uid)
                await enrol(s, person=p, cohort=cohort, cls=bergen if i < 3 else tromso)
            await nw.sync_cohort_channels(
                s, self.settings, cohort_id=cohort.id, now=self.clock.now()
            )
            assert cohort.id is not None
            return cohort.id

    async def decide_upload(self, target: str) -> None:
        """A CSV report to upload to `target`, decided (not sent)."""
        async with self.db.transaction() as s:
            await steps.upload_file(
                s,
                self.settings,
                target=target,
                content=b"period,value\n2026,5\n",
                filename="arsrapport-2026.csv",
                title="Årsrapport 2026",
                now=self.clock.now(),
            )

    async def until_done(self, d: Dispatcher) -> None:
        """Tick (moving the clock past each retry's time) until nothing is pending or in flight."""
        for _ in range(60):
            await d.tick()
            rows = await all_deliveries(self.db)
            if all(r.state in (DeliveryState.SENT, DeliveryState.FAILED) for r in rows):
                return
            self.clock.advance(timedelta(seconds=30))
        raise AssertionError("the outbox did not finish")

    async def rows(self) -> list[Delivery]:
        return await all_deliveries(self.db)

    async def networks(self) -> list[Network]:
        async with self.db.session() as s:
            return list((await s.exec(select(Network))).all())

    async def stored_files(self) -> list[OutboxFile]:
        async with self.db.session() as s:
            return list((await s.exec(select(OutboxFile))).all())

    async def slack_channels(self) -> dict[str, Any]:
        """What Slack holds, read over HTTP: channel name -> the channel with its members."""
        async with self.http.get(f"{self.emu.base_url}/_admin/channels") as response:
            body = await response.json()
        return {
            c["name"]: c for c in body["channels"] if not c.get("is_im") and not c.get("is_mpim")
        }

    def assert_made_once(self, made: dict[str, Any]) -> None:
        assert CHANNELS <= set(made)
        assert set(made["lu-2026h"]["members"]) >= set(PEOPLE)
        assert set(PEOPLE[:3]) <= set(made["lu-2026h-bergen"]["members"])
        assert not set(PEOPLE[:3]) & set(made["lu-2026h-tromso"]["members"])
        calls = self.emu.calls.calls("conversations.create", ok=True)
        created = Counter(r.args.get("name") for r in calls)
        assert all(n == 1 for n in created.values()), created  # never made twice


@pytest.fixture
async def world(db: Database, settings: Settings, clock: FrozenClock) -> AsyncIterator[World]:
    emu = await start_emulator(seed=seed)
    try:
        async with aiohttp.ClientSession() as http:
            yield World(db, settings, clock, emu, http)
    finally:
        await emu.stop()


async def test_a_rolled_back_sync_leaves_nothing_in_slack(world: World) -> None:
    with pytest.raises(RuntimeError):
        async with world.db.transaction() as s:
            cohort = await create_cohort(s, key="2026h")
            klass = await create_class(s, cohort=cohort, key="bergen", city="Bergen")
            for uid in PEOPLE:
                await enrol(
                    s, person=await create_person(s, slack_user_id=uid), cohort=cohort, cls=klass
                )
            report = await nw.sync_cohort_channels(
                s, world.settings, cohort_id=cohort.id, now=world.clock.now()
            )
            assert len(report.channels) == 2 and len(report.invited) == len(PEOPLE)
            raise RuntimeError("the deciding transaction fails after the decision")
    stats = await world.dispatcher().tick()
    assert stats.claimed == 0 and await world.rows() == []
    assert not CHANNELS & set(await world.slack_channels())
    touched = [r for r in world.emu.calls.calls() if r.method.startswith("conversations.")]
    assert touched == []


async def test_steps_are_ordered_and_channel_ids_stored(world: World) -> None:
    await world.decide()
    assert not CHANNELS & set(await world.slack_channels())  # nothing before the outbox runs
    await world.until_done(world.dispatcher())
    made = await world.slack_channels()
    world.assert_made_once(made)
    assert {r.state for r in await world.rows()} == {DeliveryState.SENT}
    networks = await world.networks()
    assert {n.slack_channel_id for n in networks} == {made[name]["id"] for name in CHANNELS}
    # Every invite went after its channel's create.
    order = [r.method for r in world.emu.calls.calls() if r.method.startswith("conversations.")]
    assert order.index("conversations.invite") > order.index("conversations.create")


async def test_a_crash_between_steps_resumes_without_duplicates(world: World) -> None:
    await world.decide()
    # The first process makes its channels, then dies while its first invite is in Slack's hands.
    hold = world.emu.emulator.webapi.hold_calls("conversations.invite", after=0)
    # One worker, so at the hold no transaction is open (a dead process holds no lock).
    one = world.settings.model_copy(update={"dispatch_concurrency": 1})
    tick = asyncio.ensure_future(world.dispatcher(settings=one).tick())
    await asyncio.wait_for(hold.reached.wait(), timeout=30)
    await crash(tick)
    hold.release()
    in_flight = [r for r in await world.rows() if r.state == DeliveryState.UNCERTAIN]
    assert [(r.kind, r.target) for r in in_flight] == [("channel_invite", "network:1")]
    made = await world.slack_channels()
    assert "lu-2026h" in made and set(made["lu-2026h"]["members"]) == {world.emu.state.bot_user_id}
    # Its lease runs out (explicitly, on the clock), and a new process takes over.
    world.clock.advance(timedelta(seconds=world.settings.dispatch_lease_seconds + 1))
    await world.until_done(world.dispatcher())
    world.assert_made_once(await world.slack_channels())
    rows = await world.rows()
    assert {r.state for r in rows} == {DeliveryState.SENT}
    # An invite is safe to repeat, so the taken-over one is not counted as a possible duplicate.
    assert all(r.unknown_attempts == 0 for r in rows)


async def test_a_lost_answer_to_create_adopts_the_channel_it_made(world: World) -> None:
    await world.decide()
    # Every create is carried out, and its answer lost: the retry meets "name_taken".
    world.emu.emulator.set_faults(
        FaultConfig(drop_after_share=1.0, methods=frozenset({"conversations.create"}), seed=1)
    )
    d = world.dispatcher()
    await d.tick()
    world.emu.emulator.set_faults(FaultConfig())
    world.clock.advance(timedelta(seconds=60))
    await world.until_done(d)
    made = await world.slack_channels()
    assert CHANNELS <= set(made) and len([n for n in made if n.startswith("lu-")]) == 3
    networks = await world.networks()
    assert {n.slack_channel_id for n in networks} == {made[name]["id"] for name in CHANNELS}
    assert {r.state for r in await world.rows()} == {DeliveryState.SENT}


async def test_429_and_5xx_on_create_and_invite_are_retried_to_exactly_once(world: World) -> None:
    await world.decide()
    async with world.http.post(
        f"{world.emu.base_url}/_admin/faults",
        json={
            "ratelimited_share": 0.3,
            "server_error_share": 0.3,
            "seed": 7,
            "methods": ["conversations.create", "conversations.invite"],
        },
    ) as response:
        assert response.status == 200
    await world.until_done(world.dispatcher())
    faults = Counter(r.fault for r in world.emu.calls.calls() if r.fault)
    assert faults["ratelimited"] and (faults["internal_error"] + faults["service_unavailable"])
    world.assert_made_once(await world.slack_channels())
    rows = await world.rows()
    assert {r.state for r in rows} == {DeliveryState.SENT}
    # 429s are not held against a step; 5xx count, within the bound.
    assert all(r.attempts <= world.settings.dispatch_max_attempts for r in rows)


async def test_two_dispatchers_make_each_channel_once(world: World, other_db: Database) -> None:
    await world.decide()
    a = world.dispatcher()
    b = world.dispatcher(db=other_db)  # a second process on the same database
    ticks: list[TickStats] = await asyncio.gather(a.tick(), b.tick(), a.tick(), b.tick())
    await world.until_done(a)
    assert sum(t.claimed for t in ticks) >= 6
    world.assert_made_once(await world.slack_channels())
    assert {r.state for r in await world.rows()} == {DeliveryState.SENT}


# --- file uploads ----------------------------------------------------------------------------


async def test_a_rolled_back_upload_leaves_nothing_in_slack_or_the_database(world: World) -> None:
    with pytest.raises(RuntimeError):
        async with world.db.transaction() as s:
            await steps.upload_file(
                s,
                world.settings,
                target=PEOPLE[0],
                content=b"x",
                filename="a.csv",
                title="A",
                now=world.clock.now(),
            )
            raise RuntimeError("the report's transaction fails")
    assert (await world.dispatcher().tick()).claimed == 0
    assert world.emu.state.files == {} and await world.stored_files() == []


async def test_an_upload_survives_5xx_and_keeps_no_bytes_once_sent(world: World) -> None:
    await world.decide_upload(PEOPLE[0])
    world.emu.emulator.set_faults(
        FaultConfig(server_error_share=1.0, methods=frozenset({"files.getUploadURLExternal"}))
    )
    d = world.dispatcher()
    await d.tick()
    [waiting] = await world.rows()
    assert waiting.state == DeliveryState.PENDING and len(await world.stored_files()) == 1
    world.emu.emulator.set_faults(FaultConfig())
    await world.until_done(d)
    shared = [f for f in world.emu.state.files.values() if f.completed]
    dm, _ = world.emu.state.open_im(PEOPLE[0])
    assert [(f.name, f.content, f.channels) for f in shared] == [
        ("arsrapport-2026.csv", b"period,value\n2026,5\n", [dm.id])
    ]
    [done] = await world.rows()
    assert done.state == DeliveryState.SENT and "content" not in str(done.message)
    assert await world.stored_files() == []  # the bytes are gone with the step


async def test_a_refused_upload_fails_with_the_reason_and_keeps_no_bytes(world: World) -> None:
    await world.decide_upload("CNOSUCHCHAN")
    await world.until_done(world.dispatcher())
    [failed] = await world.rows()
    assert failed.state == DeliveryState.FAILED and "channel_not_found" in (failed.error or "")
    assert await world.stored_files() == []


async def test_a_create_never_adopts_a_channel_another_network_holds(world: World) -> None:
    # A second network asks for the name the Bergen class's channel has: Slack says
    # name_taken and the create finds that channel, which must stay Bergen's alone.
    await world.decide()
    d = world.dispatcher()
    await world.until_done(d)
    bergen_id = (await world.slack_channels())["lu-2026h-bergen"]["id"]
    async with world.db.transaction() as s:
        holder = (await s.exec(select(Network).where(Network.slack_channel_id == bergen_id))).one()
        other = Network(kind=NetworkKind.ALUMNI_REGION, key="alumni:vestland", name="Vestland")
        s.add(other)
        await s.flush()
        assert other.id is not None
        assert await steps.create_channel(
            s,
            world.settings,
            network=other,
            name="lu-2026h-bergen",
            private=False,
            now=world.clock.now(),
        )
        other_id = other.id
    await world.until_done(d)
    [refused] = [r for r in await world.rows() if r.target == steps.network_target(other_id)]
    assert refused.state == DeliveryState.FAILED
    assert f"is network {holder.id}'s already" in (refused.error or "")
    async with world.db.session() as s:
        assert (await s.get(Network, other_id)).slack_channel_id is None  # type: ignore[union-attr]
        assert (await s.get(Network, holder.id)).slack_channel_id == bergen_id  # type: ignore[union-attr]
