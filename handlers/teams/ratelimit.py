"""Teams' limits on the client side: 7 sends a second per conversation, ~50 per app per tenant;
and Microsoft Graph's Teams limits (`GraphRateLimiter`: 4 calls a second on one team).

Microsoft's Bot Framework connector answers 429 past these (with Retry-After) and the SDK does
not retry, so the notifier waits here first, and a 429 blocks that conversation (or, without a
conversation, the tenant) until Retry-After has passed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from bot.ratelimit import TokenBucket


class TeamsRateLimiter:
    """A bucket per conversation and one per tenant, plus 429 blocks. One per process."""

    def __init__(
        self,
        *,
        per_conversation: float = 7.0,
        per_tenant: float = 50.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.per_conversation = per_conversation
        self.per_tenant = per_tenant
        self._now = monotonic
        self._sleep = sleep
        self._conversations: dict[str, TokenBucket] = {}
        self._tenants: dict[str, TokenBucket] = {}
        self._blocked: dict[str, float] = {}
        self.waited = 0.0
        self.penalties = 0

    def _conversation(self, key: str, now: float) -> TokenBucket:
        bucket = self._conversations.get(key)
        if bucket is None:
            if len(self._conversations) > 10_000:
                for k in [k for k, b in self._conversations.items() if b.idle(now)]:
                    del self._conversations[k]
            bucket = TokenBucket(self.per_conversation, self.per_conversation, now)
            self._conversations[key] = bucket
        return bucket

    def _tenant(self, key: str, now: float) -> TokenBucket:
        bucket = self._tenants.get(key)
        if bucket is None:
            bucket = self._tenants[key] = TokenBucket(self.per_tenant, self.per_tenant, now)
        return bucket

    def penalise(self, conversation: str | None, retry_after: float, *, tenant: str = "") -> None:
        """A 429: hold the conversation (or the whole tenant) for `retry_after` seconds."""
        key = f"c:{conversation}" if conversation else f"t:{tenant}"
        until = self._now() + max(0.0, retry_after)
        self._blocked[key] = max(self._blocked.get(key, 0.0), until)
        self.penalties += 1

    def blocked_for(self, conversation: str, tenant: str = "") -> float:
        now = self._now()
        until = max(
            self._blocked.get(f"c:{conversation}", 0.0), self._blocked.get(f"t:{tenant}", 0.0)
        )
        return max(0.0, until - now)

    def ready_in(self, conversation: str, tenant: str = "") -> float:
        """Seconds before a send to `conversation` could start, taking nothing."""
        now = self._now()
        wait = self.blocked_for(conversation, tenant)
        bucket = self._conversations.get(conversation)
        if bucket is not None:
            wait = max(wait, bucket.ready_in(now))
        return wait

    async def acquire(self, conversation: str, tenant: str = "") -> float:
        """Wait until a send to `conversation` may go; the conversation's slot comes first."""
        waited = 0.0
        while (blocked := self.blocked_for(conversation, tenant)) > 0:
            await self._sleep(blocked)
            waited += blocked
        for bucket in (
            self._conversation(conversation, self._now()),
            self._tenant(tenant, self._now()),
        ):
            delay = bucket.reserve(self._now())
            if delay > 0:
                await self._sleep(delay)
                waited += delay
        self.waited += waited
        return waited


# Microsoft Graph's Teams service limits per app per tenant ("Microsoft Graph service-specific
# throttling limits", Microsoft Teams service limits), by the kind of call on teams, channels
# and installedApps; and at most 4 requests a second per app on one team or channel.
GRAPH_PER_METHOD: dict[str, float] = {"GET": 60.0, "POST": 30.0, "PUT": 30.0, "PATCH": 30.0}
GRAPH_DELETE_PER_SECOND = 15.0
GRAPH_TEAM_PER_SECOND = 4.0


class _Spacing:
    """Calls start at least `1 / rate` seconds apart: never more than `rate` in any second,
    and no burst at a second's edge (Graph does not say how it counts). Reservations queue."""

    def __init__(self, rate: float) -> None:
        self.gap = 1.0 / rate
        self.next_at = float("-inf")

    def take(self, start: float) -> None:
        self.next_at = start + self.gap


class GraphRateLimiter:
    """Graph calls on the client side: one spacing per team (the 4 a second per app on a team
    or channel), one per method across the tenant, and a 429's Retry-After held for the team
    (or, off a team, the tenant) so the calls in flight wait too. One per process.

    `observe(key, start)` is told when each call may start, by the limiter's own clock (tests
    count them there, with `monotonic` and `sleep` their own, and nothing really waits).
    """

    def __init__(
        self,
        *,
        per_team: float = GRAPH_TEAM_PER_SECOND,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        observe: Callable[[str, float], None] | None = None,
    ) -> None:
        self.per_team = per_team
        self._now = monotonic
        self._sleep = sleep
        self._observe = observe
        self._teams: dict[str, _Spacing] = {}
        self._methods: dict[str, _Spacing] = {}
        self._blocked: dict[str, float] = {}
        self.waited = 0.0
        self.penalties = 0

    @staticmethod
    def key_of(path: str) -> str:
        """The team a Graph path is on (`/teams/{id}/…`), or "" for the tenant."""
        parts = path.split("?", 1)[0].strip("/").split("/")
        return f"team:{parts[1]}" if len(parts) > 1 and parts[0] == "teams" else ""

    def _method(self, method: str) -> _Spacing:
        method = method.upper()
        spacing = self._methods.get(method)
        if spacing is None:
            rate = GRAPH_PER_METHOD.get(method, GRAPH_DELETE_PER_SECOND)
            spacing = self._methods[method] = _Spacing(rate)
        return spacing

    def penalise(self, path: str, retry_after: float) -> None:
        """A 429: no call on that team (or the tenant) starts before `retry_after` has passed."""
        key = self.key_of(path) or "tenant"
        until = self._now() + max(0.0, retry_after)
        self._blocked[key] = max(self._blocked.get(key, 0.0), until)
        self.penalties += 1

    async def acquire(self, method: str, path: str) -> float:
        """Wait until this call may start; return how long it waited."""
        key = self.key_of(path)
        now = self._now()
        spacings = [self._method(method)]
        if key:
            team = self._teams.get(key)
            if team is None:
                if len(self._teams) > 1_000:
                    self._teams = {k: s for k, s in self._teams.items() if s.next_at > now}
                team = self._teams[key] = _Spacing(self.per_team)
            spacings.append(team)
        start = max(
            now,
            self._blocked.get(key or "tenant", 0.0),
            self._blocked.get("tenant", 0.0),
            *(s.next_at for s in spacings),
        )
        for spacing in spacings:
            spacing.take(start)
        if self._observe is not None:
            self._observe(key, start)
        wait = start - now
        if wait > 0:
            await self._sleep(wait)
            self.waited += wait
        return max(0.0, wait)
