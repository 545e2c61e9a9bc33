"""`/cohort managers`: staff see line-manager involvement per nudge and who has gone silent."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.line_managers import involvement_overview
from bot.messages import t
from bot.runtime import Runtime
from handlers.slack.blocks.assignments import build_involvement, build_silent_managers
from handlers.slack.commands.registry import CommandContext, subcommand


@subcommand("managers", staff_only=True, aliases=("ledere",))
async def managers_command(ctx: CommandContext) -> None:
    actor, runtime = ctx.actor, ctx.runtime
    async with runtime.db.transaction() as session:
        overview = await involvement_overview(session, staff_person_id=actor.person_id)
    if overview is None:
        await ctx.reply.ephemeral(t("nudge.figures.none", actor.locale))
        return
    tz = runtime.settings.timezone
    blocks = build_involvement(
        overview.figures, cohort_name=overview.cohort_name, locale=actor.locale, tz=tz
    )
    blocks += build_silent_managers(overview.silent, locale=actor.locale, tz=tz)
    await ctx.reply.ephemeral(t("nudge.staff.title", actor.locale), blocks[:50])


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the subcommand registers itself on import."""
