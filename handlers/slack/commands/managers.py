"""`/cohort managers`: line-manager involvement per nudge, and every manager to follow up by
state (escalated, overdue, waiting and not yet due, not sent yet), failed messages said."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.line_managers import followup_overview, involvement_overview
from bot.messages import t
from bot.runtime import Runtime
from handlers.slack.blocks.assignments import build_followup, build_involvement
from handlers.slack.commands.registry import CommandContext, subcommand

MAX_BLOCKS = 50


@subcommand("managers", staff_only=True, aliases=("ledere",))
async def managers_command(ctx: CommandContext) -> None:
    actor, runtime = ctx.actor, ctx.runtime
    async with runtime.db.transaction() as session:
        overview = await involvement_overview(session, staff_person_id=actor.person_id)
        followup = await followup_overview(
            session,
            staff_person_id=actor.person_id,
            now=runtime.clock.now(),
            settings=runtime.settings,
        )
    if overview is None or followup is None:
        await ctx.reply.ephemeral(t("nudge.figures.none", actor.locale))
        return
    tz = runtime.settings.timezone
    figures = build_involvement(
        overview.figures, cohort_name=overview.cohort_name, locale=actor.locale, tz=tz
    )
    follow = build_followup(followup, locale=actor.locale, tz=tz)
    # The follow-up part ends with the whole-list button: figures give way, never that.
    blocks = figures[: max(1, MAX_BLOCKS - len(follow))] + follow
    await ctx.reply.ephemeral(t("lists.managers.title", actor.locale), blocks[:MAX_BLOCKS])


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the subcommand registers itself on import."""
