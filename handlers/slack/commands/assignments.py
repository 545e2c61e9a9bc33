"""`/cohort assignments [CLASS]`: participants see their open assignments; staff see status
per class and assignment (with names when they name a class) and silent line managers."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.assignments import (
    audit_status_read,
    class_keys,
    current_cohort_ids,
    find_class,
    open_for_person,
    status_by_class,
)
from bot.line_managers import manager_followup
from bot.messages import t
from bot.notifier import Button
from bot.runtime import Runtime
from bot.staff_lists import more_text, open_button
from handlers.slack.blocks.assignments import (
    build_escalated,
    build_open_list,
    build_status,
    build_status_compact,
)
from handlers.slack.blocks.message import build_button
from handlers.slack.commands.registry import CommandContext, subcommand

MAX_BLOCKS = 50
MAX_ROWS = 30  # assignments of one class with names; leaves room for the managers to follow up


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _actions(button: Button) -> dict[str, Any]:
    return {"type": "actions", "elements": [build_button(button)]}


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
            escalated = [
                c
                for c in await manager_followup(
                    session, cohort_id, now=now, settings=runtime.settings
                )
                if c.state == "escalated" and c.class_id == class_id
            ]
            await audit_status_read(
                session,
                actor_id=actor.person_id,
                actor=f"person:{actor.person_id}",
                subject=f"class:{class_id}",
                person_ids=[
                    *(i for st in statuses for i in st.person_ids),
                    *(i for c in escalated for i in (c.manager_id, c.participant_id)),
                ],
            )
            # One class: a section per assignment with names; at most 30, the rest counted.
            total = sum(len(st.assignments) for st in statuses)
            trimmed = [replace(st, assignments=st.assignments[:MAX_ROWS]) for st in statuses]
            blocks = build_status(trimmed, locale=locale, with_names=True)
            if total > MAX_ROWS:
                blocks.append(_context(more_text(MAX_ROWS, total, locale)))
                ref = f"class:{class_id}"
                blocks.append(_actions(open_button("assignments", ref, total, locale)))
            blocks += build_escalated(
                escalated, cohort_id=cohort_id, locale=locale, tz=runtime.settings.timezone, limit=6
            )
        else:
            blocks = []
            classes: list[str] = []
            for cohort_id in (await current_cohort_ids(session))[:1]:
                statuses = await status_by_class(session, cohort_id=cohort_id, now=now)
                blocks += build_status_compact(statuses, cohort_id=cohort_id, locale=locale)
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
    await ctx.reply.ephemeral(t("assignment.status.title", locale, name=ctx.args or "—"), blocks)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the subcommand registers itself on import."""
