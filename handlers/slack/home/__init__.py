"""App Home: one view per person, made of the sections their roles allow."""

from __future__ import annotations

import logging
import sys
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.people import Actor
from bot.runtime import Runtime
from handlers.slack.blocks.home import MAX_HOME_BLOCKS, build_home
from handlers.slack.context import actor_for
from handlers.slack.discovery import register_package
from handlers.slack.home.registry import sections_for

logger = logging.getLogger(__name__)


async def render_home(runtime: Runtime, actor: Actor) -> dict[str, Any]:
    """The Home tab view for this person."""
    parts: list[list[dict[str, Any]]] = []
    for section in sections_for(actor):
        try:
            parts.append(await section.build(runtime, actor))
        except Exception:
            # One broken section must not blank the whole tab.
            logger.exception("Failed to build home section %s", section.name)
    return build_home(actor, parts)


async def publish_home(runtime: Runtime, client: AsyncWebClient, user_id: str) -> None:
    """Build and publish the Home tab for `user_id`."""
    actor = await actor_for(runtime, user_id)
    await client.views_publish(user_id=user_id, view=await render_home(runtime, actor))


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Publish Home when it is opened; feature sections register from this package's modules."""
    register_package(sys.modules[__name__], app, runtime)

    @app.event("app_home_opened")
    async def home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        await publish_home(runtime, client, str(event["user"]))


__all__ = ["MAX_HOME_BLOCKS", "publish_home", "render_home"]
