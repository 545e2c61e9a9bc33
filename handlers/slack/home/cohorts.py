"""Staff Home: planned and active cohorts at a glance ("Kull i korte trekk")."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.home import cohorts_at_a_glance
from bot.people import Actor
from bot.runtime import Runtime
from handlers.slack.blocks.home_sections import Blocks, build_cohorts_glance
from handlers.slack.home.registry import home_section


@home_section("cohorts.glance", roles={"staff"}, order=20)
async def cohorts_glance(runtime: Runtime, actor: Actor) -> Blocks:
    """Participants by status, next session and open pulses' response rates, per cohort."""
    async with runtime.db.session() as session:
        glance = await cohorts_at_a_glance(session, now=runtime.clock.now())
    return build_cohorts_glance(glance, locale=actor.locale, tz=runtime.settings.timezone)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the section registers itself on import."""
