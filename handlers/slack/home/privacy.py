"""App Home section for everyone: what is stored about them and their rights (art. 13)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.people import ROLES, Actor
from bot.privacy import privacy_notice
from bot.runtime import Runtime
from handlers.slack.blocks.privacy import Blocks, build_home_privacy
from handlers.slack.home.registry import home_section


@home_section("privacy.notice", roles=set(ROLES), order=99)
async def privacy(runtime: Runtime, actor: Actor) -> Blocks:
    """The privacy notice, last in Home, in the person's language."""
    return build_home_privacy(privacy_notice(runtime.settings, actor.locale), locale=actor.locale)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the section registers itself on import."""
