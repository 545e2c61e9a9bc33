"""Rate limits, fault injection and the retry handlers slack_sdk ships."""

from __future__ import annotations

import time
from collections import Counter

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from emulator import EmulatorHandle, FaultConfig
from emulator.config import EmulatorConfig
from emulator.ratelimit import FaultInjector, RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_tier_bucket_refills_over_a_minute() -> None:
    clock = FakeClock()
    limiter = RateLimiter(EmulatorConfig(rate_limits=True), clock)
    results = [limiter.check("users.list") for _ in range(21)]
    assert results[:20] == [None] * 20
    wait = results[20]
    assert wait is not None and 2.9 < wait <= 3.0
    clock.now += 3.0
    assert limiter.check("users.list") is None


def test_rate_scale_makes_limits_faster() -> None:
    clock = FakeClock()
    limiter = RateLimiter(EmulatorConfig(rate_limits=True, rate_scale=10), clock)
    for _ in range(4):
        assert limiter.check("chat.postMessage", "C1") is None
    wait = limiter.check("chat.postMessage", "C1")
    assert wait is not None and wait == pytest.approx(0.1)


def test_post_message_workspace_ceiling() -> None:
    clock = FakeClock()
    cfg = EmulatorConfig(rate_limits=True, post_message_workspace_burst=10)
    limiter = RateLimiter(cfg, clock)
    oks = sum(limiter.check("chat.postMessage", f"C{i}") is None for i in range(15))
    assert oks == 10


def test_fault_shares_are_roughly_right_and_reproducible() -> None:
    faults = FaultConfig(ratelimited_share=0.1, server_error_share=0.05, drop_share=0.05, seed=42)
    injector = FaultInjector(faults)
    draws = Counter(injector.draw("chat.postMessage") for _ in range(10_000))
    assert 900 < draws["ratelimited"] < 1100
    assert 400 < draws["internal_error"] + draws["service_unavailable"] < 600
    assert 400 < draws["drop"] < 600
    replay = FaultInjector(faults)
    again = Counter(replay.draw("chat.postMessage") for _ in range(10_000))
    assert draws == again
    only_posts = FaultConfig(drop_share=1.0, methods=frozenset({"chat.postMessage"}))
    assert FaultInjector(only_posts).draw("users.info") is None


async def test_ratelimited_answer_has_429_and_retry_after(emu: EmulatorHandle) -> None:
    emu.emulator.set_rate_limits(True)
    async with aiohttp.ClientSession() as session:
        for _ in range(4):
            async with session.post(
                emu.api_url + "chat.postMessage",
                json={"channel": "CBERGEN001", "text": "x"},
                headers={"Authorization": f"Bearer {emu.bot_token}"},
            ) as resp:
                assert resp.status == 200
        async with session.post(
            emu.api_url + "chat.postMessage",
            json={"channel": "CBERGEN001", "text": "x"},
            headers={"Authorization": f"Bearer {emu.bot_token}"},
        ) as resp:
            assert resp.status == 429
            assert resp.headers["Retry-After"] == "1"
            assert await resp.json() == {"ok": False, "error": "ratelimited"}


async def test_retry_handler_recovers_from_ratelimit(emu: EmulatorHandle) -> None:
    emu.emulator.set_rate_limits(True, scale=4)
    client = AsyncWebClient(
        token=emu.bot_token,
        base_url=emu.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3)],
    )
    for i in range(5):
        resp = await client.chat_postMessage(channel="CBERGEN001", text=f"melding {i}")
        assert resp["ok"]
    assert emu.calls.count("chat.postMessage", ok=False) == 1
    assert emu.calls.calls("chat.postMessage", ok=False)[0].status == 429
    assert len(emu.state.channel_messages("CBERGEN001")) == 5


async def test_per_channel_limit_does_not_block_other_channels(
    client: AsyncWebClient, emu: EmulatorHandle
) -> None:
    emu.emulator.set_rate_limits(True)
    for _ in range(4):
        await client.chat_postMessage(channel="CBERGEN001", text="x")
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel="CBERGEN001", text="x")
    assert info.value.response.status_code == 429
    started = time.monotonic()
    for user in ("UOLA000001", "UINGRID001", "UKARI00001", "ULARS00001"):
        assert (await client.chat_postMessage(channel=user, text="hei"))["ok"]
    assert time.monotonic() - started < 1.0


async def test_injected_faults_over_http_and_recovery(emu: EmulatorHandle) -> None:
    emu.emulator.set_faults(FaultConfig(server_error_share=1.0, seed=1))
    plain = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
    with pytest.raises(SlackApiError) as info:
        await plain.auth_test()
    assert info.value.response.status_code in (500, 503)
    assert info.value.response["error"] in ("internal_error", "service_unavailable")

    emu.emulator.set_faults(FaultConfig(drop_share=1.0, seed=1))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await plain.auth_test()

    emu.emulator.set_faults(FaultConfig(drop_share=0.2, server_error_share=0.2, seed=7))
    quick = FixedValueRetryIntervalCalculator(0.01)
    sturdy = AsyncWebClient(
        token=emu.bot_token,
        base_url=emu.api_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=10, interval_calculator=quick),
            AsyncServerErrorRetryHandler(max_retry_count=10, interval_calculator=quick),
        ],
    )
    for i in range(10):
        assert (await sturdy.chat_postMessage(channel="CBERGEN001", text=f"{i}"))["ok"]
    assert len(emu.state.channel_messages("CBERGEN001")) == 10
    faults = Counter(c.fault for c in emu.calls.calls() if c.fault)
    assert faults["drop"] > 0


async def test_admin_endpoints_toggle_limits_and_faults(emu: EmulatorHandle) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            emu.base_url + "/_admin/ratelimits", json={"enabled": True, "scale": 5}
        ) as r:
            assert await r.json() == {"ok": True, "enabled": True, "scale": 5}
        async with session.post(
            emu.base_url + "/_admin/faults",
            json={"ratelimited_share": 0.5, "seed": 3, "methods": ["users.info"]},
        ) as r:
            faults = (await r.json())["faults"]
        assert faults["ratelimited_share"] == 0.5 and faults["methods"] == ["users.info"]
        async with session.delete(emu.base_url + "/_admin/calls") as r:
            assert (await r.json())["ok"]
    assert emu.config.rate_limits is True and emu.config.faults.seed == 3


async def test_user_id_and_dm_id_share_one_channel_limit(
    client: AsyncWebClient, emu: EmulatorHandle
) -> None:
    emu.emulator.set_rate_limits(True)
    dm = (await client.chat_postMessage(channel="UOLA000001", text="1"))["channel"]
    for i in range(3):
        await client.chat_postMessage(channel=dm if i % 2 else "UOLA000001", text="x")
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel="UOLA000001", text="x")
    assert info.value.response.status_code == 429


async def test_drop_after_handling_posts_but_loses_the_answer(
    client: AsyncWebClient, emu: EmulatorHandle
) -> None:
    emu.emulator.set_faults(
        FaultConfig(drop_after_share=1.0, methods=frozenset({"chat.postMessage"}))
    )
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await client.chat_postMessage(channel="UOLA000001", text="once")
    # slack_sdk retries a dropped connection once by default: both attempts were posted.
    records = emu.calls.calls("chat.postMessage")
    assert [(r.ok, r.fault, r.status) for r in records] == [(True, "drop_after", 0)] * 2
    assert emu.calls.posts_per_recipient() == {"UOLA000001": 2}
    assert list(emu.calls.duplicates().values()) == [2]
