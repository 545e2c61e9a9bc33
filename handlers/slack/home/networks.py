"""App Home section for networks: my networks with matching controls, and my profile."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot import networks
from bot.people import Actor
from bot.runtime import Runtime
from handlers.slack.blocks.networks import Blocks, build_home_networks
from handlers.slack.home.registry import home_section


@home_section("networks.mine", roles={"participant", "alumnus"}, order=40)
async def my_networks(runtime: Runtime, actor: Actor) -> Blocks:
    """The participant's or alumnus's networks, matching settings and directory profile."""
    if actor.person_id is None:
        return []
    async with runtime.db.session() as session:
        rows = await networks.my_networks(session, person_id=actor.person_id)
        person = await networks.own_person(session, person_id=actor.person_id)
        invites = [
            (c.id, c.name)
            for c in await networks.alumni_not_in_network(session, person_id=actor.person_id)
            if c.id is not None
        ]
    if person is None:
        return []
    today = runtime.clock.now().astimezone(runtime.settings.zone).date()
    return build_home_networks(rows, person, today, actor.locale, invites)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the section registers itself on import."""
