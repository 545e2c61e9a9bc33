"""The limited Web API client, response_url replies and the one-time token check, against the
emulator over real HTTP. Time is a fake: the limiter's clock moves only when someone sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError

from bot.ratelimit import RateLimiter
from emulator import start_emulator
from emulator.config import FaultConfig
from handlers.slack.webclient import (
    LimitedWebClient,
    StartupAuthorization,
    make_limited_client,
    post_response_url,
)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
async def emu_http() -> AsyncIterator[tuple[Any, aiohttp.ClientSession]]:
    emu = await start_emulator(smtp_port=None)
    http = aiohttp.ClientSession()
    try:
        yield emu, http
    finally:
        await http.close()
        await emu.stop()


def _client(emu: Any, http: aiohttp.ClientSession, clock: FakeTime) -> LimitedWebClient:
    limiter = RateLimiter(monotonic=clock.monotonic, sleep=clock.sleep)
    client = make_limited_client(
        token=emu.bot_token, base_url=emu.api_url, limiter=limiter, session=http
    )
    client._sleep = clock.sleep  # the retry backoff on the same fake clock
    return client


async def test_rate_limited_calls_are_retried_after_retry_after(emu_http: Any) -> None:
    emu, http = emu_http
    emu.emulator.set_faults(
        FaultConfig(ratelimited_share=0.5, seed=3, methods=frozenset({"users.list"}))
    )
    clock = FakeTime()
    client = _client(emu, http, clock)
    for _ in range(12):
        response = await client.users_list()
        assert response["ok"]
    limited = emu.calls.count("users.list", ok=False)
    assert limited > 0, "the seed should inject some 429s"
    assert client.limiter.penalties == limited
    assert client.retries == limited
    # The emulator says Retry-After: 1; the limiter held each retry that long.
    assert clock.now >= limited * 1.0


async def test_server_errors_are_retried_with_a_bound(emu_http: Any) -> None:
    emu, http = emu_http
    emu.emulator.set_faults(
        FaultConfig(server_error_share=1.0, seed=1, methods=frozenset({"conversations.list"}))
    )
    clock = FakeTime()
    client = _client(emu, http, clock)
    client.max_attempts = 4
    with pytest.raises(SlackApiError):
        await client.conversations_list()
    assert emu.calls.count("conversations.list") == 4


async def test_permanent_errors_are_not_retried(emu_http: Any) -> None:
    emu, http = emu_http
    clock = FakeTime()
    client = _client(emu, http, clock)
    with pytest.raises(SlackApiError):
        await client.conversations_info(channel="C_DOES_NOT_EXIST")
    assert emu.calls.count("conversations.info") == 1
    assert client.retries == 0


async def test_a_cold_start_burst_checks_the_token_once(emu_http: Any) -> None:
    emu, http = emu_http
    clock = FakeTime()
    auth = StartupAuthorization(_client(emu, http, clock))
    results = await asyncio.gather(*(auth.authorize(None, None) for _ in range(450)))
    assert auth.calls == 1 and emu.calls.count("auth.test") == 1
    assert {r.bot_user_id for r in results} == {emu.config.bot_user_id}


async def test_response_url_replies_honour_429_and_5xx() -> None:
    from aiohttp import web

    answers = [429, 503, 200]
    seen: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        seen.append(await request.json())
        status = answers.pop(0)
        headers = {"Retry-After": "2"} if status == 429 else {}
        return web.json_response({"ok": status == 200}, status=status, headers=headers)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    clock = FakeTime()
    try:
        async with aiohttp.ClientSession() as http:
            ok = await post_response_url(
                http, f"http://127.0.0.1:{port}/hook", {"text": "Takk!"}, sleep=clock.sleep
            )
    finally:
        await runner.cleanup()
    assert ok and len(seen) == 3
    assert clock.slept[0] == 2.0  # Retry-After honoured


async def test_an_expired_response_url_is_not_retried(emu_http: Any) -> None:
    emu, http = emu_http
    clock = FakeTime()
    ok = await post_response_url(http, f"{emu.base_url}/_respond/nope", {"text": "x"})
    assert not ok and clock.slept == []
    assert emu.calls.count("response_url") == 1


async def test_confirmations_jump_a_burst_of_scheduled_sends(emu_http: Any) -> None:
    emu, http = emu_http
    clock = FakeTime()
    client = _client(emu, http, clock)
    user = next(iter(emu.state.users))
    channel, _ = emu.state.open_im(user)
    # The outbox, sharing this limiter, has 200 DMs waiting for chat.postMessage slots.
    bucket = client.limiter._method_bucket("chat.postMessage", clock.now)
    backlog = [bucket.reserve(clock.now) for _ in range(200)]
    assert backlog[-1] > 15  # the last of them goes 20 s from now
    # Three replies to people who just clicked go at once, over real HTTP.
    for n in range(3):
        await client.chat_postMessage(channel=channel.id, text=f"Takk {n}")
    assert clock.slept == [] and clock.now == 0
    assert emu.calls.count("chat.postMessage", ok=True) == 3
