"""Fixtures: a running emulator on a free port and a real slack_sdk client pointed at it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from emulator import EmulatorHandle, start_emulator
from emulator.server import free_port
from emulator.state import WorkspaceState


def seed_people(state: WorkspaceState) -> None:
    """Seed a small class: staff, two participants, a line manager, a deactivated alumnus."""
    state.add_user(
        "kari",
        real_name="Kari Nordmann",
        email="kari@example.no",
        role="staff",
        user_id="UKARI00001",
    )
    state.add_user(
        "ola",
        real_name="Ola Hansen",
        email="ola@example.no",
        role="participant",
        user_id="UOLA000001",
    )
    state.add_user(
        "ingrid",
        real_name="Ingrid Berg",
        email="ingrid@example.no",
        role="participant",
        locale="en-US",
        user_id="UINGRID001",
    )
    state.add_user(
        "lars",
        real_name="Lars Lie",
        email="lars@example.no",
        role="line manager",
        user_id="ULARS00001",
    )
    state.add_user(
        "gone",
        real_name="Gone Away",
        email="gone@example.no",
        role="alumnus",
        deleted=True,
        user_id="UGONE00001",
    )
    state.add_channel(
        "kull-2026-bergen",
        members=["UKARI00001", "UOLA000001", "UINGRID001"],
        channel_id="CBERGEN001",
    )
    state.add_channel(
        "general",
        members=["UKARI00001", "UOLA000001"],
        bot_member=False,
        channel_id="CGENERAL01",
        is_general=True,
    )
    state.add_channel(
        "staff-only",
        members=["UKARI00001"],
        is_private=True,
        bot_member=False,
        channel_id="CSTAFF0001",
    )


@pytest.fixture
async def emu() -> AsyncIterator[EmulatorHandle]:
    handle = await start_emulator(
        seed=seed_people, ack_timeout=30.0, event_retry_delays=(0.0, 0.0, 0.0)
    )
    yield handle
    await handle.stop()


@pytest.fixture
async def client(emu: EmulatorHandle) -> AsyncIterator[AsyncWebClient]:
    web_client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url, timeout=30)
    yield web_client
    if web_client.session is not None:
        await web_client.session.close()


SECRET = "test-signing-secret"

Reply = Callable[[dict[str, Any]], Awaitable[web.StreamResponse]]


@dataclass
class FakeBot:
    """A bot endpoint that verifies signatures, records requests and answers as told."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    reply: Reply | None = None
    verifier: SignatureVerifier = field(default_factory=lambda: SignatureVerifier(SECRET))

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.text()
        valid = self.verifier.is_valid_request(body, dict(request.headers))
        if request.content_type == "application/json":
            data: dict[str, Any] = json.loads(body)
        else:
            form = {k: v[0] for k, v in parse_qs(body).items()}
            data = json.loads(form["payload"]) if "payload" in form else form
        record = {"data": data, "headers": dict(request.headers), "valid": valid}
        self.requests.append(record)
        if not valid:
            return web.Response(status=401)
        if self.reply is not None:
            return await self.reply(record)
        return web.Response(status=200)


@pytest.fixture
async def bot() -> AsyncIterator[FakeBot]:
    fake = FakeBot()
    app = web.Application()
    app.router.add_post("/slack/events", fake.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    fake.url = f"http://127.0.0.1:{port}/slack/events"
    yield fake
    await runner.cleanup()
