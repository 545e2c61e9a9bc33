"""Requests a person is waiting on go before the outbox's work on the one event loop.

Slack wants each request acked within 3 s and a person is looking at the button they pressed;
the dispatcher's sends can wait a fraction of a second without anybody noticing. Both run on
the bot's event loop, which serves whatever is ready in turn, so in a burst of clicks each ack
waited behind the dispatcher's batch work (claims, JSON, Block Kit, HTTP bookkeeping): ack
p99 was 1.3–3.7× a bare Bolt app's while the bot was sending (bench/whole_bot.py).

The HTTP endpoint counts the requests not yet acked (`answering`; a request stops counting
at its ack, or when its handling ends). Background work calls `wait_turn()`, which returns at
once when none is waiting and otherwise yields until they are acked — at most `max_wait` at a
time, so a steady stream of requests slows it a little but never stops it: the dispatcher
calls it before each batch and each send.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

MAX_WAIT_SECONDS = 0.1


@dataclass
class Ticket:
    """One request's place among those waiting for their ack."""

    precedence: Precedence
    done: bool = False

    def acked(self) -> None:
        """The request has its answer (idempotent): it no longer waits."""
        if not self.done:
            self.done = True
            self.precedence._release()


class Precedence:
    """How many people's requests are waiting for their answer, and a way to let them go first."""

    def __init__(self, max_wait: float = MAX_WAIT_SECONDS) -> None:
        self.max_wait = max_wait
        self.waiting = 0
        self.yielded = 0  # times background work stepped aside (for benchmarks and metrics)
        self._answered = asyncio.Event()
        self._answered.set()

    @contextmanager
    def answering(self) -> Iterator[Ticket]:
        """Around the handling of one request: it counts until `Ticket.acked` or the end."""
        self.waiting += 1
        self._answered.clear()
        ticket = Ticket(self)
        try:
            yield ticket
        finally:
            ticket.acked()

    def _release(self) -> None:
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
