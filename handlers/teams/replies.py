"""Answers in the conversation of the turn, through the same connector client, limiter and
429/5xx handling as the outbox (the SDK's own reply path does not retry 429).

A reply waits out a 429's Retry-After (and retries 412/5xx) for at most `MAX_WAIT` seconds in
all, so the turn still ends in time; a reply that cannot go is logged, never raised.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

from handlers.retry_after import RetryBudget
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
    budget = RetryBudget(ATTEMPTS, MAX_WAIT)
    while budget.start():
        if limiter.blocked_for(where.conversation_id, tenant) + budget.waited > MAX_WAIT:
            break
        budget.spend(await limiter.acquire(where.conversation_id, tenant))
        backoff = 0.25 * 2 ** (budget.attempt - 1)
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
                continue  # the limiter holds the next attempt for Retry-After
            if exc.status not in RETRY_STATUSES:
                logger.warning("Teams refused a reply (%s)", exc.status)
                return False
            delay = exc.retry_after if exc.retry_after is not None else backoff
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            logger.warning("Failed to send a Teams reply: %s", type(exc).__name__)
            delay = backoff
        if not await budget.wait(delay):
            break
    logger.warning("Gave up on a Teams reply after %.1f s", budget.waited)
    return False
