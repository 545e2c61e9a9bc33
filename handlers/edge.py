"""The bot's public port, answered on a thread of its own.

Slack wants a button press acked within 3 s, and people feel anything above a few tenths. The
bot's event loop also runs the outbox, the scheduler and every click's own work, and in a burst
of 450 clicks a second it was busy 150–220 ms of every 200 ms in many 5–15 ms pieces: an ack
read off the socket waited its turn behind them, p99 225 ms against a bare Bolt app's 23 ms
(bench/whole_bot.py). No single piece was long, so no piece could be made to step aside.

So the public socket is served here, on an event loop in a thread that does nothing else:

- `POST /slack/events` is checked here (size, signature, shape: handlers.slack.endpoint). A
  button press is answered 200 at once and handed to the bot's loop (`hand_off`, called there
  through `call_soon_threadsafe`), where Bolt and the listener run after the ack as before.
  What is answered here is timed here, in `cohortbot_slack_ack_seconds` (bot.metrics).
- Everything else — slash commands and modals (their answer is Bolt's), Teams, the web pages,
  /healthz — is forwarded unchanged to the bot's own web app, which listens on a Unix socket in
  a private directory (`inner_socket`). The caller's address goes with it in
  `EDGE_REMOTE_HEADER`, set here over whatever the caller sent; the inner app trusts that header
  only from the Unix socket (`trust_edge`).

Python runs one thread at a time; a thread that wants to run waits at most the interpreter's
switch interval. `Edge.start` shortens it to `SWITCH_INTERVAL_SECONDS` so the edge is not kept
waiting behind the bot's loop: benchmarks in docs/benchmarks.md ("An edge of its own").
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier
from yarl import URL

from bot import metrics
from handlers.slack.endpoint import ACKED_AT_THE_EDGE, MAX_REQUEST_BYTES, check_request
from handlers.web.metrics import slack_request_kind

logger = logging.getLogger(__name__)

EDGE_REMOTE_HEADER = "X-Cohortbot-Edge-Remote"
# Headers about one hop only (RFC 9110 §7.6.1), never forwarded; Content-Length is set anew.
HOP_BY_HOP = frozenset(
    h.lower()
    for h in (
        "Connection",
        "Keep-Alive",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "Proxy-Connection",
        "TE",
        "Trailer",
        "Transfer-Encoding",
        "Upgrade",
        "Expect",
        "Content-Length",
        EDGE_REMOTE_HEADER,
    )
)
SWITCH_INTERVAL_SECONDS = 0.001  # CPython's default is 0.005
SHUTDOWN_SECONDS = 10.0
CHUNK_BYTES = 64 * 1024

HandOff = Callable[[AsyncBoltRequest, str], None]


def inner_socket() -> Path:
    """A path for the inner app's Unix socket, in a new directory only this user can enter."""
    return Path(tempfile.mkdtemp(prefix="cohortbot-")) / "bot.sock"


def _over_unix_socket(request: web.BaseRequest) -> bool:
    transport = request.transport
    sock = transport.get_extra_info("socket") if transport is not None else None
    return sock is not None and sock.family == socket.AF_UNIX


@web.middleware
async def trust_edge(request: web.Request, handler: Any) -> web.StreamResponse:
    """On the inner app: the caller's address is the one the edge saw (the header is trusted
    only over the Unix socket; anything else keeps its own address)."""
    if _over_unix_socket(request):
        request = request.clone(remote=request.headers.get(EDGE_REMOTE_HEADER, ""))
    response: web.StreamResponse = await handler(request)
    return response


class Edge:
    """The public port on a thread of its own (see the module's docstring).

    `hand_off(bolt_request, kind)` runs on the loop that called `start`; with no
    `signing_secret` (Slack not configured) every request is forwarded.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        inner: Path,
        signing_secret: str | None,
        hand_off: HandOff | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.host = host
        self.port = port
        self.inner = inner
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self._hand_off = hand_off
        self._clock = clock
        self.addresses: list[Any] = []
        self.acked = 0  # button presses answered here (benchmarks, tests)
        self.forwarded = 0
        self._thread: threading.Thread | None = None
        self._edge_loop: asyncio.AbstractEventLoop | None = None
        self._bot_loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Listen on host:port (an OSError, as from binding, is raised here)."""
        self._bot_loop = asyncio.get_running_loop()
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="cohortbot-edge", daemon=True
        )
        sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
        self._thread.start()
        await asyncio.wrap_future(ready)

    async def stop(self) -> None:
        """Stop listening, finish the requests in hand (up to `SHUTDOWN_SECONDS`), and wait."""
        if self._thread is None:
            return
        if self._edge_loop is not None and self._stop is not None:
            try:
                self._edge_loop.call_soon_threadsafe(self._stop.set)
            except RuntimeError:  # it never started serving (the port was taken): it has ended
                pass
        await asyncio.to_thread(self._thread.join)
        self._thread = None

    def _run(self, ready: concurrent.futures.Future[None]) -> None:
        try:
            asyncio.run(self._serve(ready))
        except BaseException as exc:  # the thread's end must reach whoever waits on `ready`
            if not ready.done():
                ready.set_exception(exc)
            else:
                logger.exception("The edge stopped (%s)", type(exc).__name__)

    async def _serve(self, ready: concurrent.futures.Future[None]) -> None:
        self._edge_loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        if self._verifier is not None:
            app.router.add_post("/slack/events", self._slack_events)
        app.router.add_route("*", "/{tail:.*}", self._forward_request)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_SECONDS)
        await runner.setup()
        self._session = aiohttp.ClientSession(
            connector=aiohttp.UnixConnector(path=str(self.inner), limit=0),
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10),
        )
        try:
            try:
                await web.TCPSite(runner, self.host, self.port).start()
            except OSError as exc:
                ready.set_exception(exc)
                return
            self.addresses = list(runner.addresses)
            ready.set_result(None)
            await self._stop.wait()
        finally:
            await runner.cleanup()
            await self._session.close()

    async def _slack_events(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        answer = await self._answer_here(request)
        if answer is None:  # the inner app answers, and times it (handlers.web.metrics)
            return await self._forward_request(request)
        if answer.status != 413:  # as the inner app's timer: a body too large is not read
            body = await request.read() if request.body_exists else b""  # read already
            metrics.ACK_SECONDS.labels(slack_request_kind(request, body)).observe(
                time.perf_counter() - started
            )
        return answer

    async def _answer_here(self, request: web.Request) -> web.Response | None:
        """A refusal or a press's ack, or None for a request the inner app is to answer."""
        assert self._verifier is not None
        checked = await check_request(request, self._verifier, self._clock())
        if isinstance(checked, web.Response):
            return checked
        if checked.kind not in ACKED_AT_THE_EDGE or self._hand_off is None:
            return None
        assert self._bot_loop is not None
        try:
            self._bot_loop.call_soon_threadsafe(self._hand_off, checked.bolt_request, checked.kind)
        except RuntimeError:  # the bot's loop has closed: Slack may send it again
            return web.json_response({"ok": False, "error": "stopping"}, status=503)
        self.acked += 1
        return web.Response(status=200)

    async def _forward_request(self, request: web.Request) -> web.StreamResponse:
        """The request as it came, to the inner app; its answer as it came, back."""
        assert self._session is not None
        headers = CIMultiDict(
            (k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP
        )
        headers[EDGE_REMOTE_HEADER] = request.remote or ""
        body = await request.read() if request.body_exists else None
        # The target as sent; in absolute form (`GET http://host/path`), its path and query.
        target = request.raw_path
        if not target.startswith("/"):
            target = request.rel_url.raw_path_qs
        self.forwarded += 1
        try:
            upstream = await self._session.request(
                request.method,
                URL("http://cohortbot" + target, encoded=True),
                headers=headers,
                data=body,
                allow_redirects=False,
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            )
        except (aiohttp.ClientError, OSError) as exc:
            logger.error("The bot's own web app did not answer (%s)", type(exc).__name__)
            return web.json_response({"ok": False, "error": "unavailable"}, status=503)
        async with upstream:
            response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
            for key, value in upstream.headers.items():
                if key.lower() not in HOP_BY_HOP:
                    response.headers.add(key, value)
            if upstream.content_length is not None:
                response.content_length = upstream.content_length
            try:
                await response.prepare(request)
                async for chunk in upstream.content.iter_chunked(CHUNK_BYTES):
                    await response.write(chunk)
                await response.write_eof()
            except ConnectionResetError:
                # A browser closed, Slack gave up at 3 s: nothing to tell (the app answering
                # itself says nothing either), and never a part-answer on a kept-alive line.
                logger.debug("The caller left before its answer was sent")
                if request.transport is not None:
                    request.transport.close()
        return response


def remove_inner(path: Path) -> None:
    """Remove the inner socket and its private directory (both may already be gone)."""
    for remove in (path.unlink, path.parent.rmdir):
        try:
            remove()
        except OSError:
            pass
