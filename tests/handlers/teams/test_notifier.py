"""The Teams transport over real HTTP: outbox → Dispatcher → TeamsNotifier → local connector."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest

from bot.clock import FrozenClock
from bot.delivery import Dispatcher
from bot.identities import teams_target
from bot.settings import Settings
from emulator.teams_connector import ConnectorHandle
from handlers.teams.connector import ServiceUrlPolicy
from handlers.teams.notifier import TeamsNotifier
from handlers.teams.ratelimit import TeamsRateLimiter
from storage.db import Database
from tests.utils.deliveries import all_deliveries, enqueue_many
from tests.utils.teams import teams_notifier


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def target(handle: ConnectorHandle, conversation: str) -> str:
    return teams_target(conversation, handle.url)


async def enqueue_teams(
    db: Database, settings: Settings, clock: FrozenClock, targets: list[str], prefix: str = "test"
) -> None:
    """One Teams delivery due now to each of `targets`."""
    await enqueue_many(
        db,
        settings,
        count=len(targets),
        send_at=clock.now(),
        transport="teams",
        prefix=prefix,
        target=lambda i: targets[i],
    )


def dispatcher(
    db: Database, clock: FrozenClock, settings: Settings, teams: TeamsNotifier
) -> Dispatcher:
    return Dispatcher(db, {"teams": teams}, clock, None, settings, "t")


async def test_outbox_posts_adaptive_cards_to_the_conversation(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    connector: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    await enqueue_teams(db, settings, clock, [target(connector, f"a:user-{i}") for i in range(3)])
    stats = await dispatcher(db, clock, settings, teams_notifier(http)).tick()
    assert stats.sent == 3
    sent = connector.state.activities
    assert sorted(a["conversation_id"] for a in sent) == ["a:user-0", "a:user-1", "a:user-2"]
    card = sent[0]["activity"]["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert sent[0]["activity"]["channelData"]["cohortbot"]["delivery_key"].startswith("test:")
    rows = await all_deliveries(db)
    assert {r.result_ref for r in rows} == {a["id"] for a in sent}


async def test_429_retry_after_is_honoured_and_not_counted(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    connector: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    connector.state.fail_next(429, retry_after=30, path="a:busy")
    targets = [target(connector, "a:busy"), target(connector, "a:quiet")]
    await enqueue_teams(db, settings, clock, targets)
    monotonic = FakeMonotonic()
    teams = teams_notifier(http, TeamsRateLimiter(monotonic=monotonic))
    d = dispatcher(db, clock, settings, teams)
    stats = await d.tick()
    assert stats.sent == 1 and stats.retried == 1
    busy = next(r for r in await all_deliveries(db) if "a:busy" in r.target)
    assert busy.state == "pending" and busy.error == "ratelimited" and busy.attempts == 0
    assert busy.retry_at == clock.now() + timedelta(seconds=30)
    assert busy.send_at == clock.now()  # its place in the conversation's chain is kept
    assert teams.ready_in(targets[0]) == pytest.approx(30)  # the conversation is held
    assert teams.ready_in(targets[1]) == 0  # the others are not
    monotonic.now += 30
    clock.advance(timedelta(seconds=30))
    assert (await d.tick()).sent == 1
    assert len(connector.state.sent_to("a:busy")) == 1


@pytest.mark.parametrize("status", [412, 502, 504])
async def test_transient_connector_errors_are_retried(
    status: int,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    connector: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    connector.state.fail_next(status)
    await enqueue_teams(db, settings, clock, [target(connector, "a:u")])
    d = dispatcher(db, clock, settings, teams_notifier(http))
    assert (await d.tick()).retried == 1
    row = (await all_deliveries(db))[0]
    assert row.state == "pending" and row.error == f"http_{status}" and row.attempts == 1
    clock.advance(timedelta(minutes=5))
    assert (await d.tick()).sent == 1


async def test_blocked_bot_fails_with_reason_and_bad_credentials_pause(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    connector: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    connector.state.fail_next(403, path="a:blocked")
    await enqueue_teams(db, settings, clock, [target(connector, "a:blocked")])
    assert (await dispatcher(db, clock, settings, teams_notifier(http)).tick()).failed == 1
    row = (await all_deliveries(db))[0]
    assert row.state == "failed" and "blocked the bot" in (row.error or "")

    connector.state.fail_next(401)
    settings = settings.model_copy(update={"dispatch_concurrency": 1})
    d = dispatcher(db, clock, settings, teams_notifier(http))
    await enqueue_teams(
        db, settings, clock, [target(connector, f"a:p{i}") for i in range(3)], prefix="p"
    )
    stats = await d.tick()
    assert stats.paused >= 1 and stats.sent == 0
    assert len(connector.state.refused) == 2  # the 403 and one 401: the queue was not burnt


async def test_dev_mode_never_calls_a_non_loopback_service_url(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    connector: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    outside = ["https://smba.trafficmanager.net/emea", "http://10.0.0.5"]
    await enqueue_teams(db, settings, clock, [teams_target("a:x", url) for url in outside])
    teams = teams_notifier(http)
    assert (await dispatcher(db, clock, settings, teams).tick()).failed == 2
    assert teams.connector.calls == 0
    assert all("serviceUrl not allowed" in (r.error or "") for r in await all_deliveries(db))


def test_production_policy_is_the_sdks_host_validation() -> None:
    policy = ServiceUrlPolicy.for_mode("on")
    assert policy.allowed("https://smba.trafficmanager.net/emea/")
    assert not policy.allowed("http://smba.trafficmanager.net/emea/")  # https only
    assert not policy.allowed("https://127.0.0.1:9000/")
    assert not policy.allowed("https://attacker.example/")
    dev = ServiceUrlPolicy.for_mode("dev")
    assert dev.allowed("http://127.0.0.1:9000") and dev.allowed("http://[::1]:9000")
    assert not dev.allowed("http://user:pw@127.0.0.1/") and not dev.allowed("https://example.org")


async def test_limiter_paces_seven_a_second_per_conversation() -> None:
    monotonic = FakeMonotonic()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        monotonic.now += seconds

    limiter = TeamsRateLimiter(monotonic=monotonic, sleep=sleep)
    for _ in range(14):
        await limiter.acquire("a:one", "t")
    # 7 at once, then one every 1/7 s: 14 sends take a second.
    assert sum(waits) == pytest.approx(1.0)
    waits.clear()
    for i in range(100):
        await limiter.acquire(f"a:{i}", "t2")
    # Distinct conversations are held by the tenant's 50 a second instead.
    assert sum(waits) == pytest.approx(1.0)
