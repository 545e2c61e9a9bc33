"""`/cohort deliveries` (staff): the outbox at a glance, failures with reasons and people."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot import audit
from bot.delivery import delivery_overview
from bot.messages import t
from bot.runtime import Runtime
from handlers.slack.blocks.deliveries import build_delivery_overview
from handlers.slack.commands.registry import CommandContext, subcommand


@subcommand("deliveries", staff_only=True, aliases=("utsendelser",))
async def deliveries_command(ctx: CommandContext) -> None:
    async with ctx.runtime.db.transaction() as session:
        overview = await delivery_overview(session)
        # Failures name people: reading them is a staff action on personal data.
        await audit.record_people_read(
            session,
            actor_id=ctx.actor.person_id,
            action="deliveries.view",
            subject="slack:/cohort deliveries",
            person_ids=[f.person_id for f in overview.failures],
            detail={"failures": len(overview.failures)},
        )
    blocks = build_delivery_overview(overview, ctx.actor.locale)
    await ctx.reply.ephemeral(t("deliveries.title", ctx.actor.locale), blocks)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the subcommand registers itself on import."""
