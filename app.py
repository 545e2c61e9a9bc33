"""Composition root: settings → database → Bolt AsyncApp → handlers → scheduler → serve.

No listeners are declared here; `handlers.register_listeners` does that.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock, SystemClock
from bot.runtime import Runtime
from bot.settings import Settings
from storage.db import Database

logger = logging.getLogger("cohortbot")

RUNTIME_KEY = web.AppKey("runtime", Runtime)


def create_slack_client(settings: Settings, http: aiohttp.ClientSession | None) -> AsyncWebClient:
    """The Web API client: base URL from SLACK_API_URL, the one shared aiohttp session."""
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        session=http,
        timeout=30,
    )


def create_bolt_app(runtime: Runtime, client: AsyncWebClient) -> AsyncApp:
    """The Bolt app with every listener registered."""
    from handlers import register_listeners

    bolt = AsyncApp(
        client=client,
        signing_secret=runtime.settings.slack_signing_secret,
        process_before_response=False,
    )
    register_listeners(bolt, runtime)
    return bolt


def create_web_app(runtime: Runtime, bolt: AsyncApp | None) -> web.Application:
    """The HTTP surface: /slack/events, /healthz and the routes under handlers.web."""
    from handlers.web import add_routes

    web_app = web.Application(client_max_size=2 * 1024 * 1024)
    web_app[RUNTIME_KEY] = runtime

    async def healthz(_request: web.Request) -> web.Response:
        if await runtime.db.ping():
            return web.json_response({"status": "ok", "database": "ok"})
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)

    web_app.router.add_get("/healthz", healthz)

    if bolt is not None:

        async def slack_events(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await bolt.async_dispatch(await to_bolt_request(request))
            )

        web_app.router.add_post("/slack/events", slack_events)
    else:

        async def slack_not_configured(_request: web.Request) -> web.Response:
            return web.json_response({"ok": False, "error": "slack_not_configured"}, status=503)

        web_app.router.add_post("/slack/events", slack_not_configured)

    add_routes(web_app, runtime)
    return web_app


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


async def serve(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Run the bot until interrupted (or until `stop` is set)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass

    http = aiohttp.ClientSession()
    runtime = build_runtime(settings, http=http)
    bolt: AsyncApp | None = None
    extras: list[Any] = []
    try:
        if settings.has_slack_credentials:
            client = create_slack_client(settings, http)
            bolt = create_bolt_app(runtime, client)
        else:
            logger.warning(
                "Slack is not configured (missing %s): serving /healthz only",
                ", ".join(missing_slack_settings(settings)),
            )
        web_app = create_web_app(runtime, bolt)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "0.0.0.0", settings.port)
        await site.start()
        logger.info("cohortbot listening on http://127.0.0.1:%s", settings.port)
        if bolt is not None and settings.slack_app_token:
            from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

            socket_mode = AsyncSocketModeHandler(bolt, settings.slack_app_token)
            await socket_mode.connect_async()
            extras.append(socket_mode)
            logger.info("Socket Mode connected")
        await stop.wait()
    finally:
        for extra in extras:
            await extra.close_async()
        if "runner" in locals():
            await runner.cleanup()
        await runtime.db.dispose()
        await http.close()
