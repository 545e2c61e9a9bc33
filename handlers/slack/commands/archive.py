"""`/cohort archive WORDS` (search), `/cohort archive add` (the modal), `/cohort archive mine`
(one's own items with change and withdraw)."""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncApp

from bot.archive.search import search, viewer_for
from bot.messages import t
from bot.runtime import Runtime
from handlers.slack.archive import open_add_modal, show_mine
from handlers.slack.blocks.archive import build_search_results
from handlers.slack.commands.registry import CommandContext, subcommand

ADD = ("add", "ny", "new", "legg")
MINE = ("mine", "mitt", "my", "own", "egne")
PAGE = re.compile(r"\s+(?:side|page)\s+(\d{1,4})$", re.I)
PER_PAGE = 10


def split_page(args: str) -> tuple[str, int]:
    """ "turnus side 2" -> ("turnus", 2); pages count from 1."""
    m = PAGE.search(args)
    if not m:
        return args, 1
    return args[: m.start()].strip(), max(1, int(m.group(1)))


@subcommand("archive", aliases=("arkiv", "arkivet"))
async def archive_command(ctx: CommandContext) -> None:
    actor, locale = ctx.actor, ctx.actor.locale
    first = ctx.args.split(maxsplit=1)[0].lower() if ctx.args.strip() else ""
    if first in ADD:
        await open_add_modal(ctx.client, ctx.trigger_id, actor)
        return
    if first in MINE:
        await show_mine(ctx.runtime, ctx.reply, actor)
        return
    words, page = split_page(ctx.args.strip())
    async with ctx.runtime.db.transaction() as session:
        viewer = await viewer_for(
            session, person=actor.person, staff_emails=ctx.runtime.settings.staff_emails
        )
        results = await search(
            session,
            viewer=viewer,
            words=words,
            now=ctx.runtime.clock.now(),
            actor=f"person:{actor.person_id}",
            limit=PER_PAGE,
            offset=(page - 1) * PER_PAGE,
        )
    blocks = build_search_results(results, locale, page=page, usage=not words)
    title = (
        t("archive.search.title", locale, words=words)
        if words
        else t("archive.browse.title", locale)
    )
    await ctx.reply.ephemeral(title, blocks)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the subcommand registers itself on import."""
