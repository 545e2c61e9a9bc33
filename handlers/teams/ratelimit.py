"""Teams' limits on the client side: 7 sends a second per conversation, ~50 per app per tenant.

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
