"""Composition root: settings → database → Bolt AsyncApp → handlers → scheduler → serve.

No listeners are declared here; `handlers.register_listeners` does that.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
import logging
import secrets
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock, OffsetClock, SystemClock
from bot.ratelimit import RateLimiter, RateLimits
from bot.runtime import Runtime
from bot.settings import DEFAULT_BASE_URL, Settings
from handlers.edge import Edge, inner_socket, remove_inner, trust_edge
from storage.db import Database

if TYPE_CHECKING:
    from handlers.slack.webclient import LimitedWebClient, StartupAuthorization

logger = logging.getLogger("cohortbot")

RUNTIME_KEY = web.AppKey("runtime", Runtime)


class StartupError(Exception):
    """The bot cannot start (a port is taken, ...); the message says what to change."""


def create_slack_client(
    settings: Settings,
    http: aiohttp.ClientSession | None,
    limiter: RateLimiter | None = None,
) -> LimitedWebClient:
    """The Web API client: base URL from SLACK_API_URL, the one shared aiohttp session, and the
    process's rate limiter with bounded 429/5xx retries (handlers.slack.webclient)."""
    from handlers.slack.webclient import make_limited_client

    return make_limited_client(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        limiter=limiter or RateLimiter(RateLimits.from_settings(settings)),
        session=http,
        timeout=30,
    )


def create_bolt_app(
    runtime: Runtime, client: AsyncWebClient, auth: StartupAuthorization | None = None
) -> AsyncApp:
    """The Bolt app with every listener registered.

    The token is checked once (`auth`, at start-up in `serve`), not per request; every
    listener gets the process's limited client.
    """
    from handlers.slack import register_listeners
    from handlers.slack.webclient import StartupAuthorization, use_client

    auth = auth or StartupAuthorization(client)
    from handlers.slack.endpoint import quiet_bolt_logger

    bolt = AsyncApp(
        client=client,
        logger=quiet_bolt_logger(),
        signing_secret=runtime.settings.slack_signing_secret,
        process_before_response=False,
        authorize=auth.authorize,
    )
    use_client(bolt, client)
    register_listeners(bolt, runtime)
    return bolt


async def check_slack_token(client: AsyncWebClient) -> StartupAuthorization:
    """auth.test once, before the first request can arrive (so a cold start drops no click)."""
    from slack_sdk.errors import SlackApiError

    from handlers.slack.webclient import StartupAuthorization

    auth = StartupAuthorization(client)
    try:
        await auth.check()
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        raise StartupError(
            f"Slack refused the bot token ({error or 'unknown error'}): check SLACK_BOT_TOKEN"
        ) from None
    return auth


def create_web_app(runtime: Runtime, bolt: AsyncApp | None, teams: Any = None) -> web.Application:
    """The HTTP surface: /slack/events, /api/messages (Teams), /healthz, handlers.web's routes."""
    from handlers.slack.endpoint import MAX_REQUEST_BYTES
    from handlers.teams.app import add_routes as add_teams_routes
    from handlers.web import add_routes

    web_app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    web_app[RUNTIME_KEY] = runtime

    async def healthz(_request: web.Request) -> web.Response:
        if await runtime.db.ping():
            return web.json_response({"status": "ok", "database": "ok"})
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)

    web_app.router.add_get("/healthz", healthz)

    if bolt is not None:
        from handlers.slack.endpoint import slack_events_handler

        # Size, signature and shape are checked before Bolt parses anything (4xx, no body logged).
        handler = slack_events_handler(
            bolt,
            runtime.settings.slack_signing_secret or "",
            precedence=runtime.precedence,
            after_ack=runtime.after_ack,
        )
        web_app.router.add_post("/slack/events", handler)
    else:

        async def slack_not_configured(_request: web.Request) -> web.Response:
            return web.json_response({"ok": False, "error": "slack_not_configured"}, status=503)

        web_app.router.add_post("/slack/events", slack_not_configured)

    add_teams_routes(web_app, teams)
    add_routes(web_app, runtime)
    return web_app


def listening_on(served: web.AppRunner | Edge) -> str:
    """Where the server really listens, said truthfully ("all interfaces" for 0.0.0.0)."""
    shown = []
    for address in served.addresses:
        host, port = str(address[0]), int(address[1])
        if host in ("0.0.0.0", "::"):
            shown.append(f"all interfaces, port {port}")
        else:
            shown.append(f"http://{'[' + host + ']' if ':' in host else host}:{port}")
    return ", ".join(shown) or "nothing"


def build_runtime(
    settings: Settings, *, clock: Clock | None = None, http: aiohttp.ClientSession | None = None
) -> Runtime:
    """Settings, database, clock and the shared HTTP session, ready for handlers and jobs."""
    return Runtime(
        settings=settings,
        db=Database(settings.database_url),
        clock=clock or SystemClock(),
        process_id=f"{socket.gethostname()}:{id(settings):x}",
        http=http,
    )


def missing_slack_settings(settings: Settings) -> list[str]:
    missing = []
    if not settings.slack_bot_token:
        missing.append("SLACK_BOT_TOKEN")
    if not settings.slack_signing_secret:
        missing.append("SLACK_SIGNING_SECRET")
    return missing


def install_transports(runtime: Runtime, client: AsyncWebClient) -> None:
    """Slack always (messages and channels); email when SMTP_URL is set.

    The outbox's notifier shares the client's rate limiter, so interactive replies and the
    outbox draw on one set of buckets and 429 penalties.
    """
    from handlers.slack.directory import SlackWebDirectory
    from handlers.slack.notifier import SlackNotifier
    from handlers.web.email_notifier import EmailNotifier

    limiter = getattr(client, "limiter", None) or RateLimiter(
        RateLimits.from_settings(runtime.settings)
    )
    runtime.notifiers["slack"] = SlackNotifier(client, limiter)
    runtime.user_lookup = SlackWebDirectory(client)
    if runtime.settings.smtp_url:
        runtime.notifiers["email"] = EmailNotifier.from_settings(runtime.settings)


def settle_heap() -> None:
    """Once started: what start-up made (modules, Bolt, the ORM's mappers…) is kept out of the
    garbage collector's full passes, which stop the whole process while they run.

    The bot's heap at start is large: a full pass over it took 140–290 ms and came during a
    burst of clicks, stalling the process as long (bench/whole_bot.py, a GC probe). Frozen, a
    full pass looks only at what was made since. Cycles among the frozen objects are never
    collected: start-up makes them once. The edge's process freezes its own (handlers.edge).
    """
    gc.collect()
    gc.freeze()


async def shut_down(steps: list[tuple[str, Callable[[], Any] | None]]) -> None:
    """Every step in order (None: nothing to do), each even when one before it failed; a
    failure is logged by its type only."""
    for name, step in steps:
        if step is None:
            continue
        try:
            result = step()
            if inspect.isawaitable(result):
                await result
        except Exception as exc:
            logger.error("Stopping %s failed (%s)", name, type(exc).__name__)


REPORT_GRACE_SECONDS = 30.0
CLICK_GRACE_SECONDS = 30.0


async def finish_clicks(runtime: Runtime) -> None:
    """At shutdown, finish the clicks already acked (they are not sent again by Slack)."""
    left = await runtime.after_ack.drain(CLICK_GRACE_SECONDS)
    if left:
        logger.warning(
            "Stopped with %d acked clicks not finished after %.0f s", left, CLICK_GRACE_SECONDS
        )


async def finish_teams_reports() -> None:
    """Let reports staff asked for in Teams finish and be sent (up to a grace period)."""
    from handlers.teams.report import wait_for_reports

    try:
        await asyncio.wait_for(wait_for_reports(), timeout=REPORT_GRACE_SECONDS)
    except TimeoutError:
        logger.warning("Stopped while a report asked for in Teams was being made; ask again")


def install_teams(runtime: Runtime, http: aiohttp.ClientSession) -> Any:
    """The Teams agent and notifier when Teams is on (credentials) or in dev mode."""
    from handlers.teams.app import build_app_installer, build_channel_steps, build_teams

    teams = build_teams(runtime, http)
    if teams is not None:
        runtime.notifiers["teams"] = teams.notifier
        for graph_transport in (
            build_app_installer(runtime.settings, http),
            build_channel_steps(runtime.settings, http),
        ):
            if graph_transport is not None:
                runtime.notifiers[graph_transport.transport] = graph_transport
        logger.info(
            "Teams is %s: POST /api/messages%s",
            teams.mode,
            " (dev: loopback callers and serviceUrls only)" if teams.mode == "dev" else "",
        )
    return teams


@dataclass
class LocalWorkspace:
    """The emulator the bot runs against when no Slack credentials are given."""

    settings: Settings
    handle: Any


def _local_secrets(data_dir: Path) -> dict[str, str]:
    """Secrets for local mode, kept under data/ so links and signatures survive restarts."""
    path = data_dir / "local-secrets.json"
    if path.exists():
        return dict(json.loads(path.read_text(encoding="utf-8")))
    values = {
        "signing_secret": secrets.token_hex(16),
        "secret_key": secrets.token_urlsafe(32),
        "bot_token": "xoxb-local-" + secrets.token_hex(8),
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values), encoding="utf-8")
    return values


LOCAL_CLOCK_FILE = "local-clock.json"


def local_clock(data_dir: Path) -> OffsetClock:
    """The local workspace's movable clock, resuming the offset kept under data/."""
    path = data_dir / LOCAL_CLOCK_FILE
    offset = timedelta(0)
    if path.exists():
        try:
            offset = timedelta(seconds=float(json.loads(path.read_text("utf-8"))["offset_seconds"]))
        except (ValueError, KeyError, TypeError):
            logger.warning("Ignored an unreadable %s; the local clock starts at real time", path)
        offset = max(offset, timedelta(0))

    def save(new: timedelta) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"offset_seconds": new.total_seconds()}), encoding="utf-8")
        tmp.replace(path)  # atomic: a crash mid-write keeps the old offset

    return OffsetClock(offset=offset, on_change=save)


async def start_local_workspace(settings: Settings, data_dir: Path) -> LocalWorkspace:
    """Start the emulator on COHORTBOT_PORT + 1 and point the bot's settings at it."""
    from emulator import start_emulator

    local = _local_secrets(data_dir)
    state_file = data_dir / "emulator.json"
    # A database without the demo means a fresh start: forget an old workspace too.
    from bot.demo import demo_exists

    probe = Database(settings.database_url)
    try:
        fresh = not await demo_exists(probe)
    finally:
        await probe.dispose()
    if fresh:
        for stale in (state_file, data_dir / LOCAL_CLOCK_FILE):
            if stale.exists():
                stale.unlink()
    bot_url = f"http://127.0.0.1:{settings.port}"
    port = settings.emulator_port or settings.port + 1
    try:
        handle = await start_emulator(
            "127.0.0.1",
            port,
            bot_events_url=f"{bot_url}/slack/events",
            signing_secret=local["signing_secret"],
            bot_token=local["bot_token"],
            smtp_port=0,
            clock_url=f"{bot_url}/_local/clock",
            state_file=str(state_file),
        )
    except OSError as exc:
        raise StartupError(
            f"cannot start the local Slack workspace on port {port} ({exc.strerror}): "
            "set COHORTBOT_EMULATOR_PORT to a free port"
        ) from None
    local_settings = settings.model_copy(
        update={
            "slack_bot_token": local["bot_token"],
            "slack_signing_secret": local["signing_secret"],
            "slack_api_url": handle.api_url,
            "smtp_url": f"smtp://127.0.0.1:{handle.smtp_port}",
            "secret_key": settings.secret_key or local["secret_key"],
            "base_url": bot_url if settings.base_url == DEFAULT_BASE_URL else settings.base_url,
            "local_mode": True,
        }
    )
    return LocalWorkspace(settings=local_settings, handle=handle)


LOCAL_TEAM_ID = "00000000-0000-0000-0000-000000000031"  # the Playground's team (aadGroupId)


async def start_local_graph(settings: Settings) -> tuple[Any, Settings]:
    """Local mode with Teams in dev: the local Graph (emulator/teams_connector.py) on the
    emulator's port + 1, knowing the demo's team and people, so sync makes the class channels
    there and its page shows them. Nothing when Graph or the team is configured."""
    from bot.demo import demo_people
    from emulator.teams_connector import start_teams_connector
    from handlers.teams.playground import demo_aad_object_id

    if settings.teams != "dev" or settings.teams_team_id:
        return None, settings
    if settings.teams_graph_url != Settings.model_fields["teams_graph_url"].default:
        return None, settings
    port = (settings.emulator_port or settings.port + 1) + 1
    try:
        handle = await start_teams_connector("127.0.0.1", port)
    except OSError as exc:
        raise StartupError(
            f"cannot start the local Graph on port {port} ({exc.strerror}): "
            "set COHORTBOT_EMULATOR_PORT so that it and the port after it are free"
        ) from None
    handle.state.add_team(LOCAL_TEAM_ID)
    people = demo_people()
    for n, person in enumerate(people):
        email = person.row["email"]
        handle.state.add_graph_user(
            f"demo-{n}", email, person.row["name"], aad_object_id=demo_aad_object_id(email)
        )
    staff = next(p for p in people if p.role == "staff")
    return handle, settings.model_copy(
        update={
            "teams_graph_url": f"{handle.url}/v1.0",
            "teams_team_id": LOCAL_TEAM_ID,
            "teams_channel_owner": demo_aad_object_id(staff.row["email"]),
        }
    )


def seed_local_users(state: Any) -> None:
    """Give the demo's people Slack accounts in the emulator (those the demo puts on Slack)."""
    from bot.demo import demo_people

    known = {u.email for u in state.users.values() if getattr(u, "email", None)}
    for person in demo_people():
        email = person.row["email"]
        if not person.on_slack or email in known:
            continue
        role = {"line_manager": "line manager"}.get(person.role, person.role)
        state.add_user(
            email.split("@")[0].replace(".", "-")[:21],
            real_name=person.row["name"],
            email=email,
            role=role,
            locale="en-GB" if person.row.get("locale") == "en" else "nb-NO",
        )


async def seed_local_demo(runtime: Runtime, client: AsyncWebClient) -> None:
    """Seed the demo programme through the real import and channel paths (first run only)."""
    from bot.delivery import Dispatcher
    from bot.demo import seed_demo
    from handlers.slack.directory import SlackWebDirectory

    users = await SlackWebDirectory(client).all_users()
    dispatcher = Dispatcher(runtime)
    report = await seed_demo(
        runtime.db,
        runtime.settings,
        now=runtime.clock.now(),
        directory_users=users,
        dispatch=dispatcher.tick,
    )
    if report.created:
        logger.info(
            "Seeded the demo: %d participants, %d line managers, %d channels",
            report.participants,
            report.line_managers,
            report.channels,
        )


async def serve(
    settings: Settings, *, stop: asyncio.Event | None = None, data_dir: Path = Path("data")
) -> None:
    """Run the bot until interrupted (or until `stop` is set).

    Without Slack credentials, start the local Slack workspace and run against it.
    """
    from bot.logs import configure_logging
    from schedules import build_scheduler, default_jobs, stop_scheduler

    configure_logging(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass

    local: LocalWorkspace | None = None
    if not settings.has_slack_credentials:
        logger.warning(
            "Slack is not configured (missing %s): starting the local Slack workspace",
            ", ".join(missing_slack_settings(settings)),
        )
        local = await start_local_workspace(settings, data_dir)
        settings = local.settings
        seed_local_users(local.handle.state)
    local_graph: Any = None
    if local is not None:
        local_graph, settings = await start_local_graph(settings)

    http = aiohttp.ClientSession()
    clock: Clock = local_clock(data_dir) if local else SystemClock()
    runtime = build_runtime(settings, clock=clock, http=http)
    from bot.worker_loop import ProcessWorker

    worker = runtime.worker = ProcessWorker()
    worker.start()  # warm before the first report is asked for
    if local:
        runtime.lease_clock = SystemClock()  # fast-forward must not expire live claims
    client = create_slack_client(settings, http)
    install_transports(runtime, client)
    teams = install_teams(runtime, http)
    if not settings.smtp_url:
        logger.warning(
            "Email is not configured (no SMTP_URL): line managers and others not on Slack "
            "cannot be reached; their deliveries are held until SMTP_URL is set"
        )
    auth = await check_slack_token(client)
    bolt = create_bolt_app(runtime, client, auth)
    web_app = create_web_app(runtime, bolt, teams)
    scheduler = build_scheduler(runtime, default_jobs())

    def wake_jobs() -> None:
        now = datetime.now(scheduler.timezone)
        for job in scheduler.get_jobs():
            job.modify(next_run_time=now)

    from handlers.web.local_clock import WAKE_JOBS_KEY

    web_app[WAKE_JOBS_KEY] = wake_jobs
    # The public port is the edge's, a process of its own; the app itself listens on a Unix
    # socket behind it (handlers.edge).
    web_app.middlewares.insert(0, trust_edge)
    inner = inner_socket()
    runner = web.AppRunner(web_app, access_log=None)
    edge = Edge(
        host=settings.host,
        port=settings.port,
        inner=inner,
        signing_secret=settings.slack_signing_secret,
        on_lost=stop.set,
        log_level=settings.log_level,
        log_format=settings.log_format,
    )
    socket_mode: Any = None
    try:
        await runner.setup()
        try:
            await web.UnixSite(runner, str(inner)).start()
        except OSError as exc:  # e.g. a TMPDIR so long the path passes the socket's limit
            raise StartupError(
                f"cannot open the bot's own socket at {inner} ({exc.strerror or exc}): "
                "set TMPDIR to a short directory this user can write to"
            ) from None
        try:
            await edge.start()
        except OSError as exc:
            raise StartupError(
                f"cannot listen on {settings.host}:{settings.port} ({exc.strerror}): "
                "set COHORTBOT_PORT to a free port, or COHORTBOT_HOST to an address of this machine"
            ) from None
        logger.info("cohortbot listening on %s", listening_on(edge))
        if local is not None:
            await seed_local_demo(runtime, client)
        elif settings.slack_app_token:
            from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

            socket_mode = AsyncSocketModeHandler(bolt, settings.slack_app_token)
            await socket_mode.connect_async()
            logger.info("Socket Mode connected")
        scheduler.start()
        if settings.staff_emails:
            from handlers.slack.context import recognise_listed_staff

            linked = await recognise_listed_staff(runtime)
            logger.info("Staff from COHORTBOT_STAFF_EMAILS linked to Slack at start: %d", linked)
        if local is not None:
            print(
                f"\n  cohortbot is running. Open the local Slack workspace: {local.handle.ui_url}\n"
            )
        if local_graph is not None:
            print(f"  What went to Teams (class channels made through Graph): {local_graph.url}/\n")
        settle_heap()
        await stop.wait()
        if edge.lost is not None:  # exit non-zero, so that a supervisor starts the bot again
            raise StartupError(
                f"the edge process (the public port) ended with exit code {edge.lost}: stopped"
            )
    finally:
        # Each step runs even when one before it failed: the edge stops first, so no press is
        # acked into a loop that is closing, and the clicks acked are still finished.
        await shut_down(
            [
                ("the edge", edge.stop),
                ("the scheduler", lambda: stop_scheduler(scheduler)),
                ("Teams reports", finish_teams_reports if teams is not None else None),
                ("Socket Mode", socket_mode.close_async if socket_mode is not None else None),
                ("the web app", runner.cleanup),
                ("the inner socket", lambda: remove_inner(inner)),
                ("acked clicks", lambda: finish_clicks(runtime)),
                ("the report worker", worker.close),
                ("the database", runtime.db.dispose),
                ("the HTTP session", http.close),
                ("the local workspace", local.handle.stop if local is not None else None),
                ("the local Graph", local_graph.stop if local_graph is not None else None),
            ]
        )
