"""The `ChannelAdmin` port over Slack's Web API: create or adopt channels, invite, remove,
archive. The outbox performs these as steps (`bot.steps`), after the commit that decides them.

Every call is safe to repeat: a taken name adopts the existing channel (unarchiving it and
joining if the bot is outside a public one), and "already there" answers count as success.
A 429 or 5xx, or a dropped connection, is raised as `StepRetry` (the dispatcher retries, with
`Retry-After`); a rejected token as `StepAuthError`; anything else as `ChannelAdminError`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.steps import ChannelAdmin, StepAuthError, StepError, StepRetry
from handlers.slack.webclient import retry_after_seconds

logger = logging.getLogger(__name__)

INVITE_CHUNK = 1000  # conversations.invite takes at most 1000 users a call
HARMLESS_INVITE_ERRORS = {"already_in_channel", "cant_invite_self"}
TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)
AUTH_ERRORS = frozenset({"invalid_auth", "token_revoked", "token_expired", "not_authed"})

Call = Callable[[str, dict[str, Any]], Awaitable[Any]]


class ChannelAdminError(StepError):
    """Slack refused channel work; the message names the method and Slack's error."""


def _error(exc: SlackApiError) -> str:
    return str(exc.response.get("error", "unknown_error")) if exc.response else "unknown_error"


class SlackChannelAdmin:
    """`ChannelAdmin` for Slack (or the emulator, via the client's base_url).

    `call` makes one Web API call (the outbox's notifier passes its rate-limited one); by
    default the client's `api_call`.
    """

    def __init__(self, client: AsyncWebClient, call: Call | None = None) -> None:
        self.client = client
        self._call = call

    async def _api(self, method: str, **body: Any) -> Any:
        try:
            if self._call is not None:
                return await self._call(method, body)
            return await self.client.api_call(method, json=body)
        except SlackApiError as exc:
            response = exc.response
            status = int(getattr(response, "status_code", 200) or 200)
            error = _error(exc)
            if status == 429 or error == "ratelimited":
                raise StepRetry(
                    "ratelimited", retry_after_seconds(getattr(response, "headers", None))
                ) from None
            if status >= 500 or error in TRANSIENT_ERRORS:
                raise StepRetry(f"{method}: {error or f'http_{status}'}") from None
            if error in AUTH_ERRORS:
                raise StepAuthError(error) from None
            raise
        except (TimeoutError, aiohttp.ClientError, SlackClientError, OSError) as exc:
            # Every channel call is safe to repeat: the retry finds what the lost one did.
            raise StepRetry(f"connection: {type(exc).__name__}") from None

    async def create_channel(self, name: str, private: bool) -> str:
        try:
            response = await self._api("conversations.create", name=name, is_private=private)
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
        try:
            if channel.get("is_archived"):
                await self._api("conversations.unarchive", channel=channel_id)
            if not channel.get("is_member") and not channel.get("is_private"):
                await self._api("conversations.join", channel=channel_id)
        except SlackApiError as exc:
            raise ChannelAdminError(f"adopting #{name}: {_error(exc)}") from None
        logger.info("Adopted existing channel %s", channel_id)
        return channel_id

    async def _find(self, name: str) -> dict[str, Any] | None:
        cursor: str | None = None
        while True:
            body: dict[str, Any] = {
                "types": "public_channel,private_channel",
                "exclude_archived": False,
                "limit": 1000,
            }
            if cursor:
                body["cursor"] = cursor
            try:
                response = await self._api("conversations.list", **body)
            except SlackApiError as exc:
                raise ChannelAdminError(f"conversations.list: {_error(exc)}") from None
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
                await self._api(
                    "conversations.invite", channel=channel, users=",".join(chunk), force=True
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
            await self._api("conversations.kick", channel=channel, user=user_id)
        except SlackApiError as exc:
            if _error(exc) != "not_in_channel":
                raise ChannelAdminError(f"conversations.kick {channel}: {_error(exc)}") from None

    async def archive(self, channel: str, progress: Mapping[str, Any] | None = None) -> None:
        # Slack archives before it answers: nothing to follow, so `progress` stays unused.
        try:
            await self._api("conversations.archive", channel=channel)
        except SlackApiError as exc:
            if _error(exc) != "already_archived":
                raise ChannelAdminError(f"conversations.archive {channel}: {_error(exc)}") from None


def _check(admin: SlackChannelAdmin) -> ChannelAdmin:
    """Let mypy confirm the adapter satisfies the port."""
    return admin
