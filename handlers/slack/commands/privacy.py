"""`/cohort privacy` (the art. 13 notice), `/cohort mydata` (your own copy as a file in your DM),
`/cohort export EMAIL` (staff: a person's data as a file, audited) and `/cohort withdraw
alumni|directory` (withdraw a consent, effective at once)."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp

from bot import networks, steps
from bot.messages import t
from bot.privacy import privacy_notice
from bot.rights import UnknownPerson, export_filename, export_json, export_person
from bot.runtime import Runtime
from handlers.slack.blocks.message import build_message_blocks, fallback_text
from handlers.slack.commands.registry import CommandContext, subcommand

logger = logging.getLogger(__name__)


@subcommand("privacy", needs_person=False, aliases=("personvern",))
async def privacy_command(ctx: CommandContext) -> None:
    notice = privacy_notice(ctx.runtime.settings, ctx.actor.locale)
    await ctx.reply.ephemeral(fallback_text(notice), build_message_blocks(notice))


async def _send_export(ctx: CommandContext, email: str, title: str) -> bool:
    """Export `email`'s data as the asking person and upload it to their DM; False if unknown.

    The upload is an outbox step decided with the export (its audit entry), so it goes once
    the export is committed, with the outbox's retries.
    """
    runtime, actor = ctx.runtime, ctx.actor
    now = runtime.clock.now()
    try:
        async with runtime.db.transaction() as session:
            data = await export_person(
                session,
                email=email,
                now=now,
                actor=f"person:{actor.person_id}",
                actor_id=actor.person_id,
            )
            await steps.upload_file(
                session,
                runtime.settings,
                target=actor.slack_user_id or ctx.reply.user_id,
                content=export_json(data),
                filename=export_filename(data, now=now),
                title=title,
                now=now,
                person_id=actor.person_id,
                source="export",
                about_person_id=data["person"]["id"],
            )
    except UnknownPerson:
        return False
    return True


@subcommand("mydata", aliases=("minedata", "mine-data"))
async def mydata_command(ctx: CommandContext) -> None:
    locale = ctx.actor.locale
    person = ctx.actor.person
    if person is None or not await _send_export(
        ctx, person.email, t("privacy.mydata.title", locale)
    ):
        await ctx.reply.ephemeral(t("error.unknown_user", locale))
        return
    await ctx.reply.ephemeral(t("privacy.mydata.sent", locale))


@subcommand("export", staff_only=True, aliases=("eksport",))
async def export_command(ctx: CommandContext) -> None:
    locale = ctx.actor.locale
    email = ctx.args.strip().strip("<>").removeprefix("mailto:").split("|")[0].lower()
    if "@" not in email:
        await ctx.reply.ephemeral(t("privacy.export.usage", locale))
        return
    if not await _send_export(ctx, email, email):
        await ctx.reply.ephemeral(t("privacy.export.unknown", locale, email=email))
        return
    await ctx.reply.ephemeral(t("privacy.export.sent", locale, email=email))


@subcommand("withdraw", aliases=("trekk",))
async def withdraw_command(ctx: CommandContext) -> None:
    locale, runtime = ctx.actor.locale, ctx.runtime
    what = ctx.args.strip().lower()
    person_id = ctx.actor.person_id
    if person_id is None or what not in ("alumni", "directory", "katalog"):
        await ctx.reply.ephemeral(t("privacy.withdraw.usage", locale))
        return
    now = runtime.clock.now()
    if what == "alumni":
        async with runtime.db.transaction() as session:
            count = await networks.withdraw_alumni_consent(
                session, runtime.settings, person_id=person_id, now=now
            )
        key = "privacy.withdraw.alumni.done" if count else "privacy.withdraw.alumni.none"
        await ctx.reply.ephemeral(t(key, locale))
        return
    async with runtime.db.transaction() as session:
        person = await networks.own_person(session, person_id=person_id)
        was_findable = bool(person and person.findable)
        if was_findable:
            await networks.update_profile(session, person_id=person_id, now=now, findable=False)
    key = "privacy.withdraw.directory.done" if was_findable else "privacy.withdraw.directory.none"
    await ctx.reply.ephemeral(t(key, locale))


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the subcommands register themselves on import."""
