"""Greet a person who joins a programme channel on their own (not when the bot invited them)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import t
from bot.networks import welcome_for_join
from bot.runtime import Runtime


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Listen for member_joined_channel."""

    @app.event("member_joined_channel")
    async def member_joined(event: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        user_id = str(event.get("user", ""))
        channel_id = str(event.get("channel", ""))
        bot_user_id = getattr(context, "bot_user_id", None) or context.get("bot_user_id")
        # People the bot invites during a channel sync are welcomed by the sync itself.
        if not user_id or user_id == bot_user_id or event.get("inviter") == bot_user_id:
            return
        async with runtime.db.session() as session:
            welcome = await welcome_for_join(session, channel_id=channel_id, slack_user_id=user_id)
        if welcome is None:
            return
        text = t(
            "join.welcome", welcome.locale, network=welcome.network_name, name=welcome.person_name
        )
        await client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
