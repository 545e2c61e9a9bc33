"""Staff Home: who nothing reaches (no chat account and no usable email), and why."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.people import Actor
from bot.reach import unreachable_for_staff
from bot.runtime import Runtime
from handlers.slack.blocks.reach import MAX_SHOWN, build_unreachable
from handlers.slack.home.registry import home_section


@home_section("reach", roles={"staff"}, order=91)
async def reach_section(runtime: Runtime, actor: Actor) -> list[dict[str, Any]]:
    async with runtime.db.transaction() as session:  # names people: the read is audited
        shown, total = await unreachable_for_staff(
            session,
            settings=runtime.settings,
            actor_id=actor.person_id,
            subject="slack:home",
            limit=MAX_SHOWN,
        )
    return build_unreachable(shown, total, actor.locale)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the section registers itself on import."""
