"""Local mode's movable clock: the offset survives a restart, and fast-forward never turns a live
claim into an expired one (leases run on the real clock)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app import LOCAL_CLOCK_FILE, local_clock
from bot.clock import OffsetClock, SystemClock
from bot.delivery import Dispatcher
from bot.notifier import OutgoingMessage, SendResult
from bot.settings import Settings
from storage.db import Database
from storage.models import DeliveryState
from tests.utils.deliveries import all_deliveries, enqueue_many


def test_the_local_clock_offset_survives_a_restart(tmp_path: Path) -> None:
    clock = local_clock(tmp_path)
    assert clock.offset == timedelta(0)
    clock.fast_forward(timedelta(days=3, hours=2))
    clock.fast_forward(timedelta(minutes=5))
    restarted = local_clock(tmp_path)
    assert restarted.offset == timedelta(days=3, hours=2, minutes=5)
    assert restarted.now() >= datetime.now(UTC) + timedelta(days=3)


def test_an_unreadable_clock_file_starts_at_real_time(tmp_path: Path) -> None:
    (tmp_path / LOCAL_CLOCK_FILE).write_text("not json", encoding="utf-8")
    assert local_clock(tmp_path).offset == timedelta(0)


class Blocking:
    """A transport whose sends wait until released; counts every send."""

    transport = "slack"

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.sends: list[str] = []

    async def send(self, *, target: str, message: OutgoingMessage) -> SendResult:
        self.sends.append(target)
        self.started.set()
        await self.release.wait()
        return SendResult("sent", ref="1.0")


async def test_fast_forward_never_expires_a_live_claim(db: Database, settings: Settings) -> None:
    clock = OffsetClock()
    await enqueue_many(db, settings, count=1, send_at=clock.now() - timedelta(seconds=1))
    slack = Blocking()
    first = Dispatcher(
        db, {"slack": slack}, clock, None, settings, "first", lease_clock=SystemClock()
    )
    second = Dispatcher(
        db, {"slack": slack}, clock, None, settings, "second", lease_clock=SystemClock()
    )
    sending = asyncio.create_task(first.tick())
    await asyncio.wait_for(slack.started.wait(), timeout=30)
    # Staff fast-forward a week while the send is in flight; the other process ticks.
    clock.fast_forward(timedelta(days=7))
    stats = await second.tick()
    assert stats.claimed == 0
    slack.release.set()
    await asyncio.wait_for(sending, timeout=30)
    [row] = await all_deliveries(db)
    assert row.state == DeliveryState.SENT and slack.sends == ["U00000"]


async def test_without_a_real_lease_clock_fast_forward_would_take_the_claim_over(
    db: Database, settings: Settings
) -> None:
    """The hazard the lease clock removes: leases on the shifted clock look expired."""
    clock = OffsetClock()
    await enqueue_many(db, settings, count=1, send_at=clock.now() - timedelta(seconds=1))
    slack = Blocking()
    other = Blocking()
    other.release.set()
    first = Dispatcher(db, {"slack": slack}, clock, None, settings, "first")
    second = Dispatcher(db, {"slack": other}, clock, None, settings, "second")
    sending = asyncio.create_task(first.tick())
    await asyncio.wait_for(slack.started.wait(), timeout=30)
    clock.fast_forward(timedelta(days=7))
    stats = await second.tick(max_batches=1)
    slack.release.set()
    await asyncio.wait_for(sending, timeout=30)
    assert stats.claimed == 1 and slack.sends == other.sends == ["U00000"]
