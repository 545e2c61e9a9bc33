"""The engine end to end over real HTTP: outbox -> Dispatcher -> SlackNotifier -> emulator."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from bot.clock import FrozenClock
from bot.delivery import Dispatcher, delivery_overview
from bot.ratelimit import RateLimiter, RateLimits
from bot.settings import Settings
from handlers.slack.notifier import SlackNotifier, make_slack_client
from storage.db import Database
from tests.utils.deliveries import all_deliveries, enqueue_many

emulator_server = pytest.importorskip("emulator.server")


@pytest.fixture
async def emulator() -> AsyncIterator[Any]:
    handle = await emulator_server.start_emulator(smtp_port=None)
    yield handle
    await handle.stop()


def slack(emulator: Any, http: aiohttp.ClientSession, limits: RateLimits) -> SlackNotifier:
    client = make_slack_client(token=emulator.bot_token, base_url=emulator.api_url, session=http)
    return SlackNotifier(client, RateLimiter(limits))


async def test_429_on_one_channel_while_others_flow(
    db: Database, settings: Settings, clock: FrozenClock, emulator: Any, http: aiohttp.ClientSession
) -> None:
    # The emulator enforces Slack's per-channel limit (burst 4, then 1 a second, scaled x2);
    # our limiter is told nothing about it, so the busy channel meets real 429s.
    emulator.config.rate_limits = True
    emulator.config.rate_scale = 2.0
    # The emulator's buckets refill on the test's clock, not the machine's: no real waiting.
    emulator.emulator.limiter.clock = lambda: clock.now().timestamp()
    busy = emulator.state.add_channel("lu-2026h-bergen")
    quiet = [emulator.state.add_channel(f"lu-2026h-{c}") for c in ("oslo", "tromso", "bodo")]
    targets = [busy.id] * 10 + [c.id for c in quiet]
    await enqueue_many(
        db, settings, count=len(targets), send_at=clock.now(), target=lambda i: targets[i]
    )
    notifier = slack(emulator, http, RateLimits(scale=1000, post_channel_burst=100))
    dispatcher = Dispatcher(db, {"slack": notifier}, clock, notifier.limiter, settings, "t")

    first = await dispatcher.tick()
    posts = Counter(r.channel for r in emulator.calls.calls("chat.postMessage", ok=True))
    assert all(posts[c.id] == 1 for c in quiet)  # the others flowed
    assert first.retried > 0  # the busy channel was told to wait
    limited = emulator.calls.calls("chat.postMessage", ok=False)
    assert limited and {r.channel for r in limited} == {busy.id}

    for _ in range(60):  # Retry-After is in seconds; one clock moves both sides
        if all(r.state == "sent" for r in await all_deliveries(db)):
            break
        clock.advance(timedelta(seconds=2))
        await dispatcher.tick()
    rows = await all_deliveries(db)
    assert all(r.state == "sent" for r in rows)
    per_channel = Counter(r.channel for r in emulator.calls.calls("chat.postMessage", ok=True))
    assert per_channel[busy.id] == 10 and sum(per_channel.values()) == len(targets)
    assert all(r.attempts == 1 for r in rows)  # 429s are not counted against a message


async def test_revoked_token_pauses_without_burning_the_queue(
    db: Database, settings: Settings, clock: FrozenClock, emulator: Any, http: aiohttp.ClientSession
) -> None:
    users = [emulator.state.add_user(f"p{i}").id for i in range(20)]
    await enqueue_many(db, settings, count=20, send_at=clock.now(), target=lambda i: users[i])
    client = make_slack_client(token="xoxb-revoked", base_url=emulator.api_url, session=http)
    notifier = SlackNotifier(client, RateLimiter(RateLimits(scale=1000)))
    settings = settings.model_copy(update={"dispatch_concurrency": 2})
    stats = await Dispatcher(db, {"slack": notifier}, clock, None, settings, "t").tick()
    assert emulator.calls.count("chat.postMessage") <= 2  # at most what was already in flight
    assert stats.paused == 20 and stats.failed == 0
    async with db.session() as session:
        overview = await delivery_overview(session)
    assert [p.reason for p in overview.pauses] == ["invalid_auth"]
    assert overview.counts == {"pending": 20}


async def test_dm_to_user_id_and_unknown_user(
    db: Database, settings: Settings, clock: FrozenClock, emulator: Any, http: aiohttp.ClientSession
) -> None:
    kari = emulator.state.add_user("kari", real_name="Kari Nordmann").id
    targets = [kari, "U0NOBODY00"]
    await enqueue_many(db, settings, count=2, send_at=clock.now(), target=lambda i: targets[i])
    notifier = slack(emulator, http, RateLimits(scale=1000))
    await Dispatcher(db, {"slack": notifier}, clock, None, settings, "t").tick()
    assert emulator.calls.count("conversations.open") == 0
    sent, failed = await all_deliveries(db)
    assert sent.state == "sent" and sent.result_ref
    assert failed.state == "failed" and failed.error in {"channel_not_found", "user_not_found"}


async def test_a_post_whose_answer_was_lost_is_not_sent_twice(
    db: Database, settings: Settings, clock: FrozenClock, emulator: Any, http: aiohttp.ClientSession
) -> None:
    from emulator.config import FaultConfig

    users = [emulator.state.add_user(f"m{i}").id for i in range(3)]
    await enqueue_many(db, settings, count=3, send_at=clock.now(), target=lambda i: users[i])
    notifier = slack(emulator, http, RateLimits(scale=1000))
    dispatcher = Dispatcher(db, {"slack": notifier}, clock, None, settings, "t")
    # Slack posts the message, then the connection drops before the answer arrives.
    emulator.emulator.set_faults(
        FaultConfig(drop_after_share=1.0, methods=frozenset({"chat.postMessage"}))
    )
    first = await dispatcher.tick()
    assert first.retried == 3
    assert all((r.error or "").startswith("connection:") for r in await all_deliveries(db))
    emulator.emulator.set_faults(FaultConfig())
    clock.advance(timedelta(minutes=1))
    await dispatcher.tick()
    rows = await all_deliveries(db)
    assert all(r.state == "sent" and r.result_ref for r in rows)
    assert dispatcher.recovered == 3
    for user in users:  # each person has the message exactly once
        dm = emulator.state.im_between(user, emulator.state.bot_user_id)
        assert len(emulator.state.channel_messages(dm.id)) == 1
    assert emulator.calls.count("chat.postMessage") == 3  # no second post at all


async def test_a_group_dm_is_opened_by_the_outbox_after_the_commit(
    db: Database, settings: Settings, clock: FrozenClock, emulator: Any, http: aiohttp.ClientSession
) -> None:
    """Intros to a group decided in a transaction: nothing in Slack until the dispatcher sends;
    then one group DM and one intro, and a resend after a lost answer reuses the same DM."""
    from bot.delivery import schedule
    from bot.notifier import OutgoingMessage, group_target

    users = [emulator.state.add_user(f"peer{i}").id for i in range(3)]
    async with db.transaction() as session:
        await schedule(
            session,
            key="match-intro:1",
            transport="slack",
            kind="match_intro",
            target=group_target(users),
            message=OutgoingMessage(text="Hei, dere tre!"),
            send_at=clock.now(),
            audience="participant",
            settings=settings,
            urgent=True,
        )
    assert not any(c.is_mpim for c in emulator.state.channels.values())
    notifier = slack(emulator, http, RateLimits(scale=1000))
    dispatcher = Dispatcher(db, {"slack": notifier}, clock, notifier.limiter, settings, "t")
    stats = await dispatcher.tick()
    assert stats.sent == 1
    mpims = [c for c in emulator.state.channels.values() if c.is_mpim]
    assert len(mpims) == 1 and set(users) <= set(mpims[0].members)
    assert [r.channel for r in emulator.calls.calls("chat.postMessage", ok=True)] == [mpims[0].id]
    # The same people again (a resend): Slack hands back the same conversation.
    again = await notifier.send(target=group_target(users), message=OutgoingMessage(text="x"))
    assert again.status == "sent"
    assert len([c for c in emulator.state.channels.values() if c.is_mpim]) == 1
