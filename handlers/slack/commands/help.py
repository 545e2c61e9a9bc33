"""`/cohort help`: what this person may do, in their language."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.messages import t
from bot.runtime import Runtime
from handlers.slack.blocks.help import build_help
from handlers.slack.commands.registry import CommandContext, subcommand


@subcommand("help", needs_person=False, aliases=("hjelp",))
async def help_command(ctx: CommandContext) -> None:
    blocks = build_help(ctx.actor)
    await ctx.reply.ephemeral(t("help.title", ctx.actor.locale), blocks)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the subcommand registers itself on import."""
