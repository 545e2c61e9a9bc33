"""The Cancel button in the announcements list: cancel it, then show the list as it is now."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import t
from bot.runtime import Runtime
from handlers.slack.blocks.broadcasts import CANCEL_ACTION
from handlers.slack.commands.announcements import cancel, list_blocks
from handlers.slack.context import action_reply, actor_for


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Listen for staff cancelling a scheduled announcement."""

    @app.action(CANCEL_ACTION)
    async def cancel_clicked(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        reply = action_reply(runtime, client, body)
        actor = await actor_for(runtime, reply.user_id)
        if not actor.is_staff:
            await reply.ephemeral(t("error.not_allowed", actor.locale))
            return
        raw = str((body.get("actions") or [{}])[0].get("value", ""))
        if not raw.isdigit():
            await reply.ephemeral(t("broadcast.usage", actor.locale))
            return
        text = await cancel(runtime, actor, int(raw))
        blocks = await list_blocks(runtime, actor)
        note = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
        await reply.ephemeral(text, [note, *blocks])
