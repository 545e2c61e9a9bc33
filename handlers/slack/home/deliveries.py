"""Staff Home: the outbox — pauses and failed deliveries are shown loudly here."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.delivery import delivery_overview
from bot.people import Actor
from bot.runtime import Runtime
from handlers.slack.blocks.deliveries import build_delivery_overview
from handlers.slack.home.registry import home_section


@home_section("deliveries", roles={"staff"}, order=90)
async def deliveries_section(runtime: Runtime, actor: Actor) -> list[dict[str, Any]]:
    async with runtime.db.session() as session:
        overview = await delivery_overview(session, failures=5)
    return build_delivery_overview(overview, actor.locale)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the section registers itself on import."""
