"""The Teams transport: neutral messages as Adaptive Cards, posted through the connector.

Targets are `bot.identities.teams_target(conversation id, serviceUrl)`. Before each post the
limiter holds the send to Teams' pace; answers map onto the dispatcher's outcomes: 429 is
"ratelimited" with Retry-After (the conversation is blocked meanwhile); 412, 500, 502, 503 and
504 are retried (honouring Retry-After when given); 401 pauses Teams (the app's credentials);
403 and 404 fail the delivery with the reason (the user blocked or removed the app).

A lost answer (the post went out, the connection broke before the connector's reply) cannot be
checked afterwards: the Bot Framework connector has no API to read a conversation's activities
back and ignores activity ids the client proposes, so there is no `find_sent` here. The retry
sends again and the delivery is counted, exactly, under "may have arrived twice" in the
delivery figures (`cohortbot deliveries`, `utsendelser`). Reading the chat through Microsoft
Graph (`ChatMessage.Read.Chat`) would settle it; see docs/delivery.md.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

from bot.identities import parse_teams_target
from bot.notifier import OutgoingMessage, SendResult
from handlers.teams.cards import message_activity
from handlers.teams.connector import ConnectorError, TeamsConnector
from handlers.teams.ratelimit import TeamsRateLimiter

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({412, 500, 502, 503, 504})
DEFAULT_RETRY_AFTER = 1.0


def _conversation(target: str) -> str:
    try:
        return parse_teams_target(target)[0]
    except ValueError:
        return target


class TeamsNotifier:
    """Sends OutgoingMessages to Teams conversations (1:1 chats, group chats, channels)."""

    transport = "teams"

    def __init__(
        self,
        connector: TeamsConnector,
        limiter: TeamsRateLimiter | None = None,
        *,
        tenant_id: str = "",
        bot_id: str | None = None,
    ) -> None:
        self.connector = connector
        self.limiter = limiter or TeamsRateLimiter()
        self.tenant_id = tenant_id
        self.bot_id = bot_id

    def ready_in(self, target: str, *, kind: str = "", key: str = "") -> float:
        return self.limiter.ready_in(_conversation(target), self.tenant_id)

    async def send(self, *, target: str, message: OutgoingMessage) -> SendResult:
        try:
            conversation_id, service_url = parse_teams_target(target)
        except ValueError:
            return SendResult("failed", error="not a Teams conversation address")
        key = message.meta.get("delivery_key")
        # The key comes back with every click, so the answer card is rebuilt from the outbox.
        activity: dict[str, Any] = message_activity(
            message, carry={"delivery": key} if key else None
        )
        if key:
            # Travels with the card's actions, so an answer can be matched to its delivery.
            activity["channelData"] = {"cohortbot": {"delivery_key": key}}
        await self.limiter.acquire(conversation_id, self.tenant_id)
        try:
            ref = await self.connector.send_activity(service_url, conversation_id, activity)
        except ConnectorError as exc:
            return self._on_error(exc, conversation_id)
        except aiohttp.ClientConnectorError as exc:
            # Never connected: the post cannot have arrived, so a retry makes no duplicate.
            return SendResult("retry", error=f"unreachable: {type(exc).__name__}")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            # The post may have arrived and only its answer been lost. The connector cannot be
            # asked (no history to read, client-chosen activity ids ignored), so the retry may
            # make a second copy: the outbox counts it under "may have arrived twice".
            return SendResult("retry", error=f"connection: {type(exc).__name__}", maybe_sent=True)
        # The activity id is kept on the delivery (`result_ref`): it is what an update needs.
        return SendResult("sent", ref=ref)

    def _on_error(self, exc: ConnectorError, conversation_id: str) -> SendResult:
        if exc.status == 0:
            return SendResult("failed", error=exc.detail)
        if exc.status == 429:
            retry_after = exc.retry_after if exc.retry_after is not None else DEFAULT_RETRY_AFTER
            self.limiter.penalise(conversation_id, retry_after, tenant=self.tenant_id)
            return SendResult("retry", error="ratelimited", retry_after=retry_after)
        if exc.status in RETRY_STATUSES:
            return SendResult("retry", error=f"http_{exc.status}", retry_after=exc.retry_after)
        if exc.status == 401:
            return SendResult("paused", error="http_401: the Teams app's credentials were refused")
        if exc.status == 403:
            return SendResult(
                "failed", error="http_403: the person blocked the bot or removed the app"
            )
        if exc.status == 404:
            return SendResult("failed", error="http_404: conversation not found")
        return SendResult("failed", error=f"http_{exc.status}: {exc.detail[:120]}")
