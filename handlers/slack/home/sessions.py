"""App Home section for participants: their cohort's next session ("Neste samling")."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.home import next_session_for
from bot.people import Actor
from bot.runtime import Runtime
from handlers.slack.blocks.home_sections import Blocks, build_next_session
from handlers.slack.home.registry import home_section


@home_section("sessions.next", roles={"participant"}, order=10)
async def next_session(runtime: Runtime, actor: Actor) -> Blocks:
    """Title, date, time and place of the next session; nothing when none is planned."""
    if actor.person_id is None:
        return []
    async with runtime.db.session() as session:
        upcoming = await next_session_for(
            session, person_id=actor.person_id, now=runtime.clock.now()
        )
    return build_next_session(upcoming, locale=actor.locale)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the section registers itself on import."""
