"""Answers in the conversation of the turn, through the same connector client, limiter and
429/5xx handling as the outbox (the SDK's own reply path does not retry 429).

A reply waits out a 429's Retry-After (and retries 412/5xx) for at most `MAX_WAIT` seconds in
all, so the turn still ends in time; a reply that cannot go is logged, never raised.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from handlers.teams.cards import attachment
from handlers.teams.connector import ConnectorError
from handlers.teams.context import incoming
from handlers.teams.notifier import RETRY_STATUSES

logger = logging.getLogger(__name__)

MAX_WAIT = 10.0
ATTEMPTS = 4


async def reply_card(teams: Any, activity: Any, card: dict[str, Any]) -> bool:
    """Send `card` into the activity's conversation; True when it went."""
    where = incoming(activity)
    body: dict[str, Any] = {"type": "message", "attachments": [attachment(card)]}
    if getattr(activity, "id", None):
        body["replyToId"] = activity.id
    limiter = teams.notifier.limiter
    tenant = teams.notifier.tenant_id
    waited = 0.0
    for attempt in range(ATTEMPTS):
        if limiter.blocked_for(where.conversation_id, tenant) + waited > MAX_WAIT:
            break
        waited += await limiter.acquire(where.conversation_id, tenant)
        try:
            await teams.connector.send_activity(where.service_url, where.conversation_id, body)
            return True
        except ConnectorError as exc:
            if exc.status == 429:
                limiter.penalise(
                    where.conversation_id,
                    exc.retry_after if exc.retry_after is not None else 1.0,
                    tenant=tenant,
                )
                continue
            if exc.status not in RETRY_STATUSES:
                logger.warning("Teams refused a reply (%s)", exc.status)
                return False
            delay = exc.retry_after if exc.retry_after is not None else 0.25 * 2**attempt
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            logger.warning("Failed to send a Teams reply: %s", type(exc).__name__)
            delay = 0.25 * 2**attempt
        if waited + delay > MAX_WAIT:
            break
        await asyncio.sleep(delay)
        waited += delay
    logger.warning("Gave up on a Teams reply after %.1f s", waited)
    return False
