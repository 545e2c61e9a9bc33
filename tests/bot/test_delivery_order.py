"""One target's deliveries run in order, by one dispatcher at a time, in any number of processes.

Attack tests on PostgreSQL: two dispatchers with engines of their own, the first one's send of
a target's earlier step held open, and the second one ticking meanwhile.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from bot.clock import FrozenClock
from bot.delivery import Dispatcher, schedule
from bot.notifier import OutgoingMessage, SendResult
from bot.settings import Settings
from storage.db import Database
from storage.models import DeliveryState
from storage.queries import deliveries as q
from storage.queries.deliveries._common import DELIVERY, D

pytestmark = pytest.mark.postgres

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


def two_dispatchers(
    log: Log, first: Database, second: Database, settings: Settings, clock: FrozenClock
) -> tuple[Dispatcher, Dispatcher]:
    a = Dispatcher(first, {"teams_channels": log.notifier("a")}, clock, None, settings, "a")  # type: ignore[dict-item]
    b = Dispatcher(second, {"teams_channels": log.notifier("b")}, clock, None, settings, "b")  # type: ignore[dict-item]
    return a, b


async def test_a_later_step_never_runs_while_another_dispatcher_holds_the_earlier_one(
    postgres_url: str, settings: Settings
) -> None:
    # The add is claimed and in flight in A; the remove is decided afterwards (the person left).
    settings = settings.model_copy(update={"database_url": postgres_url})
    now = datetime.now(UTC)
    clock = FrozenClock(now + timedelta(seconds=5))
    first, second = Database(postgres_url), Database(postgres_url)
    log = Log()
    log.gates["add"] = asyncio.Event()
    try:
        a, b = two_dispatchers(log, first, second, settings, clock)
        await queue(first, settings, ["add"], send_at=now)
        tick_a = asyncio.create_task(a.tick())
        await asyncio.wait_for(log.started["add"].wait(), 10)
        await queue(
            second, settings, ["remove"], send_at=now + timedelta(seconds=1), prefix="later"
        )
        stats_b = await b.tick()
        assert log.started_texts() == ["add"], "B ran the remove while A still held the add"
        assert stats_b.sent == 0
        log.gates["add"].set()
        await asyncio.wait_for(tick_a, 10)
        await b.tick()
        assert log.started_texts() == ["add", "remove"]
        assert log.overlapping() == []
        async with first.session() as session:
            assert await q.count_deliveries_by_state(session=session) == {"sent": 2}
    finally:
        log.gates["add"].set()
        await first.dispose()
        await second.dispose()


async def test_a_chain_cut_by_the_batch_limit_is_not_split_between_dispatchers(
    postgres_url: str, settings: Settings
) -> None:
    # Steps 1..5 for one channel are all due; A's batch of one takes only the first.
    settings = settings.model_copy(
        update={"database_url": postgres_url, "dispatch_batch": 1, "dispatch_concurrency": 4}
    )
    now = datetime.now(UTC)
    clock = FrozenClock(now + timedelta(seconds=5))
    first, second = Database(postgres_url), Database(postgres_url)
    log = Log()
    log.gates["add"] = asyncio.Event()
    steps = ["add", "post 1", "post 2", "remove", "post 3"]
    try:
        a, b = two_dispatchers(log, first, second, settings, clock)
        await queue(first, settings, steps, send_at=now)
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
        async with first.session() as session:
            assert await q.count_deliveries_by_state(session=session) == {"sent": len(steps)}
    finally:
        log.gates["add"].set()
        await first.dispose()
        await second.dispose()


async def test_an_abandoned_chain_is_taken_over_in_order_after_its_in_flight_step(
    postgres_url: str, settings: Settings
) -> None:
    # A holds add (in flight, lease renewed) and the remove (claimed, lease run out): B may
    # not take the remove over while the add is still going.
    settings = settings.model_copy(
        update={"database_url": postgres_url, "dispatch_lease_seconds": 60}
    )
    now = datetime.now(UTC)
    clock = FrozenClock(now + timedelta(seconds=5))
    first, second = Database(postgres_url), Database(postgres_url)
    log = Log()
    log.gates["add"] = asyncio.Event()
    try:
        a, b = two_dispatchers(log, first, second, settings, clock)
        await queue(first, settings, ["add", "remove"], send_at=now)
        tick_a = asyncio.create_task(a.tick())
        await asyncio.wait_for(log.started["add"].wait(), 10)
        # The remove's claim lease runs out; the add's (renewed when it went in flight) not.
        async with first.transaction() as session:
            await session.execute(
                update(DELIVERY)
                .where(D.state == DeliveryState.CLAIMED)
                .values(lease_until=clock.now() - timedelta(seconds=1))
            )
        await b.tick()
        assert log.started_texts() == ["add"], "B took over the remove while the add was going"
        log.gates["add"].set()
        await asyncio.wait_for(tick_a, 10)
        await b.tick()
        assert log.started_texts() == ["add", "remove"]
        assert log.overlapping() == []
    finally:
        log.gates["add"].set()
        await first.dispose()
        await second.dispose()


async def test_many_targets_are_still_shared_by_two_dispatchers_each_in_order(
    postgres_url: str, settings: Settings
) -> None:
    settings = settings.model_copy(
        update={"database_url": postgres_url, "dispatch_batch": 25, "dispatch_concurrency": 8}
    )
    now = datetime.now(UTC)
    clock = FrozenClock(now + timedelta(seconds=5))
    first, second = Database(postgres_url), Database(postgres_url)
    log = Log()
    targets, per_target = 150, 4
    try:
        a, b = two_dispatchers(log, first, second, settings, clock)
        # Interleaved: target i's k-th message is row k*targets+i, so batches cut every chain.
        texts = [f"{k}" for k in range(per_target) for _ in range(targets)]
        await queue(
            first,
            settings,
            texts,
            send_at=now,
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
        async with first.session() as session:
            assert await q.count_deliveries_by_state(session=session) == {
                "sent": targets * per_target
            }
    finally:
        await first.dispose()
        await second.dispose()
