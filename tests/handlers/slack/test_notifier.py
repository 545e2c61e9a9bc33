"""The Slack notifier over real HTTP with the real AsyncWebClient, against a scripted Web API."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.clock import FrozenClock
from bot.delivery import Dispatcher, schedule
from bot.notifier import Button, OutgoingMessage, Section
from bot.ratelimit import POST_MESSAGE, RateLimiter, RateLimits
from handlers.slack.notifier import SlackNotifier, make_slack_client
from tests.utils.deliveries import all_deliveries

MESSAGE = OutgoingMessage(
    text="Ny oppgave",
    title="Oppgave 2",
    sections=(Section(text="Les kapittel 3", buttons=(Button("done", "Ferdig", "a:2"),)),),
)


class FakeSlack:
    """A Web API whose answers per (method, channel) are scripted; records every call."""

    def __init__(self) -> None:
        self.script: dict[
            tuple[str, str | None], list[tuple[int, dict[str, Any], dict[str, str]]]
        ] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def on(self, method: str, channel: str | None, *answers: Any) -> None:
        self.script.setdefault((method, channel), []).extend(answers)

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await request.json() if request.content_type == "application/json" else {}
        self.calls.append((method, body))
        queue = self.script.get((method, body.get("channel"))) or self.script.get((method, None))
        if queue:
            status, data, headers = queue.pop(0)
            if status >= 500 and not data:
                return web.Response(status=status, text="upstream trouble", headers=headers)
            return web.json_response(data, status=status, headers=headers)
        return web.json_response(
            {"ok": True, "channel": body.get("channel"), "ts": "1700000000.000100"}
        )


def ok() -> tuple[int, dict[str, Any], dict[str, str]]:
    return 200, {"ok": True, "ts": "1.2"}, {}


def err(
    error: str, status: int = 200, **headers: str
) -> tuple[int, dict[str, Any], dict[str, str]]:
    return status, {"ok": False, "error": error}, headers


@pytest.fixture
async def slack() -> AsyncIterator[tuple[FakeSlack, str]]:
    fake = FakeSlack()
    app = web.Application()
    app.router.add_post("/api/{method}", fake.handle)
    server = TestServer(app)
    await server.start_server()
    yield fake, str(server.make_url("/api/"))
    await server.close()


def notifier(base_url: str, limiter: RateLimiter | None = None) -> SlackNotifier:
    client = make_slack_client(token="xoxb-test", base_url=base_url)
    return SlackNotifier(client, limiter or RateLimiter(RateLimits(scale=1000)))


async def test_dm_posts_to_the_user_id_with_blocks(slack: tuple[FakeSlack, str]) -> None:
    fake, url = slack
    result = await notifier(url).send(target="U123", message=MESSAGE)
    assert (result.status, result.ref) == ("sent", "1700000000.000100")
    [(method, body)] = fake.calls  # no conversations.open round trip
    assert method == "chat.postMessage" and body["channel"] == "U123"
    assert body["text"] == "Ny oppgave"
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "actions"]
    assert body["blocks"][2]["elements"][0]["action_id"] == "done"


async def test_429_retries_after_and_blocks_only_that_channel(slack: tuple[FakeSlack, str]) -> None:
    fake, url = slack
    fake.on("chat.postMessage", "C1", err("ratelimited", 429, **{"Retry-After": "30"}))
    limiter = RateLimiter(RateLimits(scale=1000))
    n = notifier(url, limiter)
    result = await n.send(target="C1", message=MESSAGE)
    assert (result.status, result.error, result.retry_after) == ("retry", "ratelimited", 30.0)
    assert n.ready_in("C1") > 29
    assert n.ready_in("C2") == 0
    assert (await n.send(target="C2", message=MESSAGE)).status == "sent"
    assert limiter.blocked_for(POST_MESSAGE, "C2") == 0


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (err("internal_error"), "retry"),
        (err("service_unavailable", 503), "retry"),
        ((502, {}, {}), "retry"),
        (err("fatal_error"), "retry"),
        (err("request_timeout"), "retry"),
        (err("channel_not_found", 404), "failed"),
        (err("is_archived"), "failed"),
        (err("user_not_found"), "failed"),
        (err("invalid_blocks"), "failed"),
        (err("msg_too_long"), "failed"),
        (err("msg_blocks_too_long"), "failed"),
        (err("restricted_action"), "failed"),
        (err("missing_scope"), "failed"),
        (err("invalid_auth", 401), "paused"),
        (err("token_revoked"), "paused"),
    ],
)
async def test_errors_map_to_outcomes(
    slack: tuple[FakeSlack, str], answer: Any, status: str
) -> None:
    fake, url = slack
    fake.on("chat.postMessage", "C1", answer)
    result = await notifier(url).send(target="C1", message=MESSAGE)
    assert result.status == status
    if status != "retry" or answer[1]:
        assert result.error and answer[1].get("error", "") in result.error
    assert len(fake.calls) == 1  # no hidden retries inside slack_sdk


async def test_connection_error_is_a_retry() -> None:
    result = await notifier("http://127.0.0.1:9/api/").send(target="C1", message=MESSAGE)
    assert result.status == "retry" and result.error and result.error.startswith("connection")


async def test_account_inactive_for_a_person_fails(slack: tuple[FakeSlack, str]) -> None:
    fake, url = slack
    fake.on("chat.postMessage", "U9", err("account_inactive"))
    fake.on("auth.test", None, ok())
    result = await notifier(url).send(target="U9", message=MESSAGE)
    assert (result.status, result.error) == ("failed", "account_inactive")


async def test_account_inactive_for_the_bot_pauses(slack: tuple[FakeSlack, str]) -> None:
    fake, url = slack
    fake.on("chat.postMessage", "U9", err("account_inactive"))
    fake.on("auth.test", None, err("account_inactive"))
    result = await notifier(url).send(target="U9", message=MESSAGE)
    assert result.status == "paused"


async def test_not_in_channel_joins_once_then_sends(slack: tuple[FakeSlack, str]) -> None:
    fake, url = slack
    fake.on("chat.postMessage", "C7", err("not_in_channel"))
    result = await notifier(url).send(target="C7", message=MESSAGE)
    assert result.status == "sent"
    assert [m for m, _ in fake.calls] == [
        "chat.postMessage",
        "conversations.join",
        "chat.postMessage",
    ]


async def test_not_in_channel_without_join_asks_to_be_invited(slack: tuple[FakeSlack, str]) -> None:
    fake, url = slack
    fake.on("chat.postMessage", "G7", err("not_in_channel"))
    fake.on("conversations.join", "G7", err("method_not_supported_for_channel_type"))
    result = await notifier(url).send(target="G7", message=MESSAGE)
    assert result.status == "failed" and "invited" in (result.error or "")


async def test_a_client_with_retry_handlers_gets_a_twin_without(
    slack: tuple[FakeSlack, str],
) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    _, url = slack
    shared = AsyncWebClient(token="xoxb-test", base_url=url)
    n = SlackNotifier(shared, RateLimiter())
    assert shared.retry_handlers and n.client.retry_handlers == []


def test_payload_is_json_serialisable() -> None:
    from handlers.slack.blocks.message import build_message_blocks

    json.dumps(build_message_blocks(MESSAGE))


async def schedule_urgent(
    session: Any, settings: Any, *, key: str, target: str, now: datetime
) -> None:
    """MESSAGE to `target`, due `now`, urgent (so quiet hours do not move it); its kind is the
    key's first part."""
    await schedule(
        session,
        key=key,
        transport="slack",
        kind=key.split(":")[0],
        target=target,
        message=MESSAGE,
        send_at=now,
        audience="participant",
        settings=settings,
        urgent=True,
    )


async def tick_at_30_a_minute(db: Any, url: str, settings: Any, now: datetime) -> dict[str, Any]:
    """Run the outbox once with Tiers 2-4 at 30 calls a minute (a burst of 15) and posts as
    fast as they come; the deliveries by dedupe key."""
    limits = RateLimits(
        tier_per_minute={1: 1, 2: 30, 3: 30, 4: 30},
        post_workspace_per_minute=60_000,
        post_workspace_burst=1000,
    )
    dispatcher = Dispatcher(
        db,
        {"slack": notifier(url, RateLimiter(limits))},
        FrozenClock(now),
        None,
        settings,
        "t",
        rng=random.Random(1),
    )
    await dispatcher.tick()
    return {d.dedupe_key: d for d in await all_deliveries(db)}


async def test_a_matching_rounds_intros_do_not_hold_an_announcement_back(
    slack: tuple[FakeSlack, str], db: Any, settings: Any
) -> None:
    """Group DMs are opened at Tier 3: 40 intros queued ahead of 30 DMs in one batch must not
    make every sending slot wait for conversations.open. Before, the DMs waited behind the
    intros (about 50 s here; a national round at Slack's real limits: 20 minutes)."""
    from bot.notifier import group_target

    fake, url = slack
    for i in range(40):
        fake.on("conversations.open", None, (200, {"ok": True, "channel": {"id": f"G{i}"}}, {}))
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    async with db.transaction() as session:
        for key, target in [
            *((f"intro:{i}", group_target([f"UA{i}", f"UB{i}"])) for i in range(40)),
            *((f"announcement:{i}", f"U{i:05d}") for i in range(30)),
        ]:
            await schedule_urgent(session, settings, key=key, target=target, now=now)
    # conversations.open at 30 a minute (a burst of 15), posts as fast as they come.
    rows = await tick_at_30_a_minute(db, url, settings, now)
    assert all(rows[f"announcement:{i}"].state == "sent" for i in range(30))
    waiting = [rows[f"intro:{i}"] for i in range(40) if rows[f"intro:{i}"].state == "pending"]
    # Only the queued lane's burst went now; the rest wait their turn in
    # the outbox, each at its own time, holding no sending slot.
    assert len(waiting) >= 20
    assert all(d.retry_at is not None and d.retry_at.replace(tzinfo=UTC) > now for d in waiting)
    assert len({d.retry_at for d in waiting}) == len(waiting)
    assert sum(1 for m, _ in fake.calls if m == "conversations.open") == 40 - len(waiting)


async def test_a_national_syncs_channel_steps_do_not_hold_an_announcement_back(
    slack: tuple[FakeSlack, str], db: Any, settings: Any
) -> None:
    """conversations.create is Tier 2: 40 channels decided ahead of 30 DMs in one batch must
    not make every sending slot wait for it, nor go to Slack in one burst. Before, the steps
    called the limiter from inside a sending slot, so the DMs waited behind them."""
    from bot import steps
    from storage.models import Network

    fake, url = slack
    for i in range(40):
        fake.on("conversations.create", None, (200, {"ok": True, "channel": {"id": f"C{i}"}}, {}))
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    async with db.transaction() as session:
        for i in range(40):
            network = Network(kind="peer_group", key=f"group:{i}", name=f"Gruppe {i}")
            session.add(network)
            await session.flush()
            assert await steps.create_channel(
                session, settings, network=network, name=f"lu-gruppe-{i}", private=True, now=now
            )
        for i in range(30):
            await schedule_urgent(
                session, settings, key=f"announcement:{i}", target=f"U{i:05d}", now=now
            )
    # conversations.create at 30 a minute (a burst of 15), posts as fast as they come.
    rows = await tick_at_30_a_minute(db, url, settings, now)
    assert all(rows[f"announcement:{i}"].state == "sent" for i in range(30))
    creates = [d for d in rows.values() if d.kind == steps.CREATE]
    waiting = [d for d in creates if d.state == "pending"]
    # Only the queued lane's burst went now; the rest wait their turn in the outbox, each at a
    # time of its own, holding no sending slot.
    assert len(creates) == 40 and len(waiting) >= 20
    assert all(d.retry_at is not None and d.retry_at.replace(tzinfo=UTC) > now for d in waiting)
    assert len({d.retry_at for d in waiting}) == len(waiting)
    made = sum(1 for m, _ in fake.calls if m == "conversations.create")
    assert made == 40 - len(waiting) and made <= 15  # never more than the tier's burst at once
