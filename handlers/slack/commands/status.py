"""`/cohort status EMAIL STATUS …`: staff record a participant's status, credits or exam result."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.enrolment_status import (
    STATUSES,
    WITHDRAWAL_REASONS,
    StatusError,
    parse_status_command,
    record_status,
    replan_after_status,
)
from bot.messages import t
from bot.runtime import Runtime
from handlers.slack.commands.registry import CommandContext, subcommand


@subcommand("status", staff_only=True)
async def status_command(ctx: CommandContext) -> None:
    locale, runtime = ctx.actor.locale, ctx.runtime
    usage = t(
        "status.usage",
        locale,
        statuses=", ".join(STATUSES),
        reasons=", ".join(WITHDRAWAL_REASONS),
    )
    if not ctx.args.strip():
        await ctx.reply.ephemeral(usage)
        return
    today = runtime.clock.now().astimezone(runtime.settings.zone).date()
    try:
        email, change, cohort_ref = parse_status_command(ctx.args)
        async with runtime.db.transaction() as session:
            cohort_key, changed = await record_status(
                session,
                email=email,
                change=change,
                today=today,
                actor=f"person:{ctx.actor.person_id}",
                actor_id=ctx.actor.person_id,
                cohort_ref=cohort_ref,
            )
    except StatusError as exc:
        await ctx.reply.ephemeral(t("status.refused", locale, reason=str(exc)) + "\n" + usage)
        return
    await replan_after_status(
        runtime.db,
        runtime.settings,
        cohort_key=cohort_key,
        changed=changed,
        now=runtime.clock.now(),
    )
    key = "status.recorded" if changed else "status.unchanged"
    await ctx.reply.ephemeral(
        t(key, locale, email=email, cohort=cohort_key, fields=", ".join(changed))
    )


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the subcommand registers itself on import."""
