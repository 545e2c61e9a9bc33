"""People's requests go before the outbox's work: the dispatcher steps aside while a request
waits for its ack, and a steady stream of requests slows sending but never stops it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.clock import FrozenClock
from bot.delivery import Dispatcher, schedule
from bot.notifier import OutgoingMessage, RecordingNotifier
from bot.precedence import Precedence
from bot.settings import Settings
from storage.db import Database
from tests.utils.workspace import eventually

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _queue(db: Database, settings: Settings, n: int) -> None:
    async with db.transaction() as session:
        for i in range(n):
            await schedule(
                session,
                key=f"announcement:{i}",
                transport="slack",
                kind="announcement",
                target=f"U{i:04d}",
                message=OutgoingMessage(text=f"Kunngjøring {i}"),
                send_at=NOW,
                audience="participant",
                settings=settings,
                urgent=True,
            )


async def test_nothing_is_sent_while_a_click_waits_for_its_ack_and_all_of_it_after(
    db: Database, settings: Settings
) -> None:
    await _queue(db, settings, 20)
    slack = RecordingNotifier("slack")
    precedence = Precedence(max_wait=60)  # longer than the test: only the answer releases it
    dispatcher = Dispatcher(
        db, {"slack": slack}, FrozenClock(NOW), settings=settings, precedence=precedence
    )
    with precedence.answering():  # a person's click, not yet acked
        tick = asyncio.ensure_future(dispatcher.tick())

        async def stepped_aside() -> bool:
            return precedence.yielded > 0

        await eventually(stepped_aside)
        assert slack.sent == [] and not tick.done()
    stats = await asyncio.wait_for(tick, 60)
    assert len(slack.sent) == 20 and stats.claimed == 20


async def test_a_stream_of_requests_that_never_ends_slows_sending_but_never_stops_it(
    db: Database, settings: Settings
) -> None:
    await _queue(db, settings, 20)
    slack = RecordingNotifier("slack")
    precedence = Precedence(max_wait=0.001)
    dispatcher = Dispatcher(
        db, {"slack": slack}, FrozenClock(NOW), settings=settings, precedence=precedence
    )
    with precedence.answering():  # always somebody waiting
        await asyncio.wait_for(dispatcher.tick(), 60)
    assert len(slack.sent) == 20
    assert precedence.yielded >= 20  # it stepped aside before every send, each time bounded


async def test_the_count_is_right_when_requests_overlap_and_fail() -> None:
    precedence = Precedence(max_wait=60)
    with precedence.answering():
        try:
            with precedence.answering():
                raise ValueError("a malformed payload")
        except ValueError:
            pass
        assert precedence.waiting == 1
        waiter = asyncio.ensure_future(precedence.wait_turn())
        await asyncio.sleep(0)  # let it start waiting (a yield, not a timing wait)
        assert not waiter.done()
    await asyncio.wait_for(waiter, 60)
    assert precedence.waiting == 0
    await asyncio.wait_for(precedence.wait_turn(), 1)  # nobody waiting: at once


async def test_background_work_steps_aside_just_after_a_request_came_in_even_once_answered() -> (
    None
):
    # A button press is acked as soon as it is read, so it never waits long; the rest of its
    # burst may already be queued unseen. So background work also steps aside for a short gap
    # after the last arrival, and not after it.
    now = [100.0]
    precedence = Precedence(max_wait=60, burst_gap=0.01, clock=lambda: now[0])
    with precedence.answering() as ticket:
        ticket.acked()
    assert precedence.waiting == 0
    now[0] = 100.001  # within the gap
    await asyncio.wait_for(precedence.wait_turn(), 30)  # bounded by the gap, not max_wait
    assert precedence.yielded == 1
    now[0] = 100.5  # the burst is over
    await precedence.wait_turn()
    assert precedence.yielded == 1
