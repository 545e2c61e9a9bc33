"""Staff Home: the outbox — pauses and failed deliveries are shown loudly here."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import audit
from bot.delivery import delivery_overview
from bot.people import Actor
from bot.runtime import Runtime
from handlers.slack.blocks.deliveries import build_delivery_overview
from handlers.slack.home.registry import home_section


@home_section("deliveries", roles={"staff"}, order=90)
async def deliveries_section(runtime: Runtime, actor: Actor) -> list[dict[str, Any]]:
    async with runtime.db.transaction() as session:
        overview = await delivery_overview(session, failures=5)
        if overview.failures:  # they name people: reading them is audited, as everywhere
            await audit.record_people_read(
                session,
                actor_id=actor.person_id,
                action="deliveries.view",
                subject="slack:home",
                person_ids=[f.person_id for f in overview.failures],
                detail={"failures": len(overview.failures)},
            )
    return build_delivery_overview(overview, actor.locale)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the section registers itself on import."""
