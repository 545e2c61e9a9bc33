"""`/cohort assignments [CLASS]`: participants see their open assignments; staff see status
per class and assignment (with names when they name a class) and silent line managers."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.assignments import (
    audit_status_read,
    class_keys,
    current_cohort_ids,
    find_class,
    open_for_person,
    status_by_class,
)
from bot.line_managers import silent_managers
from bot.messages import t
from bot.runtime import Runtime
from handlers.slack.blocks.assignments import build_open_list, build_silent_managers, build_status
from handlers.slack.commands.registry import CommandContext, subcommand

MAX_BLOCKS = 50


@subcommand("assignments", aliases=("oppgaver",))
async def assignments_command(ctx: CommandContext) -> None:
    actor, runtime = ctx.actor, ctx.runtime
    locale = actor.locale
    now = runtime.clock.now()
    assert actor.person_id is not None
    if not actor.is_staff:
        async with runtime.db.session() as session:
            items = await open_for_person(session, actor.person_id, now)
        await ctx.reply.ephemeral(
            t("assignment.open.title", locale), build_open_list(items, locale=locale)
        )
        return
    async with runtime.db.transaction() as session:
        if ctx.args:
            found = await find_class(session, ctx.args)
            if found is None:
                await ctx.reply.ephemeral(t("assignment.unknown_class", locale, ref=ctx.args))
                return
            class_id, cohort_id = found
            statuses = await status_by_class(session, class_id=class_id, now=now)
            silent = [
                s for s in await silent_managers(session, cohort_id) if s.class_id == class_id
            ]
            await audit_status_read(
                session,
                actor_id=actor.person_id,
                actor=f"person:{actor.person_id}",
                subject=f"class:{class_id}",
            )
            blocks = build_status(statuses, locale=locale, with_names=True)
            blocks += build_silent_managers(silent, locale=locale, tz=runtime.settings.timezone)
        else:
            blocks = []
            classes: list[str] = []
            for cohort_id in (await current_cohort_ids(session))[:1]:
                statuses = await status_by_class(session, cohort_id=cohort_id, now=now)
                blocks += build_status(statuses, locale=locale, with_names=False)
                classes += await class_keys(session, cohort_id)
            blocks.append(
                {
                    "type": "context",
                    "elements": [
                        {
                            "type": "mrkdwn",
                            "text": t(
                                "assignment.status.pick_class",
                                locale,
                                classes=", ".join(classes) or "—",
                            ),
                        }
                    ],
                }
            )
    if len(blocks) > MAX_BLOCKS:
        blocks = [
            *blocks[: MAX_BLOCKS - 1],
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": t("home.truncated", locale)}],
            },
        ]
    await ctx.reply.ephemeral(t("assignment.status.title", locale, name=ctx.args or "—"), blocks)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the subcommand registers itself on import."""
