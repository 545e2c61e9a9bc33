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

What a click leaves to do after its ack (look the person up, record the answer, post the
confirmation) goes through `AfterAck`: at most `concurrency` such pieces at a time, each begun
after the requests still waiting for their ack. Started all at once, a burst of 450 clicks put
450 pieces of work on the loop beside the next requests: the bot's ack p50 was 64–113 ms
against a bare Bolt app's 14 ms in a 120-click burst on an idle machine (bench/whole_bot.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

MAX_WAIT_SECONDS = 0.1
# A request came in this recently: more of its burst is likely queued behind the loop's work
# unseen (a button press is acked as soon as it is read, so it is never "waiting" for long).
BURST_GAP_SECONDS = 0.05
# Clicks worked on at once after their ack. Enough to keep the database and the limiter busy
# (each piece mostly waits on them), few enough that new requests never queue behind hundreds.
AFTER_ACK_CONCURRENCY = 16

logger = logging.getLogger(__name__)


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

    def __init__(
        self,
        max_wait: float = MAX_WAIT_SECONDS,
        burst_gap: float = BURST_GAP_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_wait = max_wait
        self._clock = clock
        self.burst_gap = burst_gap
        self.waiting = 0
        self._last_arrival = float("-inf")
        self.yielded = 0  # times background work stepped aside (for benchmarks and metrics)
        self._answered = asyncio.Event()
        self._answered.set()

    @contextmanager
    def answering(self) -> Iterator[Ticket]:
        """Around the handling of one request: it counts until `Ticket.acked` or the end."""
        self.waiting += 1
        self._last_arrival = self._clock()
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

    async def wait_turn(self, *, in_bursts: bool = True) -> None:
        """Background work: step aside while requests wait for their answer, or (`in_bursts`)
        while a burst of them is coming in; bounded: at most `max_wait`."""
        quiet_for = self._clock() - self._last_arrival
        if self.waiting == 0 and (not in_bursts or quiet_for >= self.burst_gap):
            return
        self.yielded += 1
        if self.waiting == 0:
            await asyncio.sleep(min(self.max_wait, self.burst_gap - quiet_for))
            return
        try:
            await asyncio.wait_for(self._answered.wait(), self.max_wait)
        except TimeoutError:
            pass


class AfterAck:
    """The work people's requests leave after their ack: a bounded number at a time, in the
    order the requests came, each begun after the acks still waiting (`Precedence.wait_turn`).

    Nothing is dropped: `start` keeps every piece until it has run, and `drain` (at shutdown)
    waits for what is left.
    """

    def __init__(self, precedence: Precedence, concurrency: int = AFTER_ACK_CONCURRENCY) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.precedence = precedence
        self.concurrency = concurrency
        self.started = 0
        self.finished = 0
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        """Pieces started and not yet finished (waiting for a slot or running)."""
        return len(self._tasks)

    def start(self, work: Callable[[], Awaitable[None]], *, name: str = "request") -> None:
        """Queue `work` (called when its turn comes; an exception is logged, not raised)."""
        task = asyncio.get_running_loop().create_task(self._run(work, name))
        self.started += 1
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, work: Callable[[], Awaitable[None]], name: str) -> None:
        async with self._slots:
            # Only behind acks still waiting, not behind a whole burst: the confirmations of
            # 450 clicks in a second must all be out within a minute.
            await self.precedence.wait_turn(in_bursts=False)
            try:
                await work()
            except Exception as exc:  # one person's failure is not the next one's
                logger.exception(
                    "Failed to finish a %s after its ack (%s)", name, type(exc).__name__
                )
            finally:
                self.finished += 1

    async def drain(self, grace: float) -> int:
        """Wait up to `grace` seconds for every piece started; the number left unfinished."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace)
        return len(self._tasks)
