"""One target's deliveries run in order, by one dispatcher at a time, in any number of processes.

Attack tests on PostgreSQL: two dispatchers with engines of their own, the first one's send of
a target's earlier step held open, and the second one ticking meanwhile.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import update

from bot.clock import FrozenClock
from bot.delivery import Dispatcher, schedule
from bot.identities import teams_target
from bot.notifier import OutgoingMessage, SendResult
from bot.settings import Settings
from emulator.teams_connector import ConnectorHandle
from handlers.teams.ratelimit import TeamsRateLimiter
from storage.db import Database
from storage.models import DeliveryState
from storage.queries import deliveries as q
from storage.queries.deliveries._common import DELIVERY, D
from tests.utils.teams import teams_notifier

CHANNEL = "19:private-channel@thread.tacv2"  # a Teams private channel, one person's add/remove


class Log:
    """What every dispatcher's transport did, in the order it happened."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str, str]] = []  # (who, start|end, target, text)
        self.gates: dict[str, asyncio.Event] = {}  # text -> released when set
        self.started: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.holds: dict[tuple[str, str], asyncio.Event] = {}  # (who, target) -> gate
        self.sent_by: dict[str, asyncio.Event] = defaultdict(asyncio.Event)

    def notifier(self, who: str) -> object:
        log = self

        class Recording:
            transport = "teams_channels"

            async def send(self, *, target: str, message: OutgoingMessage) -> SendResult:
                text = str(message.text)
                log.events.append((who, "start", target, text))
                log.started[text].set()
                log.sent_by[who].set()
                for gate in (log.gates.get(text), log.holds.get((who, target))):
                    if gate is not None:
                        await asyncio.wait_for(gate.wait(), 20)
                await asyncio.sleep(0)  # let the other dispatcher run in between
                log.events.append((who, "end", target, text))
                return SendResult("sent", ref=f"{target}:{text}")

        return Recording()

    def started_texts(self, target: str = CHANNEL) -> list[str]:
        return [text for _, what, t, text in self.events if what == "start" and t == target]

    def overlapping(self) -> list[str]:
        """Targets that had two sends going at once."""
        going: dict[str, int] = defaultdict(int)
        bad: list[str] = []
        for _, what, target, _ in self.events:
            going[target] += 1 if what == "start" else -1
            if going[target] > 1:
                bad.append(target)
        return bad


async def queue(
    db: Database,
    settings: Settings,
    texts: list[str],
    *,
    send_at: datetime,
    target: Callable[[int], str] = lambda i: CHANNEL,
    prefix: str = "step",
) -> None:
    async with db.transaction() as session:
        for i, text in enumerate(texts):
            await schedule(
                session,
                key=f"{prefix}:{i}:{text}",
                transport="teams_channels",
                kind="announcement",
                target=target(i),
                message=OutgoingMessage(text=text),
                # Distinct times, so "intended order" is (send_at, id) unambiguously.
                send_at=send_at + timedelta(milliseconds=i),
                audience="channel",
                settings=settings,
                urgent=True,
            )


@dataclass
class TwoEngines:
    """Two dispatchers' databases, each an engine of its own on one database (two processes),
    a clock both read, and the log of what their transports did."""

    first: Database
    second: Database
    settings: Settings
    now: datetime
    clock: FrozenClock
    log: Log

    def settings_with(self, **changes: Any) -> Settings:
        self.settings = self.settings.model_copy(update=changes)
        return self.settings

    def dispatchers(self) -> tuple[Dispatcher, Dispatcher]:
        """Dispatcher "a" on the first engine and "b" on the second, recording into `log`."""
        log, settings, clock = self.log, self.settings, self.clock
        a = Dispatcher(
            self.first, {"teams_channels": log.notifier("a")}, clock, None, settings, "a"
        )  # type: ignore[dict-item]
        b = Dispatcher(
            self.second, {"teams_channels": log.notifier("b")}, clock, None, settings, "b"
        )  # type: ignore[dict-item]
        return a, b


@pytest.fixture
async def two_engines(
    request: pytest.FixtureRequest, settings: Settings
) -> AsyncIterator[TwoEngines]:
    """Two engines on a fresh PostgreSQL database for a test marked `postgres`, else on this
    pass's database (SQLite, or PostgreSQL in the second pass); the clock 5 s after `now`.

    At the end every gate is opened, so no send is left waiting, and both engines disposed.
    """
    if request.node.get_closest_marker("postgres"):
        url = request.getfixturevalue("postgres_url")
    else:
        url = request.getfixturevalue("database_url")
    now = datetime.now(UTC)
    world = TwoEngines(
        first=Database(url),
        second=Database(url),
        settings=settings.model_copy(update={"database_url": url}),
        now=now,
        clock=FrozenClock(now + timedelta(seconds=5)),
        log=Log(),
    )
    try:
        yield world
    finally:
        for gate in world.log.gates.values():
            gate.set()
        await world.first.dispose()
        await world.second.dispose()


@pytest.mark.postgres
async def test_a_later_step_never_runs_while_another_dispatcher_holds_the_earlier_one(
    two_engines: TwoEngines,
) -> None:
    # The add is claimed and in flight in A; the remove is decided afterwards (the person left).
    w, log = two_engines, two_engines.log
    log.gates["add"] = asyncio.Event()
    a, b = w.dispatchers()
    await queue(w.first, w.settings, ["add"], send_at=w.now)
    tick_a = asyncio.create_task(a.tick())
    await asyncio.wait_for(log.started["add"].wait(), 10)
    await queue(
        w.second, w.settings, ["remove"], send_at=w.now + timedelta(seconds=1), prefix="later"
    )
    stats_b = await b.tick()
    assert log.started_texts() == ["add"], "B ran the remove while A still held the add"
    assert stats_b.sent == 0
    log.gates["add"].set()
    await asyncio.wait_for(tick_a, 10)
    await b.tick()
    assert log.started_texts() == ["add", "remove"]
    assert log.overlapping() == []
    async with w.first.session() as session:
        assert await q.count_deliveries_by_state(session=session) == {"sent": 2}


@pytest.mark.postgres
async def test_a_chain_cut_by_the_batch_limit_is_not_split_between_dispatchers(
    two_engines: TwoEngines,
) -> None:
    # Steps 1..5 for one channel are all due; A's batch of one takes only the first.
    w, log = two_engines, two_engines.log
    w.settings_with(dispatch_batch=1, dispatch_concurrency=4)
    log.gates["add"] = asyncio.Event()
    steps = ["add", "post 1", "post 2", "remove", "post 3"]
    a, b = w.dispatchers()
    await queue(w.first, w.settings, steps, send_at=w.now)
    tick_a = asyncio.create_task(a.tick())
    await asyncio.wait_for(log.started["add"].wait(), 10)
    await b.tick()
    assert log.started_texts() == ["add"], "a later step ran while the add was in flight"
    log.gates["add"].set()
    await asyncio.wait_for(tick_a, 10)
    await b.tick()
    await a.tick()
    assert log.started_texts() == steps
    assert log.overlapping() == []
    async with w.first.session() as session:
        assert await q.count_deliveries_by_state(session=session) == {"sent": len(steps)}


@pytest.mark.postgres
async def test_an_abandoned_chain_is_taken_over_in_order_after_its_in_flight_step(
    two_engines: TwoEngines,
) -> None:
    # A holds add (in flight, lease renewed) and the remove (claimed, lease run out): B may
    # not take the remove over while the add is still going.
    w, log = two_engines, two_engines.log
    w.settings_with(dispatch_lease_seconds=60)
    log.gates["add"] = asyncio.Event()
    a, b = w.dispatchers()
    await queue(w.first, w.settings, ["add", "remove"], send_at=w.now)
    tick_a = asyncio.create_task(a.tick())
    await asyncio.wait_for(log.started["add"].wait(), 10)
    # The remove's claim lease runs out; the add's (renewed when it went in flight) not.
    async with w.first.transaction() as session:
        await session.execute(
            update(DELIVERY)
            .where(D.state == DeliveryState.CLAIMED)
            .values(lease_until=w.clock.now() - timedelta(seconds=1))
        )
    await b.tick()
    assert log.started_texts() == ["add"], "B took over the remove while the add was going"
    log.gates["add"].set()
    await asyncio.wait_for(tick_a, 10)
    await b.tick()
    assert log.started_texts() == ["add", "remove"]
    assert log.overlapping() == []


@pytest.mark.postgres
async def test_many_targets_are_still_shared_by_two_dispatchers_each_in_order(
    two_engines: TwoEngines,
) -> None:
    w, log = two_engines, two_engines.log
    w.settings_with(dispatch_batch=25, dispatch_concurrency=8)
    targets, per_target = 150, 4
    a, b = w.dispatchers()
    # Interleaved: target i's k-th message is row k*targets+i, so batches cut every chain.
    texts = [f"{k}" for k in range(per_target) for _ in range(targets)]
    await queue(
        w.first,
        w.settings,
        texts,
        send_at=w.now,
        target=lambda i: f"19:c{i % targets}@thread.tacv2",
    )
    # A's first send waits until B has sent something: B must find other targets to take
    # while A holds one, or this times out.
    log.holds[("a", "19:c0@thread.tacv2")] = log.sent_by["b"]
    stats_a, stats_b = await asyncio.gather(a.tick(), b.tick())
    assert stats_a.sent + stats_b.sent == targets * per_target, (stats_a, stats_b)
    assert stats_a.sent > 0 and stats_b.sent > 0  # both really took part
    assert log.overlapping() == []
    for i in range(targets):
        target = f"19:c{i}@thread.tacv2"
        assert log.started_texts(target) == [str(k) for k in range(per_target)], target
    async with w.first.session() as session:
        assert await q.count_deliveries_by_state(session=session) == {"sent": targets * per_target}


# --- a retried step keeps its place in its target's chain ----------------------------------
# Over real HTTP: outbox -> Dispatcher -> TeamsNotifier -> the local Bot Framework connector,
# which answers the first post to a conversation 429 (Retry-After) or 503.

FIRST_ANSWERS = [pytest.param(429, 30.0, id="429-retry-after"), pytest.param(503, None, id="503")]


class Time:
    """The dispatchers' clock and the Teams limiters' monotonic clock, moved together: a wait
    moves time on, nothing really waits."""

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.seconds = 1000.0

    def monotonic(self) -> float:
        return self.seconds

    async def sleep(self, seconds: float) -> None:
        self.move(seconds)

    def move(self, seconds: float) -> None:
        self.seconds += seconds
        self.clock.advance(timedelta(seconds=seconds))


def teams_dispatcher(
    db: Database, http: aiohttp.ClientSession, time: Time, settings: Settings, name: str
) -> Dispatcher:
    """A dispatcher with a Teams notifier and limiter of its own (one process's)."""
    limiter = TeamsRateLimiter(monotonic=time.monotonic, sleep=time.sleep)
    notifier = teams_notifier(http, limiter)
    return Dispatcher(db, {"teams": notifier}, time.clock, None, settings, name, sleep=time.sleep)


async def queue_teams(
    db: Database,
    settings: Settings,
    keys: list[str],
    *,
    conversation: str,
    handle: ConnectorHandle,
    send_at: datetime,
) -> None:
    async with db.transaction() as session:
        for i, key in enumerate(keys):
            await schedule(
                session,
                key=key,
                transport="teams",
                kind="announcement",
                target=teams_target(conversation, handle.url),
                message=OutgoingMessage(text=key),
                send_at=send_at + timedelta(milliseconds=i),
                audience="participant",
                settings=settings,
                urgent=True,
            )


async def queue_first_and_second(
    db: Database, settings: Settings, handle: ConnectorHandle, send_at: datetime
) -> None:
    """Queue "first" and then "second" for the conversation "a:busy"."""
    await queue_teams(
        db, settings, ["first", "second"], conversation="a:busy", handle=handle, send_at=send_at
    )


def arrived(handle: ConnectorHandle, conversation: str) -> list[str]:
    """The delivery keys of what reached `conversation`, in the order it arrived."""
    return [
        a["activity"]["channelData"]["cohortbot"]["delivery_key"]
        for a in handle.state.sent_to(conversation)
    ]


@pytest.mark.parametrize(("status", "retry_after"), FIRST_ANSWERS)
async def test_a_retried_message_is_not_overtaken_by_the_next_one_for_its_conversation(
    status: int,
    retry_after: float | None,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    connector: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    due = clock.now() - timedelta(seconds=1)
    # One dispatcher. The first message meets a 429 (or a 503) and goes back to wait; the
    # second, due already, must wait behind it, however time moves on.
    time = Time(clock)
    connector.state.fail_next(status, retry_after=retry_after, path="a:busy")
    await queue_first_and_second(db, settings, connector, send_at=due)
    await queue_teams(
        db, settings, ["elsewhere"], conversation="a:quiet", handle=connector, send_at=due
    )
    dispatcher = teams_dispatcher(db, http, time, settings, "t")
    stats = await dispatcher.tick()
    assert stats.retried == 1
    assert arrived(connector, "a:quiet") == ["elsewhere"]  # another conversation is not held
    assert arrived(connector, "a:busy") == [], "the second message went before the first"
    for _ in range(20):
        if len(arrived(connector, "a:busy")) == 2:
            break
        time.move(60)
        await dispatcher.tick()
    assert arrived(connector, "a:busy") == ["first", "second"]


@pytest.mark.parametrize(("status", "retry_after"), FIRST_ANSWERS)
async def test_a_retried_message_is_not_overtaken_by_another_dispatcher(
    status: int,
    retry_after: float | None,
    two_engines: TwoEngines,
    connector: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    # A's batch of one takes the first message, which meets a 429 (or a 503). B, in another
    # process whose limiter never heard of that answer, ticks meanwhile: the second message,
    # due, must not go before the first.
    w = two_engines
    w.settings_with(dispatch_batch=1)
    time = Time(w.clock)
    connector.state.fail_next(status, retry_after=retry_after, path="a:busy")
    await queue_first_and_second(w.first, w.settings, connector, send_at=w.now)
    a = teams_dispatcher(w.first, http, time, w.settings, "a")
    b = teams_dispatcher(w.second, http, time, w.settings, "b")
    assert (await a.tick(max_batches=1)).retried == 1
    await b.tick()
    assert arrived(connector, "a:busy") == [], "B sent the second message before the first"
    for _ in range(20):
        if len(arrived(connector, "a:busy")) == 2:
            break
        time.move(60)
        await b.tick()
        await a.tick()
    assert arrived(connector, "a:busy") == ["first", "second"]


async def test_a_step_failed_for_good_does_not_hold_the_rest_of_its_chain(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    connector: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    due = clock.now() - timedelta(seconds=1)
    # 403: the person blocked the bot. That step is recorded failed with the reason; the next
    # one for the conversation goes on at once.
    connector.state.fail_next(403, path="a:busy")
    await queue_first_and_second(db, settings, connector, send_at=due)
    stats = await teams_dispatcher(db, http, Time(clock), settings, "t").tick()
    assert (stats.failed, stats.sent) == (1, 1)
    assert arrived(connector, "a:busy") == ["second"]


async def test_replanning_a_message_waiting_for_its_retry_keeps_the_retry_time(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    connector: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    # The planner re-applies the plan while the first message waits out its Retry-After: it
    # writes the planned time again, which must not make the message due before its retry. A
    # restarted process (a limiter that never heard of the 429) ticks right after.
    due = clock.now() - timedelta(seconds=1)
    time = Time(clock)
    connector.state.fail_next(429, retry_after=30, path="a:busy")
    await queue_first_and_second(db, settings, connector, send_at=due)
    assert (await teams_dispatcher(db, http, time, settings, "t").tick()).retried == 1
    async with db.transaction() as session:
        await q.enqueue_delivery(
            session=session,
            dedupe_key="first",
            transport="teams",
            kind="announcement",
            target=teams_target("a:busy", connector.url),
            message=OutgoingMessage(text="first, reworded").to_json(),
            send_at=due,
            urgent=True,
            replace_pending=True,
            now=clock.now(),
        )
    restarted = teams_dispatcher(db, http, time, settings, "restarted")
    await restarted.tick()
    assert arrived(connector, "a:busy") == [], "the re-plan cut the Retry-After short"
    time.move(30)
    await restarted.tick()
    assert arrived(connector, "a:busy") == ["first", "second"]
