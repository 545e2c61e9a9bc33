"""`/cohort find`, `/cohort groups`, `/cohort match`, `/cohort sync` and `/cohort announce`."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp

from bot import broadcasts, networks
from bot.messages import t
from bot.networks import InvalidRequest
from bot.networks.channels import team_channel_lines
from bot.people import NotAllowed
from bot.runtime import Runtime
from bot.steps import is_pending_channel, makes_teams_channels
from bot.text import short
from handlers.slack.blocks.networks import (
    build_announce_modal,
    build_delivery_report,
    build_directory_results,
    build_groups_summary,
    build_round_summary,
    delivery_report_text,
)
from handlers.slack.commands import announcements
from handlers.slack.commands.registry import CommandContext, subcommand

logger = logging.getLogger(__name__)


async def _refuse(ctx: CommandContext, exc: Exception, failed_to: str) -> None:
    """Answer a staff command the domain turned down: not allowed, a bad request, or Slack's no."""
    if isinstance(exc, NotAllowed):
        await ctx.reply.ephemeral(t("error.not_allowed", ctx.actor.locale))
        return
    logger.warning("Failed to %s (%s)", failed_to, type(exc).__name__)
    if type(exc) is InvalidRequest:  # the domain's explanation; never Python's or Slack's text
        await ctx.reply.ephemeral(t("error.refused", ctx.actor.locale, reason=short(str(exc), 200)))
        return
    await ctx.reply.ephemeral(t("error.generic", ctx.actor.locale))


@subcommand("find", aliases=("finn",))
async def find_command(ctx: CommandContext) -> None:
    locale = ctx.actor.locale
    if not ctx.args:
        await ctx.reply.ephemeral(t("networks.directory.usage", locale))
        return
    async with ctx.runtime.db.transaction() as session:
        found = await networks.search_directory(session, ctx.args, ctx.actor)
    blocks = build_directory_results(found, ctx.args, locale)
    await ctx.reply.ephemeral(t("networks.directory.title", locale, words=ctx.args), blocks)


@subcommand("groups", staff_only=True, aliases=("grupper",))
async def groups_command(ctx: CommandContext) -> None:
    locale = ctx.actor.locale
    if not ctx.args:
        await ctx.reply.ephemeral(t("networks.usage.groups", locale))
        return
    try:
        async with ctx.runtime.db.transaction() as session:
            klass = await networks.resolve_class(session, ctx.args)
            if klass is None or klass.id is None:
                await ctx.reply.ephemeral(t("networks.unknown", locale, ref=ctx.args))
                return
            groups = await networks.form_class_peer_groups(
                session,
                ctx.runtime.settings,
                class_id=klass.id,
                now=ctx.runtime.clock.now(),
                actor=ctx.actor,
            )
            names = await networks.person_names(session, [i for g in groups for i in g.member_ids])
    except (NotAllowed, InvalidRequest) as exc:
        await _refuse(ctx, exc, "form peer groups")
        return
    summary = [
        (
            "" if is_pending_channel(g.channel_id) else g.channel_id,
            [names[i] for i in g.member_ids],
            g.channel_name,
        )
        for g in groups
    ]
    blocks = build_groups_summary(klass.name, summary, locale)
    await ctx.reply.ephemeral(
        t("networks.groups.formed", locale, count=len(groups), klass=klass.name), blocks
    )


@subcommand("match", staff_only=True, aliases=("matching",))
async def match_command(ctx: CommandContext) -> None:
    locale = ctx.actor.locale
    if not ctx.args:
        await ctx.reply.ephemeral(t("networks.usage.match", locale))
        return
    try:
        async with ctx.runtime.db.transaction() as session:
            network = await networks.resolve_matching_network(session, ctx.args)
            if network is None or network.id is None:
                await ctx.reply.ephemeral(t("networks.unknown", locale, ref=ctx.args))
                return
            result = await networks.run_matching_round(
                session,
                ctx.runtime.settings,
                network_id=network.id,
                now=ctx.runtime.clock.now(),
                actor=ctx.actor,
            )
    except (NotAllowed, InvalidRequest) as exc:
        await _refuse(ctx, exc, "run a matching round")
        return
    text = t("networks.match.started", locale, network=network.name, count=len(result.groups))
    await ctx.reply.ephemeral(text, build_round_summary(network.name, len(result.groups), locale))


@subcommand("sync", staff_only=True)
async def sync_command(ctx: CommandContext) -> None:
    """Create or adopt the cohort's channels and invite everyone enrolled."""
    locale = ctx.actor.locale
    try:
        async with ctx.runtime.db.transaction() as session:
            cohort = await networks.find_cohort(session, ctx.args)
            if cohort is None or cohort.id is None:
                await ctx.reply.ephemeral(t("networks.unknown", locale, ref=ctx.args))
                return
            report = await networks.sync_cohort_channels(
                session,
                ctx.runtime.settings,
                cohort_id=cohort.id,
                now=ctx.runtime.clock.now(),
                actor=ctx.actor,
            )
    except (NotAllowed, InvalidRequest) as exc:
        await _refuse(ctx, exc, "sync channels")
        return
    # A channel still being made (an outbox step after this commit) shows by its name.
    channels = " ".join(
        f"#{report.names.get(key, key)}" if is_pending_channel(c) else f"<#{c}>"
        for key, c in report.channels.items()
    )
    text = f"{channels} (+{len(report.invited)}, -{len(report.left)})"
    if makes_teams_channels(ctx.runtime.settings):
        # The workspace runs Teams too: the same sync decided its class channels.
        lines = team_channel_lines(report, cohort_name=cohort.name, locale=locale)
        text = "\n".join([text, *lines])
    await ctx.reply.ephemeral(text)


@subcommand("announce", staff_only=True, aliases=("kunngjoring",))
async def announce_command(ctx: CommandContext) -> None:
    """Open the announcement modal, or `announce report ID` for a delivery report."""
    locale = ctx.actor.locale
    words = ctx.args.split()
    if await announcements.handle(ctx, words):
        return
    if words[:1] == ["report"] and len(words) == 2 and words[1].isdigit():
        try:
            async with ctx.runtime.db.transaction() as session:
                report = await broadcasts.delivery_report(session, int(words[1]), actor=ctx.actor)
        except InvalidRequest:
            await ctx.reply.ephemeral(t("networks.unknown", locale, ref=words[1]))
            return
        await ctx.reply.ephemeral(
            delivery_report_text(report, locale), build_delivery_report(report, locale)
        )
        return
    if not ctx.trigger_id:
        await ctx.reply.ephemeral(t("error.generic", locale))
        return
    async with ctx.runtime.db.session() as session:
        choices = await broadcasts.audience_choices(session, actor=ctx.actor)
    view = build_announce_modal(locale, choices, ctx.runtime.settings.timezone)
    await ctx.client.views_open(trigger_id=ctx.trigger_id, view=view)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the subcommands register themselves on import."""
