"""Whole staff lists in a modal: "Show the whole list" opens it, Previous/Next page it."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import t
from bot.runtime import Runtime
from bot.staff_lists import OPEN_ACTION, PAGE_ACTION, UnknownList, parse_ref, read_page
from handlers.slack.blocks.staff_lists import build_list_modal
from handlers.slack.context import action_reply, actor_for

PAGING = re.compile(rf"^{re.escape(PAGE_ACTION)}\.(prev|next)$")


async def list_view(runtime: Runtime, user_id: str, ref: str) -> dict[str, Any] | None:
    """The modal for list `ref` as this person may see it, or None (not staff, or no list)."""
    actor = await actor_for(runtime, user_id)
    if not actor.is_staff:
        return None
    kind, arg, page = parse_ref(ref)
    async with runtime.db.transaction() as session:
        shown = await read_page(
            session,
            kind=kind,
            arg=arg,
            page=page,
            locale=actor.locale,
            settings=runtime.settings,
            now=runtime.clock.now(),
            staff_id=actor.person_id,
        )
    return build_list_modal(shown, actor.locale)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Listen for opening and paging whole staff lists."""

    async def refuse(body: dict[str, Any], client: AsyncWebClient, key: str) -> None:
        reply = action_reply(runtime, client, body)
        actor = await actor_for(runtime, reply.user_id)
        await reply.ephemeral(t(key, actor.locale))

    async def requested_view(body: dict[str, Any], client: AsyncWebClient) -> dict[str, Any] | None:
        """The list page the button asks for, or None after telling the person why not."""
        user_id = str(body.get("user", {}).get("id", ""))
        value = str((body.get("actions") or [{}])[0].get("value", ""))
        try:
            view = await list_view(runtime, user_id, value)
        except UnknownList:
            await refuse(body, client, "lists.unknown")
            return None
        if view is None:
            await refuse(body, client, "error.not_allowed")
        return view

    @app.action(OPEN_ACTION)
    async def open_list(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        view = await requested_view(body, client)
        if view is not None:
            await client.views_open(trigger_id=body.get("trigger_id"), view=view)

    @app.action(PAGING)
    async def page_list(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        view = await requested_view(body, client)
        if view is None:
            return
        current = body.get("view") or {}
        await client.views_update(view_id=current.get("id"), hash=current.get("hash"), view=view)
