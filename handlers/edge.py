"""The bot's public port, answered by a process of its own.

Slack wants a button press acked within 3 s, and people feel anything above a few tenths. The
bot's event loop also runs the outbox, the scheduler and every click's own work, and in a burst
of 450 clicks a second it was busy 150–220 ms of every 200 ms in many 5–15 ms pieces: an ack
read off the socket waited its turn behind them, p99 225 ms against a bare Bolt app's 23 ms
(bench/whole_bot.py). No single piece was long, so no piece could be made to step aside.

An event loop on a thread of its own was tried first and was not enough: the two threads share
one interpreter lock, and a busy loop that gives the lock up and takes it back between its many
small callbacks (every select, every socket write) keeps a waiting thread out far longer than
the interpreter's switch interval — acks p99 190–210 ms at 450 clicks a second, and in a
synthetic test with 0.5 ms callbacks the edge thread was starved for seconds. So the edge is a
child process (`python -m handlers.edge`), started and stopped with the bot (`Edge`):

- `POST /slack/events`: a button press (`block_actions`) that passes the checks (size,
  signature, shape: handlers.slack.endpoint) is answered 200 at once, then passed on to the
  bot's own `/slack/events`, in arrival order, where Bolt and the listener run after the ack
  (`bot.precedence.AfterAck`). How long the edge took to answer goes with it
  (`EDGE_ACK_HEADER`), for `cohortbot_slack_ack_seconds`.
- Everything else — slash commands and modals (their answer is Bolt's), refusals (the bot
  refuses them again and times them), Teams, the web pages, /healthz — is forwarded unchanged
  to the bot's own web app and its answer streamed back.
- The bot's app listens on a Unix socket in a private directory (`inner_socket`). The caller's
  address goes with each request in `EDGE_REMOTE_HEADER`, set here over whatever the caller
  sent; the bot's app trusts these headers only from the Unix socket (`trust_edge`).

Should the edge process end while the bot runs, the bot stops (`on_lost`) rather than run with
no port; a supervisor starts both again. Should the bot end, the edge sees its stdin close and
stops too.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from slack_sdk.signature import SignatureVerifier
from yarl import URL

from bot.logs import configure_log_output
from handlers.slack.endpoint import ACKED_AT_THE_EDGE, MAX_REQUEST_BYTES, check_request

logger = logging.getLogger(__name__)

EDGE_REMOTE_HEADER = "X-Cohortbot-Edge-Remote"
EDGE_ACK_HEADER = "X-Cohortbot-Edge-Acked-In"  # seconds the edge took to answer a press
EDGE_ACK_SECONDS = web.RequestKey("edge_ack_seconds", float)  # where trust_edge keeps it
# Headers about one hop only (RFC 9110 §7.6.1), never forwarded; Content-Length is set anew;
# the edge's own headers are never taken from a caller.
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
        EDGE_ACK_HEADER,
    )
)
SHUTDOWN_SECONDS = 10.0
START_SECONDS = 60.0
CHUNK_BYTES = 64 * 1024
PRESSES_AT_ONCE = 16  # presses being passed on to the bot at a time; the rest queue in order
PROJECT_ROOT = str(Path(__file__).resolve().parent.parent)  # where `handlers` is importable
PRESS_RETRIES = (0.1, 0.5, 2.0)  # waits before passing a press on again (the bot restarting)


def inner_socket() -> Path:
    """A path for the inner app's Unix socket, in a new directory only this user can enter."""
    return Path(tempfile.mkdtemp(prefix="cohortbot-")) / "bot.sock"


def remove_inner(path: Path) -> None:
    """Remove the inner socket and its private directory (both may already be gone)."""
    for remove in (path.unlink, path.parent.rmdir):
        try:
            remove()
        except OSError:
            pass


def _over_unix_socket(request: web.BaseRequest) -> bool:
    transport = request.transport
    sock = transport.get_extra_info("socket") if transport is not None else None
    return sock is not None and sock.family == socket.AF_UNIX


@web.middleware
async def trust_edge(request: web.Request, handler: Any) -> web.StreamResponse:
    """On the inner app: the caller's address is the one the edge saw, and a press's ack time
    the edge's (trusted only over the Unix socket; anything else keeps its own)."""
    if _over_unix_socket(request):
        request = request.clone(remote=request.headers.get(EDGE_REMOTE_HEADER, ""))
        acked_in = request.headers.get(EDGE_ACK_HEADER)
        if acked_in is not None:
            with contextlib.suppress(ValueError):
                request[EDGE_ACK_SECONDS] = float(acked_in)
    response: web.StreamResponse = await handler(request)
    return response


def _forwarded_headers(request: web.Request) -> CIMultiDict[str]:
    headers = CIMultiDict((k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP)
    headers[EDGE_REMOTE_HEADER] = request.remote or ""
    return headers


def _target(request: web.Request) -> URL:
    # The target as sent; in absolute form (`GET http://host/path`), its path and query.
    target = request.raw_path
    if not target.startswith("/"):
        target = request.rel_url.raw_path_qs
    return URL("http://cohortbot" + target, encoded=True)


class EdgeServer:
    """The edge's HTTP server, on the loop that runs it (the edge's process; see `Edge`)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        inner: Path,
        signing_secret: str | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.host = host
        self.port = port
        self.inner = inner
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self._clock = clock
        self.addresses: list[Any] = []
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._presses: set[asyncio.Task[None]] = set()
        self._press_slots = asyncio.Semaphore(PRESSES_AT_ONCE)

    async def open(self) -> None:
        """Listen on host:port (an OSError, as from binding, is raised here)."""
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        if self._verifier is not None:
            app.router.add_post("/slack/events", self._slack_events)
        app.router.add_route("*", "/{tail:.*}", self._forward_request)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_SECONDS)
        await self._runner.setup()
        self._session = aiohttp.ClientSession(
            connector=aiohttp.UnixConnector(path=str(self.inner), limit=0),
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10),
        )
        try:
            await web.TCPSite(self._runner, self.host, self.port).start()
        except OSError:
            await self.close()
            raise
        self.addresses = list(self._runner.addresses)

    async def close(self) -> None:
        """Stop listening, answer the requests in hand, pass on the presses acked."""
        if self._runner is not None:
            await self._runner.cleanup()
        if self._presses:
            await asyncio.wait(set(self._presses), timeout=SHUTDOWN_SECONDS)
        if self._session is not None:
            await self._session.close()

    async def _slack_events(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        assert self._verifier is not None
        checked = await check_request(request, self._verifier, self._clock())
        if isinstance(checked, web.Response):
            if checked.status == 413:  # the body was not read: it is not sent on either
                return checked
            return await self._forward_request(request)  # refused again, and timed, there
        if checked.kind not in ACKED_AT_THE_EDGE:
            return await self._forward_request(request)
        headers = _forwarded_headers(request)
        body = await request.read()  # read already
        target = _target(request)
        headers[EDGE_ACK_HEADER] = f"{time.perf_counter() - started:.6f}"
        task = asyncio.get_running_loop().create_task(self._pass_on(target, headers, body))
        self._presses.add(task)
        task.add_done_callback(self._presses.discard)
        return web.Response(status=200)

    async def _pass_on(self, target: URL, headers: CIMultiDict[str], body: bytes) -> None:
        """A press already answered, to the bot's own /slack/events (in order of arrival)."""
        assert self._session is not None
        async with self._press_slots:
            for wait in (*PRESS_RETRIES, None):
                try:
                    async with self._session.post(target, headers=headers, data=body) as answer:
                        await answer.read()
                        if answer.status < 500:
                            if answer.status >= 400:
                                logger.warning("The bot refused a press (HTTP %d)", answer.status)
                            return
                        reason = f"HTTP {answer.status}"
                except (aiohttp.ClientError, OSError) as exc:
                    reason = type(exc).__name__
                if wait is None:
                    logger.error("A press acked at the edge did not reach the bot (%s)", reason)
                    return
                await asyncio.sleep(wait)

    async def _forward_request(self, request: web.Request) -> web.StreamResponse:
        """The request as it came, to the inner app; its answer as it came, back."""
        assert self._session is not None
        headers = _forwarded_headers(request)
        body = await request.read() if request.body_exists else None
        try:
            upstream = await self._session.request(
                request.method,
                _target(request),
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


class Edge:
    """The bot's handle on the edge's process: `start` (raises OSError as binding would),
    `stop`, and `addresses` where it listens. `on_lost` is called should it end unasked."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        inner: Path,
        signing_secret: str | None,
        on_lost: Callable[[], None] | None = None,
        log_level: str = "INFO",
        log_format: str = "text",
    ) -> None:
        self._config = {
            "host": host,
            "port": port,
            "inner": str(inner),
            "signing_secret": signing_secret,
            "log_level": log_level,
            "log_format": log_format,
        }
        self._on_lost = on_lost
        self.addresses: list[Any] = []
        self.pid: int | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._watch: asyncio.Task[None] | None = None
        self._stopping = False
        self.lost: int | None = None  # the exit code, had the edge ended unasked

    async def start(self) -> None:
        path = os.pathsep.join(filter(None, (PROJECT_ROOT, os.environ.get("PYTHONPATH"))))
        env = {**os.environ, "PYTHONPATH": path}
        self._process = process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "handlers.edge",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
            start_new_session=True,  # a terminal's Ctrl-C goes to the bot, which stops it
        )
        self.pid = process.pid
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps(self._config).encode() + b"\n")
        await process.stdin.drain()
        try:
            line = await asyncio.wait_for(process.stdout.readline(), START_SECONDS)
        except TimeoutError:
            line = b""
        try:
            said = json.loads(line) if line else {}
        except ValueError:
            said = {}
        if "addresses" not in said:
            await self.stop()
            raise OSError(said.get("errno", 0), said.get("error", "the edge did not start"))
        self.addresses = [tuple(a) for a in said["addresses"]]
        self._watch = asyncio.get_running_loop().create_task(self._watch_process(process))

    async def _watch_process(self, process: asyncio.subprocess.Process) -> None:
        code = await process.wait()
        if not self._stopping:
            self.lost = code
            logger.error("The edge process ended (exit %s): the bot stops", code)
            if self._on_lost is not None:
                self._on_lost()

    async def stop(self) -> None:
        """Stop listening, let the edge answer what it holds and pass on its presses, and wait."""
        process, self._process = self._process, None
        if process is None:
            return
        self._stopping = True
        if process.stdin is not None:
            with contextlib.suppress(ConnectionError, RuntimeError):
                process.stdin.write(b"stop\n")
                await process.stdin.drain()
                process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 2 * SHUTDOWN_SECONDS + 5)
        except TimeoutError:
            logger.error("The edge process did not stop in time: killed")
            process.kill()
            await process.wait()
        if self._watch is not None:
            await self._watch


async def _serve_from_stdin() -> int:
    """The edge's process: its configuration is a line on stdin; "stop" or EOF stops it."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    config = json.loads(await reader.readline())
    configure_log_output(config.get("log_format") or "text", config.get("log_level") or "INFO")
    stopped = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stopped.set)
    server = EdgeServer(
        host=config["host"],
        port=int(config["port"]),
        inner=Path(config["inner"]),
        signing_secret=config.get("signing_secret"),
    )
    try:
        await server.open()
    except OSError as exc:
        print(json.dumps({"error": exc.strerror or str(exc), "errno": exc.errno}), flush=True)
        return 1
    print(json.dumps({"addresses": server.addresses}), flush=True)
    gc.collect()
    gc.freeze()  # start-up's heap stays out of the collector's full passes (app.settle_heap)

    async def until_told() -> None:
        while True:
            line = await reader.readline()
            if not line or line.strip() == b"stop":
                stopped.set()
                return

    told = loop.create_task(until_told())
    await stopped.wait()
    told.cancel()
    await server.close()
    return 0


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the bot decides when its edge stops
    sys.exit(asyncio.run(_serve_from_stdin()))


if __name__ == "__main__":
    main()
