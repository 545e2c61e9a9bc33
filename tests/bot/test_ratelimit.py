"""The client-side limiter, on a fake monotonic clock (no real waiting)."""

from __future__ import annotations

import asyncio

import pytest

from bot.ratelimit import POST_MESSAGE, RateLimiter, RateLimits, TokenBucket


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def limiter(**limits: float) -> tuple[RateLimiter, FakeTime]:
    t = FakeTime()
    return RateLimiter(RateLimits(**limits), monotonic=t.monotonic, sleep=t.sleep), t  # type: ignore[arg-type]


def test_bucket_burst_then_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=3, now=0.0)
    assert [bucket.reserve(0.0) for _ in range(3)] == [0, 0, 0]
    assert bucket.reserve(0.0) == 0.5
    assert bucket.reserve(0.0) == 1.0
    assert bucket.ready_in(0.0) == 1.5


async def test_tier_rates() -> None:
    lim, t = limiter()
    # Tier 2 (conversations.create): 20/min after a burst of half a minute's worth (10), of
    # which the outbox leaves 3 to the fast lane.
    for _ in range(60):
        await lim.acquire("conversations.create")
    assert abs(t.now - (60 - 7) * 3) < 1e-6


async def test_post_message_per_channel_pace() -> None:
    lim, t = limiter(post_channel_per_second=1, post_channel_burst=3)
    for _ in range(13):
        await lim.acquire(POST_MESSAGE, "C1")
    assert t.now == 10.0  # 3 at once, then one a second


async def test_workspace_ceiling_across_channels() -> None:
    lim, t = limiter(post_workspace_per_minute=600, post_workspace_burst=10)
    for i in range(110):
        await lim.acquire(POST_MESSAGE, f"U{i}")
    assert abs(t.now - 10.3) < 1e-6  # 10/s after the burst of 10, less the fast lane's 3


async def test_scale_speeds_everything_up() -> None:
    lim, t = limiter(post_workspace_per_minute=600, post_workspace_burst=10, scale=10)
    for i in range(110):
        await lim.acquire(POST_MESSAGE, f"U{i}")
    assert abs(t.now - 1.03) < 1e-6
    assert (
        RateLimits(
            post_workspace_per_minute=600, post_workspace_burst=10, scale=10
        ).minimum_seconds(110)
        == 1.0
    )


async def test_penalty_blocks_only_that_channel() -> None:
    lim, t = limiter()
    lim.penalise(POST_MESSAGE, "C1", 30)
    assert lim.ready_in(POST_MESSAGE, "C1") == 30
    assert lim.ready_in(POST_MESSAGE, "C2") == 0
    assert lim.ready_in("views.publish") == 0
    await lim.acquire(POST_MESSAGE, "C2")
    assert t.now == 0
    await lim.acquire(POST_MESSAGE, "C1")
    assert t.now == 30


async def test_method_wide_penalty() -> None:
    lim, t = limiter()
    lim.penalise("views.publish", None, 5)
    assert lim.blocked_for("views.publish", "anything") == 5
    await lim.acquire("views.publish")
    assert t.now == 5


def test_idle_channel_buckets_are_forgotten() -> None:
    lim, t = limiter()
    for i in range(10_002):
        lim._channel_bucket(f"U{i}", t.now)
    t.now += 100
    lim._channel_bucket("new", t.now)
    assert len(lim._channels) <= 2  # full buckets are the same as new ones


def test_queued_lane_gives_each_key_its_own_later_slot_and_keeps_it() -> None:
    lim, t = limiter()  # conversations.open is Tier 3: 50/min; queued work gets 90 %: 45/min
    waits = [lim.reserve_slot("conversations.open", f"group:{i}") for i in range(30)]
    # At once: the burst bulk callers may take (25 less the fast lane's 30 %: 17).
    assert waits[:17] == [0.0] * 17
    assert waits[17] == pytest.approx(60 / 45)  # then one every 60/45 s
    assert waits[29] == pytest.approx(13 * 60 / 45)
    # Asking again (the dispatcher asks when it plans and again before it sends) keeps the place.
    assert lim.reserve_slot("conversations.open", "group:29") == pytest.approx(13 * 60 / 45)
    t.now = 13 * 60 / 45
    assert lim.reserve_slot("conversations.open", "group:29") == 0.0
    lim.release_slot("conversations.open", "group:29")
    assert lim.reserve_slot("conversations.open", "group:29") > 0  # a new call: a new slot


async def test_a_long_queued_lane_leaves_the_tier_to_interactive_calls() -> None:
    lim, t = limiter()
    for i in range(500):  # a national matching round's group DMs, queued
        lim.reserve_slot("conversations.open", f"group:{i}")
    assert await lim.acquire("conversations.open") == 0  # a person's own click is not behind them
    assert t.now == 0.0


async def test_interactive_replies_jump_a_saturated_outbox() -> None:
    lim, t = limiter()
    # The outbox has queued reservations a minute into the future for chat.update's bucket.
    bucket = lim._method_bucket("chat.update", t.now)
    waits = [bucket.reserve(t.now) for _ in range(60)]
    assert waits[-1] > 40
    # A confirmation goes at once, and so do the next few: the headroom the outbox left.
    assert [await lim.acquire("chat.update", priority=True) for _ in range(7)] == [0.0] * 7
    assert t.now == 0
    # Beyond the headroom it queues too, and the outbox's next slot moved back by as much:
    # both lanes together stay within Slack's rate.
    assert await lim.acquire("chat.update", priority=True) > 0
    assert bucket.reserve(t.now) > waits[-1]


async def test_bulk_leaves_the_fast_lane_its_headroom() -> None:
    lim, t = limiter()
    for _ in range(25 - 7):  # Tier 3: a burst of 25, of which 7 are the fast lane's
        assert await lim.acquire("conversations.open") == 0
    assert lim._method_bucket("conversations.open", t.now).ready_in(t.now) > 0  # outbox waits ...
    assert await lim.acquire("conversations.open", priority=True) == 0  # ... a reply does not
