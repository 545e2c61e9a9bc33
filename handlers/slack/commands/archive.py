"""`/cohort archive WORDS` (search), `/cohort archive add` (the modal), `/cohort archive mine`
(one's own items with change and withdraw)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.archive.forms import parse_request, search_page
from bot.messages import t
from bot.runtime import Runtime
from handlers.slack.archive import open_add_modal, show_mine
from handlers.slack.blocks.archive import build_search_results
from handlers.slack.commands.registry import CommandContext, subcommand


@subcommand("archive", aliases=("arkiv", "arkivet"))
async def archive_command(ctx: CommandContext) -> None:
    actor, locale = ctx.actor, ctx.actor.locale
    request = parse_request(ctx.args)
    if request.kind == "add":
        await open_add_modal(ctx.client, ctx.trigger_id, actor)
        return
    if request.kind == "mine":
        await show_mine(ctx.runtime, ctx.reply, actor)
        return
    words, page = request.words, request.page
    results = await search_page(
        ctx.runtime.db,
        ctx.runtime.settings,
        actor=actor,
        words=words,
        page=page,
        now=ctx.runtime.clock.now(),
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
