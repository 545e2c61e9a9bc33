"""GET /metrics in Prometheus' text format, and the ack latency of Slack's requests.

The outbox counts are read from the database at each scrape; the rest are this process's own
counters (see bot/metrics.py). Nothing here names a person.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot import metrics
from bot.runtime import Runtime
from handlers.edge import EDGE_ACK_SECONDS

logger = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def slack_request_kind(request: web.Request, body: bytes) -> str:
    """What Slack sent, from the body's shape: a slash command, an interaction or an event."""
    if request.content_type == "application/x-www-form-urlencoded":
        if body.startswith(b"payload=") or b"&payload=" in body:
            return "interaction"
        return "command"
    return "event"


@web.middleware
async def time_slack_acks(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Observe how long each POST /slack/events took to answer (Slack wants it within 3 s)."""
    if request.method != "POST" or request.path != SLACK_PATH:
        return await handler(request)
    started = time.perf_counter()
    try:
        return await handler(request)
    finally:
        # A press the edge answered was answered there, in the time it says (handlers.edge).
        elapsed = request.get(EDGE_ACK_SECONDS, time.perf_counter() - started)
        # aiohttp keeps the body the handler read, so this reads no more from the network.
        body = await request.read() if request.body_exists else b""
        metrics.ACK_SECONDS.labels(slack_request_kind(request, body)).observe(elapsed)


def add_routes(web_app: web.Application, runtime: Runtime) -> None:
    """GET /metrics, and the Slack ack timer as a middleware."""

    async def scrape(_request: web.Request) -> web.Response:
        try:
            await metrics.refresh_outbox(runtime.db, runtime.clock.now())
        except Exception:
            # Still answer: the process's own series say more than a failed scrape would.
            logger.exception("Failed to read the outbox counts for /metrics")
        body, content_type = metrics.exposition()
        return web.Response(body=body, headers={"Content-Type": content_type})

    web_app.router.add_get("/metrics", scrape)
    web_app.middlewares.append(time_slack_acks)
