"""App Home section for students and staff: the archive (add, search, one's own items)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.people import Actor
from bot.runtime import Runtime
from handlers.slack.blocks.archive import build_home_archive
from handlers.slack.home.registry import Blocks, home_section


@home_section("archive", roles={"participant", "alumnus", "staff"}, order=90)
async def archive(runtime: Runtime, actor: Actor) -> Blocks:
    return build_home_archive(actor.locale)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the section registers itself on import."""
