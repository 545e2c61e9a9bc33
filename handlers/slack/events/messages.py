"""People writing to the bot: a DM in its Messages tab (message.im) or an @-mention in a channel.

The manifest subscribes to both events. The bot does not read free text, so it says so and
points to `/cohort help` instead of leaving the person in silence (and Bolt answering Slack
"unhandled request").
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import t
from bot.runtime import Runtime
from handlers.slack.context import actor_for


def _from_a_person(event: dict[str, Any]) -> bool:
    # Edits, deletions, joins and the bot's own posts arrive as message events too.
    return bool(event.get("user")) and not event.get("subtype") and not event.get("bot_id")


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Listen for message and app_mention events."""

    @app.event("message")
    async def direct_message(event: dict[str, Any], client: AsyncWebClient) -> None:
        # Only direct messages are answered; other message events are acknowledged and dropped.
        if event.get("channel_type") != "im" or not _from_a_person(event):
            return
        actor = await actor_for(runtime, str(event["user"]))
        await client.chat_postMessage(
            channel=str(event.get("channel") or event["user"]), text=t("dm.hint", actor.locale)
        )

    @app.event("app_mention")
    async def mention(event: dict[str, Any], client: AsyncWebClient) -> None:
        if not _from_a_person(event) or not event.get("channel"):
            return
        actor = await actor_for(runtime, str(event["user"]))
        await client.chat_postEphemeral(
            channel=str(event["channel"]), user=str(event["user"]), text=t("dm.hint", actor.locale)
        )
