"""The public port in a process of its own (handlers.edge), over real sockets: a button press is
answered while the bot's loop is stuck and passed on to the bot after; everything else reaches
the bot's own app unchanged, with the caller's address, which no caller can forge."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult

from app import build_runtime, create_web_app
from bot.settings import Settings
from handlers.edge import EDGE_REMOTE_HEADER, Edge, inner_socket, remove_inner, trust_edge
from handlers.slack.endpoint import slack_events_handler
from tests.utils.slack import command_body, interaction_body, sign
from tests.utils.workspace import eventually

SECRET = "edge-test-secret"


async def _authorize(**_: Any) -> AuthorizeResult:
    return AuthorizeResult(
        enterprise_id=None, team_id="T1", bot_token="xoxb-test", bot_user_id="UBOT", bot_id="B1"
    )


def _press(user: str) -> tuple[str, str]:
    return interaction_body(
        {
            "type": "block_actions",
            "team": {"id": "T1"},
            "user": {"id": user, "team_id": "T1"},
            "api_app_id": "A1",
            "actions": [{"action_id": "answer", "block_id": "b", "type": "button", "value": "1"}],
            "response_url": "http://127.0.0.1:1/never",
            "trigger_id": "1.2.3",
            "container": {"type": "message"},
        }
    )


def _bolt(handed: list[tuple[str, str]], secret: str = SECRET) -> AsyncApp:
    """Bolt as the bot has it, as far as these tests need: presses are put in `handed`."""
    bolt = AsyncApp(signing_secret=secret, authorize=_authorize, process_before_response=False)

    @bolt.action("answer")
    async def answer(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        handed.append((body["user"]["id"], body["type"]))

    return bolt


def _inner_app(handed: list[tuple[str, str]]) -> web.Application:
    """The bot's own app, as far as these tests need: Bolt for commands and presses, pages."""
    bolt = _bolt(handed)

    @bolt.command("/cohort")
    async def cohort(ack: Any, command: dict[str, Any]) -> None:
        await ack(f"Hei {command['user_id']}: {command['text']}")

    async def echo(request: web.Request) -> web.Response:
        response = web.json_response(
            {
                "remote": request.remote,
                "method": request.method,
                "path_qs": request.raw_path,
                "body": (await request.read()).decode(),
                "forged": request.headers.get(EDGE_REMOTE_HEADER),
                "host": request.host,
                "header": request.headers.get("X-Test"),
            },
            status=int(request.query.get("status", "200")),
        )
        response.headers.add("Set-Cookie", "a=1")
        response.headers.add("Set-Cookie", "b=2")
        return response

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        for i in range(50):
            await response.write(f"linje {i}\n".encode() * 1000)
        await response.write_eof()
        return response

    async def moved(_request: web.Request) -> web.Response:
        raise web.HTTPFound("/elsewhere")

    app = web.Application(middlewares=[trust_edge])
    app.router.add_post("/slack/events", slack_events_handler(bolt, SECRET))
    app.router.add_route("*", "/echo/{tail:.*}", echo)
    app.router.add_get("/stream", stream)
    app.router.add_get("/moved", moved)
    return app


@asynccontextmanager
async def _edge(
    handed: list[tuple[str, str]],
    inner_app: web.Application | None = None,
    log_level: str = "WARNING",
    secret: str = SECRET,
) -> AsyncIterator[str]:
    """The inner app (`_inner_app(handed)` unless given) on a Unix socket, the edge's process in
    front of it: the edge's base URL."""
    inner = inner_socket()
    runner = web.AppRunner(inner_app or _inner_app(handed))
    await runner.setup()
    await web.UnixSite(runner, str(inner)).start()
    edge = Edge(host="127.0.0.1", port=0, inner=inner, signing_secret=secret, log_level=log_level)
    await edge.start()
    try:
        host, port = edge.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await edge.stop()
        await runner.cleanup()
        remove_inner(inner)
    assert not inner.parent.exists()


def _post_from_a_thread(url: str, body: str, content_type: str, got: list[Any]) -> threading.Event:
    """POST from another thread (this loop is to be stuck); `got` receives the status."""
    answered = threading.Event()

    def post() -> None:
        request = urllib.request.Request(
            url, data=body.encode(), headers={"Content-Type": content_type, **sign(SECRET, body)}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                got.append((response.status, response.read()))
        except Exception as exc:  # the test reads it
            got.append(exc)
        answered.set()

    threading.Thread(target=post, daemon=True).start()
    return answered


async def test_a_press_is_answered_while_the_bots_loop_is_stuck_and_handed_over_after() -> None:
    handed: list[tuple[str, str]] = []
    async with _edge(handed) as url:
        got: list[Any] = []
        answered = _post_from_a_thread(f"{url}/slack/events", *_press("U1"), got)
        # This loop (the bot's) does nothing until the answer has come: an ack that needed it
        # would never come, and the wait would end at its bound with nothing.
        assert answered.wait(timeout=30)
        assert got == [(200, b"")]
        assert handed == []  # the bot's part waits for its loop

        async def handed_over() -> bool:
            return handed == [("U1", "block_actions")]

        await eventually(handed_over)  # the loop runs again: the press was passed on to it


async def test_a_command_is_forwarded_and_bolts_answer_comes_back() -> None:
    handed: list[tuple[str, str]] = []
    body, content_type = command_body(
        command="/cohort", text="hjelp", user_id="U7", team_id="T1", api_app_id="A1"
    )
    async with _edge(handed) as url, aiohttp.ClientSession() as http:
        response = await http.post(
            f"{url}/slack/events",
            data=body,
            headers={"Content-Type": content_type, **sign(SECRET, body)},
        )
        assert response.status == 200
        assert "Hei U7: hjelp" in await response.text()
    assert handed == []


@pytest.mark.parametrize(
    ("secret", "body", "status"),
    [("another-secret", None, 401), (SECRET, "payload=%7Bnot-json", 400)],
    ids=["unsigned", "not-a-payload"],
)
async def test_a_refused_request_is_refused_and_hands_nothing(
    secret: str, body: str | None, status: int
) -> None:
    handed: list[tuple[str, str]] = []
    text, content_type = (
        _press("U1") if body is None else (body, "application/x-www-form-urlencoded")
    )
    async with _edge(handed) as url, aiohttp.ClientSession() as http:
        response = await http.post(
            f"{url}/slack/events",
            data=text,
            headers={"Content-Type": content_type, **sign(secret, text)},
        )
        assert response.status == status  # the bot refused it again: nothing was passed on
    assert handed == []


async def test_pages_reach_the_app_unchanged_with_the_callers_address_not_a_forged_one() -> None:
    async with _edge([]) as url, aiohttp.ClientSession() as http:
        response = await http.post(
            f"{url}/echo/a%2Fb/%C3%A6?x=1&x=%C3%B8&status=404",
            data="æøå body",
            headers={EDGE_REMOTE_HEADER: "10.9.8.7", "X-Test": "ja", "Host": "bot.example"},
        )
        seen = await response.json()
        assert response.status == 404
        assert response.headers.getall("Set-Cookie") == ["a=1", "b=2"]
    assert seen == {
        "remote": "127.0.0.1",  # where the request came from, not what it claimed
        "method": "POST",
        "path_qs": "/echo/a%2Fb/%C3%A6?x=1&x=%C3%B8&status=404",
        "body": "æøå body",
        "forged": "127.0.0.1",
        "host": "bot.example",
        "header": "ja",
    }


async def test_a_streamed_answer_and_a_redirect_come_back_as_the_app_gave_them() -> None:
    async with _edge([]) as url, aiohttp.ClientSession() as http:
        streamed = await http.get(f"{url}/stream")
        assert await streamed.text() == "".join(f"linje {i}\n" * 1000 for i in range(50))
        moved = await http.get(f"{url}/moved", allow_redirects=False)
        assert moved.status == 302 and moved.headers["Location"] == "/elsewhere"


async def test_one_kept_alive_connection_carries_presses_pages_and_commands_in_turn() -> None:
    handed: list[tuple[str, str]] = []
    body, content_type = command_body(
        command="/cohort", text="neste", user_id="U2", team_id="T1", api_app_id="A1"
    )
    connector = aiohttp.TCPConnector(limit=1)  # every request on the one connection
    async with _edge(handed) as url, aiohttp.ClientSession(connector=connector) as http:
        for user in ("U1", "U3"):
            text, kind = _press(user)
            press = await http.post(
                f"{url}/slack/events",
                data=text,
                headers={"Content-Type": kind, **sign(SECRET, text)},
            )
            assert press.status == 200 and await press.read() == b""
            page = await http.get(f"{url}/echo/x")
            assert (await page.json())["remote"] == "127.0.0.1"
            command = await http.post(
                f"{url}/slack/events",
                data=body,
                headers={"Content-Type": content_type, **sign(SECRET, body)},
            )
            assert "Hei U2: neste" in await command.text()

        async def both_handed_over() -> bool:
            return handed == [("U1", "block_actions"), ("U3", "block_actions")]

        await eventually(both_handed_over)


async def test_after_stop_the_port_is_closed() -> None:
    async with _edge([]) as url:
        pass
    with pytest.raises(urllib.error.URLError):
        await asyncio.to_thread(urllib.request.urlopen, f"{url}/echo/x", timeout=10)


async def test_the_header_is_trusted_only_from_the_unix_socket() -> None:
    app = web.Application(middlewares=[trust_edge])

    async def remote(request: web.Request) -> web.Response:
        return web.Response(text=request.remote or "")

    app.router.add_get("/", remote)
    async with TestClient(TestServer(app)) as client:  # over TCP, as if the edge were skipped
        response = await client.get("/", headers={EDGE_REMOTE_HEADER: "10.9.8.7"})
        assert await response.text() == "127.0.0.1"


async def test_a_port_taken_is_an_error_at_start(tmp_path: Path) -> None:
    taken = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = taken.sockets[0].getsockname()[1]
    edge = Edge(host="127.0.0.1", port=port, inner=tmp_path / "x.sock", signing_secret=None)
    try:
        with pytest.raises(OSError):
            await edge.start()
    finally:
        taken.close()
        await edge.stop()


@asynccontextmanager
async def _bot_behind_the_edge(
    settings: Settings, handed: list[tuple[str, str]]
) -> AsyncIterator[str]:
    """The bot's real web app (create_web_app) on a Unix socket behind the edge, as `serve`
    runs it; presses reach `handed`. The edge's base URL."""
    secret = settings.slack_signing_secret or ""
    runtime = build_runtime(settings)
    web_app = create_web_app(runtime, _bolt(handed, secret))
    web_app.middlewares.insert(0, trust_edge)
    try:
        async with _edge(handed, web_app, secret=secret) as url:
            yield url
    finally:
        await runtime.db.dispose()


def _acks(text: str, kind: str) -> float:
    """How many Slack requests of `kind` /metrics says were answered."""
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "cohortbot_slack_ack_seconds_count" and s.labels == {"kind": kind}
    )


async def test_presses_and_refusals_answered_at_the_edge_are_in_the_ack_metric(
    settings: Settings,
) -> None:
    """docs/operations.md: cohortbot_slack_ack_seconds is "from receiving a Slack request to
    answering it", and the slow-ack alert reads it; the edge answers presses itself."""
    handed: list[tuple[str, str]] = []
    secret = settings.slack_signing_secret or ""
    async with (
        _bot_behind_the_edge(settings, handed) as url,
        aiohttp.ClientSession() as http,
    ):

        async def interactions() -> float:
            async with http.get(f"{url}/metrics") as response:
                assert response.status == 200
                return _acks(await response.text(), "interaction")

        before = await interactions()
        text, content_type = _press("U1")
        for signed_with, status in ((secret, 200), ("not-the-secret", 401)):
            async with http.post(
                f"{url}/slack/events",
                data=text,
                headers={"Content-Type": content_type, **sign(signed_with, text)},
            ) as response:
                assert response.status == status

        async def both_timed() -> bool:  # the press is timed when the bot has it
            return await interactions() == before + 2 and handed == [("U1", "block_actions")]

        await eventually(both_timed)


async def test_a_caller_that_leaves_before_its_answer_is_no_error(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Slack gives up on a slow command at 3 s, a browser tab is closed: the app answering
    itself says nothing of it, and nor may the edge (no ERROR with a traceback each time)."""
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow(_request: web.Request) -> web.Response:
        entered.set()
        await release.wait()
        return web.Response(text="too late")

    app = web.Application(middlewares=[trust_edge])
    app.router.add_get("/slow", slow)
    said: list[str] = []  # what the edge's process wrote to its stderr (this test's)
    async with _edge([], app, log_level="DEBUG") as url:
        host, port = url.removeprefix("http://").split(":")
        _reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        await entered.wait()
        writer.transport.abort()  # a reset, already at the edge's socket when this returns
        release.set()

        async def settled() -> bool:
            said.append(capfd.readouterr().err)
            return "The caller left before its answer was sent" in "".join(said)

        await eventually(settled)
    told = [line for line in "".join(said).splitlines() if " ERROR " in line or "Traceback" in line]
    assert told == []


async def test_a_request_in_absolute_form_reaches_the_page_it_names() -> None:
    """HTTP/1.1 servers must take `GET http://host/path` (RFC 9112 §3.2.2); the app answers it
    by its path, and so must the app behind the edge (not a path of `//host/path`)."""
    async with _edge([]) as url:
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            b"GET http://bot.example/echo/a%2Fb?x=%C3%B8 HTTP/1.1\r\n"
            b"Host: bot.example\r\nConnection: close\r\n\r\n"
        )
        answer = await reader.read()
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert json.loads(body)["path_qs"] == "/echo/a%2Fb?x=%C3%B8"


async def test_an_edge_that_ends_unasked_is_reported_and_the_bot_told() -> None:
    inner = inner_socket()
    lost = asyncio.Event()
    edge = Edge(host="127.0.0.1", port=0, inner=inner, signing_secret=None, on_lost=lost.set)
    await edge.start()
    try:
        assert edge.pid is not None
        os.kill(edge.pid, signal.SIGKILL)
        await asyncio.wait_for(lost.wait(), 30)
        assert edge.lost == -signal.SIGKILL
    finally:
        await edge.stop()
        remove_inner(inner)
