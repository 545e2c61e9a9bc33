"""Cross-cutting concerns: rendered acks, event deduplication and the one global error handler."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.events import first_delivery
from bot.runtime import Runtime
from handlers.slack.mrkdwn import RenderingAck, rendering_client

logger = logging.getLogger(__name__)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Install the middleware and the error handler."""

    @app.middleware
    async def render_at_the_edge(context: Any, next: Callable[[], Awaitable[None]]) -> None:
        # Bolt gives each request a fresh plain AsyncWebClient and AsyncAck: swap in the ones
        # that render neutral text for Slack, so every Web API call and every `ack(...)` answer
        # (modal errors, updated views) is rendered at the edge, like response_url replies.
        if not isinstance(context.get("ack"), RenderingAck):  # the endpoint's ListenerAck is one
            context["ack"] = RenderingAck()
        context["client"] = rendering_client(context.client)
        await next()

    @app.middleware
    async def deduplicate_events(
        body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        # Slack retries an event it thinks was not acked (X-Slack-Retry-Num) and Bolt does not
        # deduplicate, so the first delivery of an event id wins and retries are acked quietly.
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and event_id:
            async with runtime.db.transaction() as session:
                first = await first_delivery(session, event_id=event_id, now=runtime.clock.now())
            if not first:
                logger.info("Skipped a retried event %s", event_id)
                return BoltResponse(status=200, body="")
        await next()
        return None

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        kind = body.get("type") or body.get("command") or "request"
        logger.exception("Failed to handle %s", kind, exc_info=error)
