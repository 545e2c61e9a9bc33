"""`Retry-After`, read one way for every platform's answers (Slack, Teams, Graph), and the
bound on how long one call retries."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any


def retry_after(headers: Any) -> float | None:
    """The `Retry-After` header in seconds (never negative), or None when absent or unreadable.

    Header names are matched case-insensitively: aiohttp's headers are, slack_sdk's are a plain
    dict. HTTP dates are not used by Slack or the Bot Framework, so they read as None.
    """
    if headers is None:
        return None
    for key, value in dict(headers).items():
        if str(key).lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None


Sleep = Callable[[float], Awaitable[object]]


@dataclass
class RetryBudget:
    """How long one call to a platform may keep retrying: `attempts` tries and `deadline`
    seconds of waiting in all (limiter waits counted with `spend`), for every adapter's loop.

    `start()` begins an attempt (False once they are used up); `wait(delay)` sleeps before the
    next one, or returns False without sleeping when another attempt or that wait would pass a
    bound — then the caller gives up.
    """

    attempts: int
    deadline: float
    sleep: Sleep = asyncio.sleep
    attempt: int = 0
    waited: float = 0.0

    def start(self) -> bool:
        self.attempt += 1
        return self.attempt <= max(1, self.attempts)

    def spend(self, seconds: float) -> None:
        """Count a wait the caller did itself (a rate limiter's) against the deadline."""
        self.waited += seconds

    def would_pass(self, delay: float) -> bool:
        return self.attempt >= max(1, self.attempts) or self.waited + delay > self.deadline

    async def wait(self, delay: float) -> bool:
        if self.would_pass(delay):
            return False
        await self.sleep(delay)
        self.waited += delay
        return True
