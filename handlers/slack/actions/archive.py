"""The archive's buttons: add (Home), change and withdraw (one's own list), download."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.archive import store_for
from bot.archive.downloads import DownloadError, link_for
from bot.archive.items import ArchiveError, get_own_item, withdraw_item
from bot.messages import t
from bot.runtime import Runtime
from handlers.slack.archive import doer_of, open_add_modal
from handlers.slack.blocks.archive import (
    ACTION_ADD,
    ACTION_CHANGE,
    ACTION_DOWNLOAD,
    ACTION_WITHDRAW,
    build_archive_modal,
)
from handlers.slack.context import action_reply, known_actor


def _item_id(body: dict[str, Any]) -> int | None:
    value = str((body.get("actions") or [{}])[0].get("value", ""))
    return int(value) if value.isdigit() and len(value) < 12 else None


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Listen for the archive's buttons."""

    @app.action(ACTION_ADD)
    async def add(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        actor = await known_actor(runtime, action_reply(runtime, client, body))
        if actor is not None:
            await open_add_modal(client, body.get("trigger_id"), actor)

    @app.action(ACTION_CHANGE)
    async def change(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        reply = action_reply(runtime, client, body)
        actor = await known_actor(runtime, reply)
        item_id = _item_id(body)
        if actor is None:
            return
        try:
            if item_id is None:
                raise ArchiveError("archive.error.no_item", id="?")
            item = await get_own_item(runtime.db, item_id=item_id, doer=doer_of(actor))
        except ArchiveError as exc:
            await reply.ephemeral(exc.text(actor.locale))
            return
        view = build_archive_modal(actor.locale, staff=actor.is_staff, item=item)
        await client.views_open(trigger_id=body.get("trigger_id"), view=view)

    @app.action(ACTION_WITHDRAW)
    async def withdraw(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        reply = action_reply(runtime, client, body)
        actor = await known_actor(runtime, reply)
        item_id = _item_id(body)
        if actor is None:
            return
        try:
            if item_id is None:
                raise ArchiveError("archive.error.no_item", id="?")
            title = await withdraw_item(
                runtime.db, store_for(runtime.settings), item_id=item_id, doer=doer_of(actor)
            )
        except ArchiveError as exc:
            await reply.ephemeral(exc.text(actor.locale))
            return
        await reply.ephemeral(t("archive.withdrawn", actor.locale, title=title))

    @app.action(ACTION_DOWNLOAD)
    async def download(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        reply = action_reply(runtime, client, body)
        actor = await known_actor(runtime, reply)
        item_id = _item_id(body)
        if actor is None or actor.person is None:
            return
        try:
            if item_id is None:
                raise DownloadError("gone")
            title, url = await link_for(
                runtime.db,
                runtime.settings,
                item_id=item_id,
                person=actor.person,
                now=runtime.clock.now(),
            )
        except DownloadError:
            await reply.ephemeral(t("archive.download.gone", actor.locale))
            return
        minutes = runtime.settings.archive_link_minutes
        await reply.ephemeral(
            t("archive.download.ready", actor.locale, title=title, minutes=minutes, url=url)
        )
