"""The Slack transport: renders neutral messages as Block Kit and posts them.

It follows the client-side rate limiter (`bot.ratelimit`) before every call and maps Slack's
answers to the dispatcher's outcomes: sent, retry (429, 5xx, connection trouble), failed
(permanent, with the reason) or paused (the token is bad: stop everything). The dispatcher owns
retries, so slack_sdk's own retry handlers are switched off for this client.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.notifier import OutgoingMessage, SendResult, group_members
from bot.ratelimit import POST_MESSAGE, RateLimiter
from bot.steps import ARCHIVE, CREATE, INVITE, KICK, perform, step_of
from handlers.slack.blocks.message import build_message_blocks, fallback_text
from handlers.slack.channels import SlackChannelAdmin
from handlers.slack.mrkdwn import SlackWebClient
from handlers.slack.webclient import retry_after_seconds

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "account_inactive",
        "user_not_found",
        "invalid_blocks",
        "msg_too_long",
        "msg_blocks_too_long",
        "restricted_action",
        "missing_scope",
        "cannot_dm_bot",
        "user_disabled",
        "no_text",
        "invalid_arguments",
        "too_many_attachments",
    }
)
AUTH_ERRORS = frozenset({"invalid_auth", "token_revoked", "token_expired", "not_authed"})
DEFAULT_RETRY_AFTER = 1.0
METADATA_EVENT = "cohortbot_delivery"
HISTORY_LOOKBACK = 50  # recent messages searched for an earlier attempt
OPEN = "conversations.open"
# The Web API method each channel step (bot.steps) calls: Tier 2 (create) and Tier 3, per
# workspace, so a national sync's hundreds of steps wait their turn in the queued lane.
STEP_METHODS = {
    CREATE: "conversations.create",
    INVITE: "conversations.invite",
    KICK: "conversations.kick",
    ARCHIVE: "conversations.archive",
}


def make_slack_client(
    *, token: str, base_url: str, session: aiohttp.ClientSession | None = None, timeout: int = 30
) -> AsyncWebClient:
    """A Web API client for sending: the shared aiohttp session, no built-in retries."""
    return SlackWebClient(
        token=token, base_url=base_url, session=session, timeout=timeout, retry_handlers=[]
    )


def _retry_after(response: Any) -> float:
    return retry_after_seconds(getattr(response, "headers", None), DEFAULT_RETRY_AFTER)


class SlackNotifier:
    """Sends OutgoingMessages to Slack channels and DMs (a user id posts to the DM directly)."""

    transport = "slack"

    def __init__(self, client: AsyncWebClient, limiter: RateLimiter | None = None) -> None:
        if client.retry_handlers or type(client) is not SlackWebClient:
            # Keep the caller's client (its own retries, or the limited client that retries
            # for interactive replies) and make a plain twin that renders neutral text for
            # Slack: the dispatcher owns retries.
            client = SlackWebClient(
                token=client.token,
                base_url=client.base_url,
                timeout=client.timeout,
                session=client.session,
                headers=client.headers,
                retry_handlers=[],
            )
        self.client = client
        self.limiter = limiter or RateLimiter()
        self.calls = 0
        # Channel steps from the outbox (bot.steps) make their calls through `_call` too.
        self.channels = SlackChannelAdmin(client, call=self._step_call)

    def ready_in(self, target: str, *, kind: str = "", key: str = "") -> float:
        """Seconds before a post to `target` could start (a 429 block or the channel's pace).

        A group DM must be opened first, at conversations.open's Tier 3 pace: it gets its turn
        in the limiter's queued lane, so the dispatcher defers it instead of letting a matching
        round's intros hold every sending slot while announcements wait. A channel step
        (create at Tier 2, invite, kick, archive at Tier 3) gets its turn in that lane the same
        way, one slot per delivery key: a national sync's steps neither hold the sending slots
        nor go out in one burst.
        """
        method = STEP_METHODS.get(kind)
        if method is not None:
            # The slot is kept per key until the limiter forgets it, so a step asked again
            # (deferred, retried) keeps its place instead of going to the back.
            return self.limiter.reserve_slot(method, key or f"{kind}:{target}")
        wait = self.limiter.ready_in(POST_MESSAGE, target)
        if group_members(target) is not None:
            wait = max(wait, self.limiter.reserve_slot(OPEN, target))
        return wait

    async def _call(self, method: str, limit_key: str | None, body: dict[str, Any]) -> Any:
        await self.limiter.acquire(method, limit_key)
        self.calls += 1
        return await self.client.api_call(method, json=body)

    async def _step_call(self, method: str, body: dict[str, Any]) -> Any:
        try:
            return await self._call(method, None, body)
        except SlackApiError as exc:
            status = getattr(exc.response, "status_code", 200)
            if status == 429 or (exc.response or {}).get("error") == "ratelimited":
                # Channel methods are limited per workspace: hold the method, not a channel.
                self.limiter.penalise(method, None, _retry_after(exc.response))
            raise

    async def send(self, *, target: str, message: OutgoingMessage) -> SendResult:
        step = step_of(message)
        if step is not None and step.get("op") == "upload":
            return await self._upload(target, step)
        if step is not None:
            # Channel work decided in a committed transaction (create, invite, kick, archive).
            return await perform(self.channels, target=target, step=step)
        members = group_members(target)
        if members is not None:
            # A group DM decided in a committed transaction: open it now (conversations.open
            # is idempotent: the same people get the same conversation), then post.
            opened = await self._open_group(members)
            self.limiter.release_slot(OPEN, target)
            if isinstance(opened, SendResult):
                return opened
            target = opened
        payload = {
            "channel": target,
            "text": fallback_text(message),
            "blocks": build_message_blocks(message),
            "unfurl_links": False,
            "unfurl_media": False,
        }
        key = message.meta.get("delivery_key")
        if key:
            payload["metadata"] = {"event_type": METADATA_EVENT, "event_payload": {"key": key}}
        joined = False
        while True:
            try:
                response = await self._call(POST_MESSAGE, target, payload)
            except SlackApiError as exc:
                result = await self._on_error(exc, target, joined=joined)
                if result == "join":
                    joined = True
                    continue
                return result
            except (TimeoutError, aiohttp.ClientError, SlackClientError, OSError) as exc:
                return SendResult(
                    "retry", error=f"connection: {type(exc).__name__}", maybe_sent=True
                )
            return SendResult("sent", ref=str(response.get("ts") or ""))

    async def _upload(self, target: str, step: dict[str, Any]) -> SendResult:
        """Upload a stored file (Slack's v2 upload: URL, bytes, complete) to a DM or channel."""
        try:
            content = base64.b64decode(str(step["content"]))
            filename = str(step["filename"])
        except (KeyError, ValueError, TypeError):
            return SendResult("failed", error="the stored upload is malformed")
        try:
            channel = target
            if target[:1] in ("U", "W"):  # a person: their DM with the bot
                opened = await self._call("conversations.open", None, {"users": target})
                channel = str(opened["channel"]["id"])
            slot = await self._call(
                "files.getUploadURLExternal", None, {"filename": filename, "length": len(content)}
            )
            await self._put(str(slot["upload_url"]), content, filename)
            done = await self._call(
                "files.completeUploadExternal",
                None,
                {
                    "files": [{"id": str(slot["file_id"]), "title": str(step.get("title") or "")}],
                    "channel_id": channel,
                },
            )
        except SlackApiError as exc:
            result = await self._on_error(exc, target, joined=True)
            return result if isinstance(result, SendResult) else SendResult("retry")
        except (TimeoutError, aiohttp.ClientError, SlackClientError, OSError) as exc:
            # The bytes may have been shared before the answer was lost.
            return SendResult("retry", error=f"connection: {type(exc).__name__}", maybe_sent=True)
        except (KeyError, TypeError):
            return SendResult("retry", error="files: unexpected answer")
        files = done.get("files") or [{}]
        return SendResult("sent", ref=str(files[0].get("id") or slot["file_id"]))

    async def _put(self, url: str, content: bytes, filename: str) -> None:
        """Send the bytes to the upload URL Slack gave (not a Web API method: no tier)."""
        form = aiohttp.FormData()
        form.add_field("file", content, filename=filename)
        session = self.client.session
        if session is None:
            async with aiohttp.ClientSession() as own, own.post(url, data=form) as response:
                response.raise_for_status()
            return
        async with session.post(url, data=form) as response:
            response.raise_for_status()

    async def _open_group(self, members: list[str]) -> str | SendResult:
        """The group DM's channel id, or the outcome to record when Slack would not open it."""
        try:
            response = await self._call(OPEN, None, {"users": ",".join(members)})
            return str(response["channel"]["id"])
        except SlackApiError as exc:
            status = getattr(exc.response, "status_code", 200)
            data = getattr(exc.response, "data", None)
            error = str(data.get("error") if isinstance(data, dict) else "") or f"http_{status}"
            if status == 429 or error == "ratelimited":
                retry_after = _retry_after(exc.response)
                self.limiter.penalise(OPEN, None, retry_after)
                return SendResult("retry", error="ratelimited", retry_after=retry_after)
            if status >= 500 or error in TRANSIENT_ERRORS:
                return SendResult("retry", error=error)
            if error in AUTH_ERRORS:
                return SendResult("paused", error=error)
            return SendResult("failed", error=f"conversations.open: {error}")
        except (TimeoutError, aiohttp.ClientError, SlackClientError, OSError) as exc:
            # Opening twice is harmless; nothing was posted yet.
            return SendResult("retry", error=f"open: {type(exc).__name__}")
        except (KeyError, TypeError):
            return SendResult("retry", error="conversations.open: unexpected answer")

    async def _on_error(self, exc: SlackApiError, target: str, *, joined: bool) -> Any:
        response = exc.response
        status = getattr(response, "status_code", 200)
        data = getattr(response, "data", None)
        error = str(data.get("error") if isinstance(data, dict) else "") or f"http_{status}"
        if status == 429 or error == "ratelimited":
            retry_after = _retry_after(response)
            self.limiter.penalise(POST_MESSAGE, target, retry_after)
            return SendResult("retry", error="ratelimited", retry_after=retry_after)
        if status >= 500 or error in TRANSIENT_ERRORS:
            # Slack: a 5xx or fatal_error may come after part of the operation succeeded.
            landed = status >= 500 or error in ("fatal_error", "internal_error")
            return SendResult("retry", error=error, maybe_sent=landed)
        if error in AUTH_ERRORS:
            return SendResult("paused", error=error)
        if error == "account_inactive" and await self._bot_token_dead():
            return SendResult("paused", error="account_inactive (the bot's own account)")
        if error == "not_in_channel":
            if joined:
                return SendResult("retry", error="not_in_channel after joining")
            if await self._join(target):
                return "join"
            return SendResult(
                "failed", error="not_in_channel: the bot must be invited to this channel"
            )
        return SendResult("failed", error=error)

    async def find_sent(self, *, target: str, message: OutgoingMessage) -> SendResult | None:
        """An earlier attempt of this delivery that did arrive (its answer was lost), if any.

        Looks through the conversation's recent messages for our metadata key. "absent" when
        it looked and the message is not there (no earlier attempt arrived); None when Slack
        cannot tell us (then the dispatcher sends, accepting a possible duplicate).
        """
        key = message.meta.get("delivery_key")
        if not key:
            return None
        if target[:1] not in ("U", "W"):
            # Reading a channel's history would need channels:history and groups:history, i.e.
            # reading everything people write there; for channel posts we accept the rare
            # duplicate instead (at most the in-flight ones at a crash).
            return None
        try:
            # A DM's history lives under the IM channel id (im:history, which the bot has).
            opened = await self._call("conversations.open", None, {"users": target})
            channel = str(opened["channel"]["id"])
            history = await self._call(
                "conversations.history",
                None,
                {"channel": channel, "limit": HISTORY_LOOKBACK, "include_all_metadata": True},
            )
        except (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError, OSError):
            return None
        except (KeyError, TypeError):
            return None
        for posted in history.get("messages") or []:
            metadata = posted.get("metadata") or {}
            if (
                metadata.get("event_type") == METADATA_EVENT
                and (metadata.get("event_payload") or {}).get("key") == key
            ):
                return SendResult("sent", ref=str(posted.get("ts") or ""))
        return SendResult("absent")

    async def _join(self, channel: str) -> bool:
        try:
            await self._call("conversations.join", None, {"channel": channel})
        except SlackApiError as exc:
            logger.warning("Failed to join channel %s: %s", channel, exc.response.get("error"))
            return False
        except (TimeoutError, aiohttp.ClientError, SlackClientError, OSError):
            return False
        return True

    async def _bot_token_dead(self) -> bool:
        """`account_inactive` is permanent for a person, fatal for our own token: ask Slack."""
        try:
            await self._call("auth.test", None, {})
        except SlackApiError as exc:
            return exc.response.get("error") in AUTH_ERRORS | {"account_inactive"}
        except (TimeoutError, aiohttp.ClientError, SlackClientError, OSError):
            return False
        return False
