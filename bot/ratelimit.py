"""A client-side rate limiter in the shape Slack publishes, so the bot rarely meets a 429.

- Web API methods belong to tiers (Tier 2: 20/min, Tier 3: 50/min, Tier 4: 100/min), one
  token bucket per method, workspace-wide.
- chat.postMessage has its own limit: about one message per second per channel with short
  bursts, under a workspace-wide ceiling of several hundred a minute.
- A 429 blocks only that method (and channel) for `Retry-After` seconds: `penalise(...)`.

Buckets hand out reservations (the next free slot) so waiting callers queue fairly without
polling. Two lanes share every bucket: the outbox (bulk) leaves `FAST_LANE_SHARE` of each
bucket's burst unused, and interactive replies (`priority=True`: confirmations, ephemeral
answers, modal updates) may use it, so a burst of scheduled sends never queues a reply behind
it; over time both lanes stay within the one limit. The clock and sleep are parameters, so tests run without real waiting. Nothing here
knows Slack's client; the Slack notifier calls `acquire` before each Web API call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot import metrics

POST_MESSAGE = "chat.postMessage"
# The share of every bucket's burst the outbox leaves to interactive replies (the fast lane).
FAST_LANE_SHARE = 0.3

# Slack's published tiers for the methods the bot calls; unknown methods count as Tier 3.
DEFAULT_METHOD_TIERS: dict[str, int] = {
    "auth.test": 4,
    "chat.update": 3,
    "chat.delete": 3,
    "chat.postEphemeral": 4,
    "conversations.join": 3,
    "conversations.create": 2,
    "conversations.invite": 3,
    "conversations.kick": 3,
    "conversations.archive": 2,
    "conversations.info": 3,
    "conversations.list": 2,
    "conversations.members": 4,
    "conversations.open": 3,
    "conversations.setTopic": 3,
    "users.info": 4,
    "users.list": 2,
    "users.lookupByEmail": 3,
    "views.open": 4,
    "views.publish": 4,
    "views.update": 4,
}
DEFAULT_TIER_PER_MINUTE: dict[int, float] = {1: 1, 2: 20, 3: 50, 4: 100}
# Queued (outbox) work in a lane of its own takes this share of a method's tier, so a slot
# that comes due rarely waits in `acquire` behind people's own calls (the fast lane).
QUEUED_SHARE = 0.9


@dataclass(frozen=True)
class RateLimits:
    """The limits to follow, per minute unless named otherwise. `scale` multiplies every rate."""

    tier_per_minute: dict[int, float] = field(default_factory=lambda: dict(DEFAULT_TIER_PER_MINUTE))
    method_tiers: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_METHOD_TIERS))
    post_channel_per_second: float = 1.0
    post_channel_burst: int = 3
    post_workspace_per_minute: float = 600
    post_workspace_burst: int = 10
    scale: float = 1.0

    @classmethod
    def from_settings(cls, settings: object) -> RateLimits:
        return cls(
            post_channel_per_second=getattr(settings, "slack_post_channel_per_second", 1.0),
            post_channel_burst=getattr(settings, "slack_post_channel_burst", 3),
            post_workspace_per_minute=getattr(settings, "slack_post_workspace_per_minute", 600),
            scale=getattr(settings, "slack_rate_scale", 1.0),
        )

    def method_rate(self, method: str) -> float:
        """Calls per second allowed for a (non-postMessage) method."""
        tier = self.method_tiers.get(method, 3)
        return self.tier_per_minute.get(tier, 50) * self.scale / 60.0

    def minimum_seconds(self, messages: int) -> float:
        """The least time `messages` DMs to distinct people can take under these limits."""
        rate = self.post_workspace_per_minute * self.scale / 60.0
        return max(0, messages - self.post_workspace_burst) / rate


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up. Reservations may run into the future."""

    def __init__(self, rate: float, burst: float, now: float, *, fast_lane: float = 0.0) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self.tokens = self.burst
        self.updated = now
        # Tokens bulk callers leave for priority ones: the fast lane's headroom, a share of
        # the burst in whole tokens (so a small bucket, a channel's 3, keeps its burst).
        self.keep = float(int(self.burst * fast_lane))
        self._bulk_due: list[float] = []  # when the outstanding bulk reservations are used

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now

    def reserve(self, now: float, *, priority: bool = False) -> float:
        """Take one token; return how long to wait before using it (0 if available now).

        A bulk reservation waits until `keep` tokens would be left after it. A priority one
        goes before the bulk reservations still waiting (they leave it the headroom when they
        fire) and waits only when the bucket, without them, is empty; what it takes pushes
        the later bulk reservations back, so both lanes together keep to the rate.
        """
        self._refill(now)
        if priority:
            self._bulk_due = [due for due in self._bulk_due if due > now]
            ahead = self.tokens + len(self._bulk_due)  # as if the waiting bulk were not there
            self.tokens -= 1
            return 0.0 if ahead >= 1 else (1 - ahead) / self.rate
        self.tokens -= 1
        wait = 0.0 if self.tokens >= self.keep else (self.keep - self.tokens) / self.rate
        if wait > 0:
            self._bulk_due.append(now + wait)
        return wait

    def ready_in(self, now: float) -> float:
        """How long until a bulk token would be available, without taking one."""
        self._refill(now)
        need = 1 + self.keep
        return 0.0 if self.tokens >= need else (need - self.tokens) / self.rate

    def idle(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.burst


class RateLimiter:
    """Per-method and per-channel buckets plus 429 penalties. One per process and token."""

    def __init__(
        self,
        limits: RateLimits | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.limits = limits or RateLimits()
        self._now = monotonic
        self._sleep = sleep
        self._methods: dict[str, TokenBucket] = {}
        self._channels: dict[str, TokenBucket] = {}
        self._blocked: dict[tuple[str, str | None], float] = {}
        self._lanes: dict[str, TokenBucket] = {}
        self._slots: dict[tuple[str, str], float] = {}
        self.waited = 0.0  # total seconds callers were held back (for benchmarks)
        self.penalties = 0

    # --- buckets ---------------------------------------------------------------------------

    def _method_bucket(self, method: str, now: float) -> TokenBucket:
        bucket = self._methods.get(method)
        if bucket is None:
            burst: float
            if method == POST_MESSAGE:
                rate = self.limits.post_workspace_per_minute * self.limits.scale / 60.0
                burst = self.limits.post_workspace_burst
            else:
                rate = self.limits.method_rate(method)
                # Slack counts tiers per minute and tolerates bursts: half a minute's worth
                # may go at once (Tier 2: 10, Tier 3: 25), the rest at the tier's pace.
                burst = max(1.0, rate * 30)
            bucket = self._methods[method] = TokenBucket(
                rate, burst, now, fast_lane=FAST_LANE_SHARE
            )
        return bucket

    def _channel_bucket(self, channel: str, now: float) -> TokenBucket:
        bucket = self._channels.get(channel)
        if bucket is None:
            if len(self._channels) > 10_000:
                self._forget_idle(now)
            bucket = self._channels[channel] = TokenBucket(
                self.limits.post_channel_per_second * self.limits.scale,
                self.limits.post_channel_burst,
                now,
                fast_lane=FAST_LANE_SHARE,
            )
        return bucket

    def _forget_idle(self, now: float) -> None:
        # A full bucket is the same as a new one: drop them so a 2,000-person fan-out
        # does not keep 2,000 buckets forever.
        for key in [k for k, b in self._channels.items() if b.idle(now)]:
            del self._channels[key]

    # --- penalties -------------------------------------------------------------------------

    def penalise(self, method: str, channel: str | None, retry_after: float) -> None:
        """Block `method` (for `channel` only, when given) for `retry_after` seconds after a 429."""
        until = self._now() + max(0.0, retry_after)
        key = (method, channel)
        self._blocked[key] = max(self._blocked.get(key, 0.0), until)
        self.penalties += 1
        metrics.RATELIMIT_PENALTIES.labels(method).inc()

    def blocked_for(self, method: str, channel: str | None = None) -> float:
        """Seconds left on a 429 penalty for this method (and channel)."""
        now = self._now()
        until = self._blocked.get((method, None), 0.0)
        if channel is not None:
            until = max(until, self._blocked.get((method, channel), 0.0))
        return max(0.0, until - now)

    def ready_in(self, method: str, channel: str | None = None) -> float:
        """Seconds before a call to `method` (in `channel`) could start, taking nothing."""
        now = self._now()
        wait = self.blocked_for(method, channel)
        if method == POST_MESSAGE and channel is not None and channel in self._channels:
            wait = max(wait, self._channels[channel].ready_in(now))
        return wait

    # --- queued work's own lane ------------------------------------------------------------

    def reserve_slot(self, method: str, key: str, *, share: float = QUEUED_SHARE) -> float:
        """Seconds until queued work `key` may call `method`: its place in a paced line.

        For work that can wait its turn without holding a sending slot meanwhile (the outbox's
        group DMs: conversations.open is Tier 3, 50 a minute, and a matching round opens one
        per pair). Each new key gets the next slot at `share` of the method's rate (the rest
        is left to interactive calls, beside the fast lane's headroom); the same key keeps its slot until
        `release_slot`, so asking again does not move it back. The call itself still waits for
        the shared bucket in `acquire`.
        """
        now = self._now()
        slot = self._slots.get((method, key))
        if slot is None:
            lane = self._lanes.get(method)
            if lane is None:
                rate = self.limits.method_rate(method) * share
                # At most the burst the shared bucket lets bulk callers take (it keeps the
                # fast lane's headroom), so a slot that comes due rarely waits in `acquire`.
                burst = int(max(1.0, self.limits.method_rate(method) * 30) * (1 - FAST_LANE_SHARE))
                lane = self._lanes[method] = TokenBucket(rate, max(1, burst), now)
            slot = now + lane.reserve(now)
            if len(self._slots) > 10_000:  # slots of work that never came back (cancelled)
                self._slots = {k: v for k, v in self._slots.items() if v > now - 600}
            self._slots[(method, key)] = slot
        return max(0.0, slot - now, self.blocked_for(method))

    def release_slot(self, method: str, key: str) -> None:
        """Forget `key`'s slot (its call was made)."""
        self._slots.pop((method, key), None)

    # --- waiting ---------------------------------------------------------------------------

    async def acquire(
        self, method: str, channel: str | None = None, *, priority: bool = False
    ) -> float:
        """Wait until a call to `method` (in `channel`) may go; returns the seconds waited.

        The channel's slot is waited for before the workspace's, so a message held back by a
        busy channel does not hold a workspace slot other channels could use. `priority`:
        an interactive reply, which may use the headroom the outbox leaves (the fast lane).
        """
        waited = 0.0
        while True:
            blocked = self.blocked_for(method, channel)
            if blocked <= 0:
                break
            await self._sleep(blocked)
            waited += blocked
        if method == POST_MESSAGE and channel is not None:
            delay = self._channel_bucket(channel, self._now()).reserve(
                self._now(), priority=priority
            )
            if delay > 0:
                await self._sleep(delay)
                waited += delay
        delay = self._method_bucket(method, self._now()).reserve(self._now(), priority=priority)
        if delay > 0:
            await self._sleep(delay)
            waited += delay
        self.waited += waited
        metrics.RATELIMIT_WAIT_SECONDS.labels(method).observe(waited)
        return waited
