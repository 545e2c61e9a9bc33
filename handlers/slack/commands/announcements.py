"""`/cohort announce list | cancel NO | change NO at WHEN | change NO text TEXT`: scheduled
announcements staff control until they start. (`/cohort announce` itself opens the modal.)"""

from __future__ import annotations

from datetime import datetime

from bot import broadcasts
from bot.messages import t
from bot.networks import InvalidRequest
from bot.people import Actor
from bot.runtime import Runtime
from handlers.slack.blocks.broadcasts import build_broadcast_list, summary_text
from handlers.slack.commands.registry import CommandContext

WORDS = ("list", "liste", "cancel", "avlys", "change", "endre")


async def list_blocks(runtime: Runtime, actor: Actor) -> list[dict[str, object]]:
    """The announcements list as this staff member sees it."""
    async with runtime.db.session() as session:
        found = await broadcasts.list_broadcasts(session, actor=actor, now=runtime.clock.now())
        labels = {
            s.id: await broadcasts.audience_label(session, s.audience, actor.locale) for s in found
        }
    return build_broadcast_list(found, labels, locale=actor.locale, tz=runtime.settings.timezone)


async def cancel(runtime: Runtime, actor: Actor, broadcast_id: int) -> str:
    """Cancel one announcement; the answer says what happened or why not."""
    try:
        async with runtime.db.transaction() as session:
            n = await broadcasts.cancel_broadcast(
                session, broadcast_id, actor=actor, now=runtime.clock.now()
            )
    except InvalidRequest as exc:
        return t("broadcast.refused", actor.locale, reason=str(exc))
    return t("broadcast.cancelled", actor.locale, id=broadcast_id, n=n)


async def handle(ctx: CommandContext, words: list[str]) -> bool:
    """Run the list/cancel/change forms of `/cohort announce`; False if `words` are none."""
    if not words or words[0].lower() not in WORDS:
        return False
    verb = {"liste": "list", "avlys": "cancel", "endre": "change"}.get(
        words[0].lower(), words[0].lower()
    )
    locale, runtime = ctx.actor.locale, ctx.runtime
    if verb == "list":
        blocks = await list_blocks(runtime, ctx.actor)
        await ctx.reply.ephemeral(t("broadcast.list.title", locale), blocks)
        return True
    if len(words) < 2 or not words[1].isdigit():
        await ctx.reply.ephemeral(t("broadcast.usage", locale))
        return True
    broadcast_id = int(words[1])
    if verb == "cancel":
        await ctx.reply.ephemeral(await cancel(runtime, ctx.actor, broadcast_id))
        return True
    rest = ctx.args.split(maxsplit=3)[3:] if len(words) > 3 else []
    what = words[2].lower() if len(words) > 2 else ""
    text: str | None = None
    when: datetime | None = None
    if what in ("text", "tekst") and rest:
        text = rest[0]
    elif what in ("at", "kl", "tid") and rest:
        try:
            when = datetime.strptime(rest[0].strip(), "%Y-%m-%d %H:%M").replace(
                tzinfo=runtime.settings.zone
            )
        except ValueError:
            await ctx.reply.ephemeral(t("broadcast.usage", locale))
            return True
    else:
        await ctx.reply.ephemeral(t("broadcast.usage", locale))
        return True
    try:
        async with runtime.db.transaction() as session:
            summary = await broadcasts.change_broadcast(
                session,
                runtime.settings,
                broadcast_id,
                actor=ctx.actor,
                now=runtime.clock.now(),
                text=text,
                send_at=when,
            )
            label = await broadcasts.audience_label(session, summary.audience, locale)
    except InvalidRequest as exc:
        await ctx.reply.ephemeral(t("broadcast.refused", locale, reason=str(exc)))
        return True
    line = summary_text(summary, audience=label, locale=locale, tz=runtime.settings.timezone)
    await ctx.reply.ephemeral(f"{t('broadcast.changed', locale, id=broadcast_id)}\n{line}")
    return True
