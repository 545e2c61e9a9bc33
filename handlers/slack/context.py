"""What a listener needs about the request: the runtime, who is asking, how to answer."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import t
from bot.people import Actor, resolve_actor
from bot.runtime import Runtime
from handlers.slack.blocks.assignments import replace_answered
from handlers.slack.mrkdwn import render_api_args

logger = logging.getLogger(__name__)


async def actor_for(runtime: Runtime, user_id: str, slack_locale: str | None = None) -> Actor:
    """Resolve the Slack user into a person with roles (unknown people get an empty Actor)."""
    async with runtime.db.session() as session:
        return await resolve_actor(
            session=session,
            settings=runtime.settings,
            slack_user_id=user_id,
            slack_locale=slack_locale,
        )


@dataclass
class Reply:
    """Answer a person privately: through the response_url when there is one, else ephemeral."""

    runtime: Runtime
    client: AsyncWebClient
    user_id: str
    channel_id: str | None = None
    response_url: str | None = None

    async def ephemeral(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        payload: dict[str, Any] = {"response_type": "ephemeral", "text": text}
        if blocks:
            payload["blocks"] = blocks
        # The response_url is an edge of its own: render people's words here as the client does.
        payload = render_api_args(payload)
        if self.response_url and self.runtime.http is not None:
            # The shared aiohttp session; Bolt's `respond` would open a session of its own.
            async with self.runtime.http.post(self.response_url, json=payload) as resp:
                if resp.status < 300:
                    return
                logger.warning("Failed to answer through response_url (HTTP %s)", resp.status)
        if self.channel_id:
            await self.client.chat_postEphemeral(
                channel=self.channel_id, user=self.user_id, text=text, blocks=blocks
            )
        else:
            await self.client.chat_postMessage(channel=self.user_id, text=text, blocks=blocks)


def action_reply(runtime: Runtime, client: AsyncWebClient, body: dict[str, Any]) -> Reply:
    """Answer the person who clicked: through the action's response_url, else in its channel."""
    return Reply(
        runtime=runtime,
        client=client,
        user_id=str(body.get("user", {}).get("id", "")),
        channel_id=(body.get("channel") or {}).get("id"),
        response_url=body.get("response_url"),
    )


async def known_actor(runtime: Runtime, reply: Reply) -> Actor | None:
    """Resolve the person behind `reply`; tell someone the bot does not know so, and return None."""
    actor = await actor_for(runtime, reply.user_id)
    if not actor.known or actor.person_id is None:
        await reply.ephemeral(t("error.unknown_user", actor.locale))
        return None
    return actor


def from_home(body: dict[str, Any]) -> bool:
    """Whether the click came from the App Home tab."""
    return (body.get("view") or {}).get("type") == "home"


async def refresh_home(reply: Reply) -> None:
    """Redraw the person's App Home tab."""
    from handlers.slack.home import publish_home  # handlers.slack.home imports this module

    await publish_home(reply.runtime, reply.client, reply.user_id)


async def confirm(reply: Reply, body: dict[str, Any], text: str) -> None:
    """Redraw Home when the click came from there; otherwise answer privately with `text`."""
    if from_home(body):
        await refresh_home(reply)
        return
    await reply.ephemeral(text)


async def answer_in_message(reply: Reply, body: dict[str, Any], text: str) -> None:
    """Show `text` in place of the clicked buttons' block, or answer privately if the message
    cannot be edited."""
    message = body.get("message") or {}
    action = (body.get("actions") or [{}])[0]
    if message.get("ts") and reply.channel_id and message.get("blocks"):
        await reply.client.chat_update(
            channel=reply.channel_id,
            ts=message["ts"],
            text=message.get("text") or text,
            blocks=replace_answered(message["blocks"], action.get("block_id"), text),
        )
    else:
        await reply.ephemeral(text)
