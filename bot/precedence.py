"""Requests a person is waiting on go before the outbox's work on the one event loop.

Slack wants each request acked within 3 s and a person is looking at the button they pressed;
the dispatcher's sends can wait a fraction of a second without anybody noticing. Both run on
the bot's event loop, which serves whatever is ready in turn, so in a burst of clicks each ack
waited behind the dispatcher's batch work (claims, JSON, Block Kit, HTTP bookkeeping): ack
p99 was 1.3–3.7× a bare Bolt app's while the bot was sending (bench/whole_bot.py).

The HTTP endpoint counts the requests not yet answered (`answering`); the dispatcher calls
`wait_turn()` before each batch and each send, which returns at once when none is waiting and
otherwise yields until they are answered — at most `max_wait` at a time, so a steady stream of
requests slows sending a little but never stops it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

MAX_WAIT_SECONDS = 0.1


class Precedence:
    """How many people's requests are waiting for their answer, and a way to let them go first."""

    def __init__(self, max_wait: float = MAX_WAIT_SECONDS) -> None:
        self.max_wait = max_wait
        self.waiting = 0
        self.yielded = 0  # times background work stepped aside (for benchmarks and metrics)
        self._answered = asyncio.Event()
        self._answered.set()

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Around the handling of one request, until its answer (the ack) is ready."""
        self.waiting += 1
        self._answered.clear()
        try:
            yield
        finally:
            self.waiting -= 1
            if self.waiting == 0:
                self._answered.set()

    async def wait_turn(self) -> None:
        """Background work: step aside while requests wait for their answer (bounded)."""
        if self.waiting == 0:
            return
        self.yielded += 1
        try:
            await asyncio.wait_for(self._answered.wait(), self.max_wait)
        except TimeoutError:
            pass
