"""/api/messages in production mode: the SDK's JWT check on that route only."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from app import build_runtime, create_web_app, install_teams
from bot.clock import FrozenClock
from bot.settings import Settings
from emulator.teams_connector import activity

APP_ID = "0f6b2a52-3f4b-4c1e-9a55-6d3f8f1c2b7a"


@pytest.fixture
async def production_bot(settings: Settings, clock: FrozenClock) -> AsyncIterator[str]:
    settings = settings.model_copy(
        update={
            "teams_app_id": APP_ID,
            "teams_app_password": "a-client-secret-for-tests",
            "teams_tenant_id": "11111111-2222-3333-4444-555555555555",
        }
    )
    assert settings.teams == "on"
    async with aiohttp.ClientSession() as http:
        runtime = build_runtime(settings, clock=clock, http=http)
        web_app = create_web_app(runtime, None, install_teams(runtime, http))
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        try:
            yield f"http://127.0.0.1:{runner.addresses[0][1]}"
        finally:
            await runner.cleanup()
            await runtime.db.dispose()


def _body() -> dict[str, object]:
    return activity(
        "message",
        service_url="https://smba.trafficmanager.net/emea/",
        conversation_id="a:x",
        from_id="29:x",
        text="hjelp",
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not.a.jwt"},
        {"Authorization": "Basic dXNlcjpwdw=="},
        # A well-formed token signed by nobody Microsoft publishes keys for.
        {
            "Authorization": "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
            "eyJhdWQiOiIwZjZiMmE1Mi0zZjRiLTRjMWUtOWE1NS02ZDNmOGYxYzJiN2EifQ."
            "c2lnbmF0dXJl"
        },
    ],
)
async def test_unauthenticated_activities_are_refused(
    production_bot: str, headers: dict[str, str]
) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{production_bot}/api/messages", json=_body(), headers=headers) as response,
    ):
        assert response.status == 401


async def test_the_jwt_check_is_on_that_route_only(production_bot: str) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{production_bot}/healthz") as response:
        assert response.status == 200


async def test_teams_off_answers_503(settings: Settings, clock: FrozenClock) -> None:
    async with aiohttp.ClientSession() as http:
        runtime = build_runtime(settings, clock=clock, http=http)
        assert install_teams(runtime, http) is None
        web_app = create_web_app(runtime, None, None)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        try:
            url = f"http://127.0.0.1:{runner.addresses[0][1]}/api/messages"
            async with http.post(url, json=_body()) as response:
                assert response.status == 503
        finally:
            await runner.cleanup()
            await runtime.db.dispose()
