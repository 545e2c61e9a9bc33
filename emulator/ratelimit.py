"""Slack-like rate limits, fault injection and the log of every Web API call.

Slack limits each app per workspace per method in tiers (Tier 1 about 1 call a minute up to Tier 4
about 100 a minute, bursts tolerated) and chat.postMessage specially: about one message a second per
channel with short bursts, plus a workspace-wide ceiling. Over the limit Slack answers HTTP 429 with
`{"ok": false, "error": "ratelimited"}` and an integer `Retry-After` header. Token buckets model
"N per minute with bursts" closely enough for clients to be tested against.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from emulator.config import EmulatorConfig, FaultConfig

TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}

METHOD_TIERS: dict[str, int] = {
    "auth.test": 4,
    "bots.info": 4,
    "chat.delete": 3,
    "chat.getPermalink": 4,
    "chat.postEphemeral": 4,
    "chat.update": 3,
    "conversations.archive": 2,
    "conversations.create": 2,
    "conversations.history": 3,
    "conversations.info": 3,
    "conversations.invite": 3,
    "conversations.join": 3,
    "conversations.kick": 3,
    "conversations.list": 2,
    "conversations.members": 4,
    "conversations.open": 3,
    "conversations.replies": 3,
    "conversations.unarchive": 2,
    "files.completeUploadExternal": 4,
    "files.getUploadURLExternal": 4,
    "files.info": 4,
    "team.info": 3,
    "users.conversations": 3,
    "users.info": 4,
    "users.list": 2,
    "users.lookupByEmail": 3,
    "views.open": 4,
    "views.publish": 4,
    "views.push": 4,
    "views.update": 4,
}
DEFAULT_TIER = 3


class TokenBucket:
    """A bucket of `capacity` calls refilled at `rate` calls per second."""

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.clock = clock
        self.stamp = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_time(self) -> float:
        """Return the seconds until one call fits (0 when it fits now)."""
        self._refill()
        if self.tokens >= 1:
            return 0.0
        return (1 - self.tokens) / self.rate

    def take(self) -> None:
        """Spend one call."""
        self._refill()
        self.tokens -= 1


class RateLimiter:
    """Per-method tier limits and chat.postMessage's per-channel and workspace limits."""

    def __init__(self, config: EmulatorConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.clock = clock
        self.buckets: dict[tuple[str, str], TokenBucket] = {}

    def reset(self) -> None:
        """Forget all spent calls."""
        self.buckets.clear()

    def _bucket(self, key: tuple[str, str], per_second: float, capacity: float) -> TokenBucket:
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = TokenBucket(per_second, capacity, self.clock)
            self.buckets[key] = bucket
        return bucket

    def check(self, method: str, channel: str | None = None) -> float | None:
        """Spend one call of `method`; return the Retry-After seconds when over the limit."""
        if not self.config.rate_limits:
            return None
        scale = self.config.rate_scale
        buckets: list[TokenBucket] = []
        if method == "chat.postMessage":
            cfg = self.config
            buckets.append(
                self._bucket(
                    ("workspace", method),
                    cfg.post_message_workspace_per_minute / 60 * scale,
                    cfg.post_message_workspace_burst,
                )
            )
            if channel:
                buckets.append(
                    self._bucket(
                        ("channel", channel),
                        cfg.post_message_per_channel_per_second * scale,
                        cfg.post_message_channel_burst,
                    )
                )
        else:
            per_minute = TIER_PER_MINUTE[METHOD_TIERS.get(method, DEFAULT_TIER)]
            buckets.append(self._bucket(("method", method), per_minute / 60 * scale, per_minute))
        wait = max(b.wait_time() for b in buckets)
        if wait > 0:
            return wait
        for bucket in buckets:
            bucket.take()
        return None


def retry_after_header(wait: float) -> str:
    """Return the integer seconds Slack would send in Retry-After (at least 1)."""
    return str(max(1, math.ceil(wait)))


class FaultInjector:
    """Decide, from a seeded RNG, which calls fail on purpose."""

    def __init__(self, faults: FaultConfig) -> None:
        self.configure(faults)

    def configure(self, faults: FaultConfig) -> None:
        """Replace the fault shares and reseed the RNG."""
        self.faults = faults
        self.rng = random.Random(faults.seed)

    def draw(self, method: str) -> str | None:
        """Return "drop", "drop_after", "ratelimited", "internal_error", "service_unavailable" or None."""
        f = self.faults
        if not f.active or (f.methods and method not in f.methods):
            return None
        r = self.rng.random()
        if r < f.drop_share:
            return "drop"
        r -= f.drop_share
        if r < f.drop_after_share:
            return "drop_after"
        r -= f.drop_after_share
        if r < f.ratelimited_share:
            return "ratelimited"
        r -= f.ratelimited_share
        if r < f.server_error_share:
            return self.rng.choice(("internal_error", "service_unavailable"))
        return None


@dataclass
class CallRecord:
    """One Web API call as the emulator saw it."""

    seq: int
    method: str
    at: float
    status: int
    ok: bool
    error: str | None = None
    channel: str | None = None
    user: str | None = None
    ts: str | None = None
    fault: str | None = None
    content_hash: str | None = None
    args: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the record as JSON-ready data."""
        return asdict(self)


def content_hash(args: dict[str, Any]) -> str | None:
    """Return a short hash of a message's text and blocks, to spot duplicate sends."""
    if not any(k in args for k in ("text", "blocks", "attachments")):
        return None
    body = json.dumps(
        [args.get("text"), args.get("blocks"), args.get("attachments")],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()[:16]


class CallLog:
    """Every Web API call, with per-method counters, for tests and benchmarks."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self.records: list[CallRecord] = []
        self.counts: Counter[str] = Counter()
        self._seq = 0

    def add(self, record: CallRecord) -> CallRecord:
        """Append a record, forgetting the oldest beyond the limit."""
        self._seq += 1
        record.seq = self._seq
        self.records.append(record)
        self.counts[record.method] += 1
        if len(self.records) > self.limit:
            del self.records[: len(self.records) - self.limit]
        return record

    def reset(self) -> None:
        """Forget all calls."""
        self.records.clear()
        self.counts.clear()

    def calls(self, method: str | None = None, *, ok: bool | None = None) -> list[CallRecord]:
        """Return the calls, optionally of one method and outcome."""
        return [
            r
            for r in self.records
            if (method is None or r.method == method) and (ok is None or r.ok == ok)
        ]

    def count(self, method: str | None = None, *, ok: bool | None = None) -> int:
        """Count calls, optionally of one method and outcome."""
        return len(self.calls(method, ok=ok))

    def posts_per_channel(self) -> Counter[str]:
        """Count successful chat.postMessage calls per resolved channel."""
        return Counter(r.channel or "" for r in self.calls("chat.postMessage", ok=True))

    def posts_per_recipient(self) -> Counter[str]:
        """Count successful DMs (chat.postMessage to an IM) per person."""
        return Counter(
            r.user
            for r in self.calls("chat.postMessage", ok=True)
            if r.user and r.channel and r.channel.startswith("D")
        )

    def duplicates(self, method: str = "chat.postMessage") -> dict[str, int]:
        """Return `channel:content_hash` keys that succeeded more than once, with counts."""
        seen = Counter(
            f"{r.channel}:{r.content_hash}" for r in self.calls(method, ok=True) if r.content_hash
        )
        return {key: n for key, n in seen.items() if n > 1}

    def summary(self) -> dict[str, Any]:
        """Return counters as JSON-ready data."""
        by_status: Counter[str] = Counter(str(r.status) for r in self.records)
        errors: Counter[str] = Counter(r.error for r in self.records if r.error)
        return {
            "total": len(self.records),
            "by_method": dict(self.counts),
            "by_status": dict(by_status),
            "errors": dict(errors),
            "duplicates": self.duplicates(),
        }
