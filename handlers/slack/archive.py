"""What the archive's command, buttons and modal share: who acts, one's own list, the modal."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.archive.forms import doer_of
from bot.archive.items import my_items
from bot.people import Actor
from bot.runtime import Runtime
from handlers.slack.blocks.archive import build_archive_modal, build_my_items
from handlers.slack.context import Reply

__all__ = ["doer_of", "open_add_modal", "show_mine"]


async def show_mine(runtime: Runtime, reply: Reply, actor: Actor) -> None:
    from bot.messages import t

    items = await my_items(runtime.db, person_id=actor.known_id)
    await reply.ephemeral(
        t("archive.mine.title", actor.locale), build_my_items(items, actor.locale)
    )


async def open_add_modal(client: AsyncWebClient, trigger_id: str | None, actor: Actor) -> None:
    await client.views_open(
        trigger_id=trigger_id, view=build_archive_modal(actor.locale, staff=actor.is_staff)
    )
