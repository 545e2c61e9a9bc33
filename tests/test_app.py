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


MALFORMED_BODIES = [
    ("[1]", "application/json"),
    ("null", "application/json"),
    ("1", "application/json"),
    ('"x"', "application/json"),
    ("{not json", "application/json"),
    ("", "application/json"),
    ("payload=notjson", "application/x-www-form-urlencoded"),
    ("payload=%5B1%5D", "application/x-www-form-urlencoded"),
    ("payload=null", "application/x-www-form-urlencoded"),
    ("%%%&&&==", "application/x-www-form-urlencoded"),
    ("\udcff", "text/plain"),
]


@pytest.mark.parametrize(("body", "ctype"), MALFORMED_BODIES)
@pytest.mark.parametrize("signed", [False, True])
async def test_the_public_endpoint_never_500s_on_a_malformed_body(
    client: TestClient,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    body: str,
    ctype: str,
    signed: bool,
) -> None:
    raw = body.encode("utf-8", "surrogateescape")
    headers = {"Content-Type": ctype}
    if signed:
        headers.update(sign(settings.slack_signing_secret or "", raw.decode("latin-1")))
    with caplog.at_level("DEBUG"):
        resp = await client.post("/slack/events", data=raw, headers=headers)
    assert 400 <= resp.status < 500
    assert "Traceback" not in await resp.text()
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "Traceback" not in logged and not any(r.exc_info for r in caplog.records)
    if len(body) > 3:
        assert body not in logged  # logged without the body
    assert await _event_rows(settings) == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=abc"},
        {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": ""},
        {"X-Slack-Request-Timestamp": "1" * 40, "X-Slack-Signature": "v0=" + "a" * 64},
        {"X-Slack-Request-Timestamp": "-5", "X-Slack-Signature": "v0=" + "a" * 64},
        {"X-Slack-Request-Timestamp": "١٢٣", "X-Slack-Signature": "v0=" + "a" * 64},
        {"X-Slack-Signature": "x" * 5000},
    ],
)
async def test_malformed_signature_headers_get_401_without_a_traceback(
    client: TestClient, caplog: pytest.LogCaptureFixture, headers: dict[str, str]
) -> None:
    body, ctype = json_body(EVENT)
    with caplog.at_level("DEBUG"):
        resp = await client.post(
            "/slack/events", data=body, headers={"Content-Type": ctype, **headers}
        )
    assert resp.status == 401
    assert not any(r.exc_info for r in caplog.records)
    assert "hei" not in "\n".join(r.getMessage() for r in caplog.records)


async def test_a_body_over_the_size_limit_gets_413(client: TestClient, settings: Settings) -> None:
    from handlers.slack.endpoint import MAX_REQUEST_BYTES

    body = "x" * (MAX_REQUEST_BYTES + 1)
    headers = {
        "Content-Type": "application/json",
        **sign(settings.slack_signing_secret or "", body),
    }
    resp = await client.post("/slack/events", data=body, headers=headers)
    assert resp.status == 413


def test_bolts_logger_drops_bodies() -> None:
    import logging

    from handlers.slack.endpoint import quiet_bolt_logger

    bolt_logger = quiet_bolt_logger()
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep()
    bolt_logger.addHandler(keep)
    try:
        bolt_logger.info('{"user": "Kari Nordmann"}')
        bolt_logger.warning("Unhandled request ({'text': 'Kari Nordmann'})")
    finally:
        bolt_logger.removeHandler(keep)
    assert [r.getMessage() for r in records] == ["Unhandled request (body not logged)"]
