"""The Slack endpoint and /healthz over real HTTP (aiohttp's test server)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from app import build_runtime, create_bolt_app, create_slack_client, create_web_app
from bot.settings import Settings
from storage.models import ProcessedEvent
from tests.utils.slack import json_body, sign


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[TestClient]:
    runtime = build_runtime(settings)
    bolt = create_bolt_app(runtime, create_slack_client(settings, None))
    server = TestServer(create_web_app(runtime, bolt))
    async with TestClient(server) as test_client:
        yield test_client
    await runtime.db.dispose()


EVENT = {
    "type": "event_callback",
    "team_id": "T1",
    "api_app_id": "A1",
    "event_id": "Ev123",
    "event_time": 1,
    "event": {"type": "app_mention", "user": "U1", "text": "hei", "channel": "C1", "ts": "1.0"},
}


async def test_healthz_reports_database(client: TestClient) -> None:
    resp = await client.get("/healthz")
    assert resp.status == 200
    assert (await resp.json())["database"] == "ok"


async def test_healthz_503_without_database(tmp_path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/missing/dir/../../x/../nope.db")
    runtime = build_runtime(settings)
    await runtime.db.dispose()
    # A directory where the database file should be makes SQLite fail to open it.
    (tmp_path / "nope.db").mkdir()
    runtime = build_runtime(Settings(database_url=f"sqlite:///{tmp_path}/nope.db"))
    async with TestClient(TestServer(create_web_app(runtime, None))) as c:
        resp = await c.get("/healthz")
        assert resp.status == 503
    await runtime.db.dispose()


async def test_url_verification_challenge(client: TestClient, settings: Settings) -> None:
    body, ctype = json_body({"type": "url_verification", "challenge": "abc123", "token": "x"})
    headers = {"Content-Type": ctype, **sign(settings.slack_signing_secret or "", body)}
    resp = await client.post("/slack/events", data=body, headers=headers)
    assert resp.status == 200
    assert (await resp.json())["challenge"] == "abc123"


async def _event_rows(settings: Settings) -> int:
    runtime = build_runtime(settings)
    async with runtime.db.session() as session:
        count = (await session.execute(select(func.count()).select_from(ProcessedEvent))).scalar()
    await runtime.db.dispose()
    return int(count or 0)


@pytest.mark.parametrize("case", ["unsigned", "stale", "tampered", "wrong_secret"])
async def test_bad_signatures_get_401_and_change_nothing(
    client: TestClient, settings: Settings, case: str
) -> None:
    body, ctype = json_body(EVENT)
    secret = settings.slack_signing_secret or ""
    if case == "unsigned":
        headers = {"Content-Type": ctype}
    elif case == "stale":
        headers = {"Content-Type": ctype, **sign(secret, body, int(time.time()) - 60 * 10)}
    elif case == "tampered":
        headers = {"Content-Type": ctype, **sign(secret, body)}
        body = body.replace("hei", "hallo")
    else:
        headers = {"Content-Type": ctype, **sign("not-the-secret", body)}
    resp = await client.post("/slack/events", data=body, headers=headers)
    assert resp.status == 401
    assert await _event_rows(settings) == 0


async def test_slack_not_configured_still_serves_healthz(settings: Settings) -> None:
    runtime = build_runtime(settings)
    async with TestClient(TestServer(create_web_app(runtime, None))) as c:
        assert (await c.get("/healthz")).status == 200
        assert (await c.post("/slack/events", data="{}")).status == 503
    await runtime.db.dispose()


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        ("payload=notjson", "application/x-www-form-urlencoded"),
        ("{not json", "application/json"),
    ],
)
async def test_a_signed_malformed_payload_gets_400_and_changes_nothing(
    client: TestClient, settings: Settings, body: str, ctype: str
) -> None:
    headers = {"Content-Type": ctype, **sign(settings.slack_signing_secret or "", body)}
    resp = await client.post("/slack/events", data=body, headers=headers)
    assert resp.status == 400
    assert (await resp.json())["error"] == "malformed_payload"
    assert await _event_rows(settings) == 0


async def test_an_unsigned_malformed_payload_is_still_401(client: TestClient) -> None:
    resp = await client.post(
        "/slack/events", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert resp.status == 401
