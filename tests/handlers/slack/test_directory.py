"""The Slack directory reads users.list page by page from a server speaking Slack's shape."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.directory import DirectoryError
from handlers.slack.directory import make_slack_directory

FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "slack"
PAGES = {
    "": json.loads((FIXTURES / "users_list_page1.json").read_text()),
    "dXNlcjpVMEc5V0ZYTlo=": json.loads((FIXTURES / "users_list_page2.json").read_text()),
}


class FakeSlack:
    """users.list with cursors, an optional 429 first, and a record of every request."""

    def __init__(
        self, *, rate_limit_once: bool = False, error: str | None = None, server_errors: int = 0
    ) -> None:
        self.requests: list[dict[str, Any]] = []
        self.rate_limit_once = rate_limit_once
        self.error = error
        self.server_errors = server_errors

    async def users_list(self, request: web.Request) -> web.Response:
        form = dict(await request.post()) if request.can_read_body else {}
        params = {**request.query, **form}
        self.requests.append({"params": params, "auth": request.headers.get("Authorization")})
        if self.error:
            return web.json_response({"ok": False, "error": self.error})
        if self.server_errors:
            self.server_errors -= 1
            return web.json_response({"ok": False, "error": "service_unavailable"}, status=503)
        if self.rate_limit_once:
            self.rate_limit_once = False
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "0"}
            )
        return web.json_response(PAGES[str(params.get("cursor", ""))])


async def serve(fake: FakeSlack) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/api/users.list", fake.users_list)
    server = TestServer(app)
    await server.start_server()
    try:
        yield str(server.make_url("/api/"))
    finally:
        await server.close()


@pytest.fixture
async def fake_slack() -> AsyncIterator[tuple[FakeSlack, str]]:
    fake = FakeSlack(rate_limit_once=True)
    async for url in serve(fake):
        yield fake, url


async def test_all_users_follows_cursors_and_skips_bots(
    fake_slack: tuple[FakeSlack, str],
) -> None:
    fake, url = fake_slack
    pages: list[int] = []
    async with aiohttp.ClientSession() as http:
        directory = make_slack_directory(
            token="xoxb-test", base_url=url, session=http, on_page=pages.append
        )
        users = await directory.all_users()
    assert [u.id for u in users] == ["U0KARI0001", "U0ANNE0001", "U0SIRI0001", "U0OLA00001"]
    assert users[0].email == "kari.nordmann@bergen.kommune.no"  # lower-cased
    assert (users[1].locale, users[1].tz) == ("en-GB", "Europe/Oslo")
    assert users[3].deleted is True
    assert pages == [4, 2]
    # one 429 retried, then two pages of 200 with the cursor from the first
    assert len(fake.requests) == 3
    assert [r["params"].get("limit") for r in fake.requests] == ["200", "200", "200"]
    assert fake.requests[2]["params"]["cursor"] == "dXNlcjpVMEc5V0ZYTlo="
    assert fake.requests[0]["auth"] == "Bearer xoxb-test"


async def test_server_errors_on_the_import_lookup_are_retried_with_a_bound() -> None:
    async for url in serve(FakeSlack(server_errors=2)):
        async with aiohttp.ClientSession() as http:
            directory = make_slack_directory(token="xoxb-test", base_url=url, session=http)
            directory.client._sleep = _no_wait  # type: ignore[attr-defined]
            users = await directory.all_users()
        assert len(users) == 4
    fake = FakeSlack(server_errors=100)
    async for url in serve(fake):
        async with aiohttp.ClientSession() as http:
            directory = make_slack_directory(token="xoxb-test", base_url=url, session=http)
            directory.client._sleep = _no_wait  # type: ignore[attr-defined]
            with pytest.raises(DirectoryError):
                await directory.all_users()
    assert len(fake.requests) == 6  # gave up after the bound


async def _no_wait(seconds: float) -> None:
    del seconds


async def test_a_slack_error_is_a_clear_directory_error() -> None:
    async for url in serve(FakeSlack(error="invalid_auth")):
        async with aiohttp.ClientSession() as http:
            directory = make_slack_directory(token="xoxb-bad", base_url=url, session=http)
            with pytest.raises(DirectoryError, match=r"invalid_auth.*SLACK_BOT_TOKEN"):
                await directory.all_users()


async def test_a_large_workspace_in_the_emulator_takes_a_few_pages() -> None:
    from emulator import start_emulator

    handle = await start_emulator("127.0.0.1", 0, smtp_port=None)
    try:
        for i in range(450):
            handle.state.add_user(
                f"p{i}", email=f"Person{i}@Kommune.no", deleted=i == 7, locale="en-GB"
            )
        async with aiohttp.ClientSession() as http:
            directory = make_slack_directory(
                token=handle.bot_token, base_url=handle.api_url, session=http
            )
            users = await directory.all_users()
        people = {u.email: u for u in users if u.email}
        assert len(people) == 450
        assert people["person7@kommune.no"].deleted is True
        assert people["person8@kommune.no"].locale == "en-GB"
        assert handle.calls.counts["users.list"] == 3  # 200 + 200 + 50 and the bot user
    finally:
        await handle.stop()
