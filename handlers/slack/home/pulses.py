"""App Home section for participants and alumni: open pulses still waiting for their answer."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.home import open_pulses_for
from bot.people import Actor
from bot.runtime import Runtime
from handlers.slack.blocks.home_sections import Blocks, build_open_pulses
from handlers.slack.home.registry import home_section


@home_section("pulses.open", roles={"participant", "alumnus"}, order=45)
async def open_pulses(runtime: Runtime, actor: Actor) -> Blocks:
    """Each open, unanswered pulse with its deadline and kind; the questions stay in the DM."""
    if actor.person is None or actor.person_id is None:
        return []
    async with runtime.db.session() as session:
        pulses = await open_pulses_for(
            session, person_id=actor.person_id, now=runtime.clock.now(), settings=runtime.settings
        )
    tz = actor.person.timezone or runtime.settings.timezone
    return build_open_pulses(pulses, locale=actor.locale, tz=tz)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the section registers itself on import."""
