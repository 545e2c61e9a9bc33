"""The `ChannelAdmin` port over Slack's Web API: create or adopt channels, invite, remove,
archive, and open group DMs for peer-matching intros.

Re-running is safe: a taken name adopts the existing channel (unarchiving it and joining if the
bot is outside a public one), and "already there" answers from Slack count as success.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.networks import ChannelAdmin

logger = logging.getLogger(__name__)

INVITE_CHUNK = 1000  # conversations.invite takes at most 1000 users a call
HARMLESS_INVITE_ERRORS = {"already_in_channel", "cant_invite_self"}


class ChannelAdminError(Exception):
    """Slack refused channel work; the message names the method and Slack's error."""


def _error(exc: SlackApiError) -> str:
    return str(exc.response.get("error", "unknown_error")) if exc.response else "unknown_error"


class SlackChannelAdmin:
    """`ChannelAdmin` for Slack (or the emulator, via the client's base_url)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def create_channel(self, name: str, private: bool) -> str:
        try:
            response = await self.client.conversations_create(name=name, is_private=private)
            return str(response["channel"]["id"])
        except SlackApiError as exc:
            if _error(exc) != "name_taken":
                raise ChannelAdminError(f"conversations.create {name}: {_error(exc)}") from None
        channel = await self._find(name)
        if channel is None:
            # A private channel the bot is not in is invisible to it: staff must add the bot.
            raise ChannelAdminError(
                f"#{name} exists but the bot cannot see it: add the bot to the channel"
            )
        channel_id = str(channel["id"])
        if channel.get("is_archived"):
            await self.client.conversations_unarchive(channel=channel_id)
        if not channel.get("is_member") and not channel.get("is_private"):
            await self.client.conversations_join(channel=channel_id)
        logger.info("Adopted existing channel %s", channel_id)
        return channel_id

    async def _find(self, name: str) -> dict[str, Any] | None:
        cursor: str | None = None
        while True:
            response = await self.client.conversations_list(
                types="public_channel,private_channel",
                exclude_archived=False,
                limit=1000,
                cursor=cursor,
            )
            for channel in response.get("channels") or []:
                if channel.get("name") == name:
                    return dict(channel)
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None

    async def invite(self, channel: str, user_ids: Sequence[str]) -> None:
        users = list(dict.fromkeys(u for u in user_ids if u))
        for start in range(0, len(users), INVITE_CHUNK):
            chunk = users[start : start + INVITE_CHUNK]
            try:
                # force: invite the valid ones even when some are already members.
                await self.client.conversations_invite(
                    channel=channel, users=",".join(chunk), force=True
                )
            except SlackApiError as exc:
                errors = (exc.response.get("errors") if exc.response else None) or []
                codes = {e.get("error") for e in errors} or {_error(exc)}
                if not codes <= HARMLESS_INVITE_ERRORS:
                    raise ChannelAdminError(
                        f"conversations.invite {channel}: {', '.join(sorted(map(str, codes)))}"
                    ) from None

    async def remove(self, channel: str, user_id: str) -> None:
        try:
            await self.client.conversations_kick(channel=channel, user=user_id)
        except SlackApiError as exc:
            if _error(exc) != "not_in_channel":
                raise ChannelAdminError(f"conversations.kick {channel}: {_error(exc)}") from None

    async def archive(self, channel: str) -> None:
        try:
            await self.client.conversations_archive(channel=channel)
        except SlackApiError as exc:
            if _error(exc) != "already_archived":
                raise ChannelAdminError(f"conversations.archive {channel}: {_error(exc)}") from None

    async def open_group_dm(self, user_ids: Sequence[str]) -> str:
        try:
            response = await self.client.conversations_open(users=",".join(user_ids))
        except SlackApiError as exc:
            raise ChannelAdminError(f"conversations.open: {_error(exc)}") from None
        return str(response["channel"]["id"])


def _check(admin: SlackChannelAdmin) -> ChannelAdmin:
    """Let mypy confirm the adapter satisfies the port."""
    return admin
