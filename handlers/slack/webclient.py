"""Every Web API call outside the outbox: under the shared rate limiter, with bounded retries.

The outbox's `SlackNotifier` leaves retries to the dispatcher. Everything else — interactive
replies (message updates, ephemeral answers, modals, App Home), slash-command work such as
`/cohort sync`, channel work and start-up checks — goes through `LimitedWebClient`, which

- waits for the process's `RateLimiter` before each call (the same buckets and 429 penalties as
  the outbox), in its fast lane: `priority=True` goes before the outbox's waiting reservations
  and may use the headroom the outbox leaves in every bucket, so a burst of scheduled sends
  never queues a confirmation behind it;
- on a 429 blocks the method (and channel) for `Retry-After` seconds and tries again;
- on a 5xx or a transient Slack error backs off exponentially and tries again;
- on a dropped connection tries again only for methods that are safe to repeat;
- gives up after `max_attempts` or when the next wait would pass `deadline_seconds`.

`post_response_url` does the same for replies posted to an interaction's `response_url`
(not a Web API method, so not in a tier; 429/5xx are still honoured).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.delivery import backoff_seconds
from bot.ratelimit import POST_MESSAGE, RateLimiter
from handlers.retry_after import RetryBudget, Sleep, retry_after
from handlers.slack.mrkdwn import SlackWebClient, render_api_args

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)
# Calls whose repetition changes nothing, so a dropped connection may be retried.
REPEATABLE_METHODS = frozenset(
    {
        "auth.test",
        "chat.update",
        "conversations.archive",
        "conversations.history",
        "conversations.info",
        "conversations.invite",
        "conversations.join",
        "conversations.kick",
        "conversations.list",
        "conversations.members",
        "conversations.open",
        "conversations.unarchive",
        "users.info",
        "users.list",
        "users.lookupByEmail",
        "views.publish",
        "views.update",
    }
)
DEFAULT_RETRY_AFTER = 1.0
MAX_ATTEMPTS = 6
DEADLINE_SECONDS = 120.0
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0


def retry_after_seconds(headers: Any, default: float = DEFAULT_RETRY_AFTER) -> float:
    """The `Retry-After` header in seconds (Slack sends whole seconds), else `default`."""
    seconds = retry_after(headers)
    return default if seconds is None else seconds


def _backoff(attempt: int, rng: random.Random) -> float:
    return backoff_seconds(attempt, base=BACKOFF_BASE, cap=BACKOFF_CAP, rng=rng)


def _channel_of(json: dict[str, Any] | None, data: Any) -> str | None:
    for body in (json, data):
        if isinstance(body, dict) and body.get("channel"):
            return str(body["channel"])
    return None


class LimitedWebClient(SlackWebClient):
    """An AsyncWebClient that follows the shared rate limiter and retries 429/5xx, bounded.

    As a SlackWebClient it renders neutral text (people's words, mentions) for Slack.
    """

    def __init__(
        self,
        *args: Any,
        limiter: RateLimiter,
        max_attempts: int = MAX_ATTEMPTS,
        deadline_seconds: float = DEADLINE_SECONDS,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs["retry_handlers"] = []  # the retries are ours, with the limiter's knowledge
        super().__init__(*args, **kwargs)
        self.limiter = limiter
        self.max_attempts = max(1, max_attempts)
        self.deadline_seconds = deadline_seconds
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.retries = 0  # for benchmarks and tests

    async def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: Any = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> AsyncSlackResponse:
        channel = _channel_of(json, data) if api_method == POST_MESSAGE else None
        budget = RetryBudget(self.max_attempts, self.deadline_seconds, self._sleep)
        while budget.start():
            # The fast lane: these calls go before the outbox's waiting reservations.
            budget.spend(await self.limiter.acquire(api_method, channel, priority=True))
            try:
                return await super().api_call(
                    api_method,
                    http_verb=http_verb,
                    files=files,
                    data=data,
                    params=params,
                    json=json,
                    headers=headers,
                    auth=auth,
                )
            except SlackApiError as exc:
                delay = self._retry_delay(api_method, channel, exc, budget.attempt)
                if delay is None or budget.would_pass(delay):
                    raise
            except (TimeoutError, aiohttp.ClientError, OSError):
                delay = _backoff(budget.attempt, self._rng)
                if api_method not in REPEATABLE_METHODS or budget.would_pass(delay):
                    raise
            self.retries += 1
            logger.info("Retrying %s in %.1f s (attempt %d)", api_method, delay, budget.attempt + 1)
            await budget.wait(delay)
        raise AssertionError("unreachable: the last attempt raises")  # pragma: no cover

    def _retry_delay(
        self, method: str, channel: str | None, exc: SlackApiError, attempt: int
    ) -> float | None:
        """Seconds to wait before trying again, or None when the error is permanent."""
        response = exc.response
        status = int(getattr(response, "status_code", 200) or 200)
        data = getattr(response, "data", None)
        error = str(data.get("error") if isinstance(data, dict) else "") or f"http_{status}"
        if status == 429 or error == "ratelimited":
            retry_after = retry_after_seconds(getattr(response, "headers", None))
            self.limiter.penalise(method, channel, retry_after)
            return 0.0  # the limiter holds the next attempt for Retry-After
        if status >= 500 or error in TRANSIENT_ERRORS:
            return _backoff(attempt, self._rng)
        return None


def make_limited_client(
    *,
    token: str | None,
    base_url: str,
    limiter: RateLimiter,
    session: aiohttp.ClientSession | None = None,
    timeout: int = 30,
) -> LimitedWebClient:
    """The process's Web API client for everything but the outbox."""
    return LimitedWebClient(
        token=token, base_url=base_url, session=session, timeout=timeout, limiter=limiter
    )


async def post_response_url(
    http: aiohttp.ClientSession,
    url: str,
    payload: dict[str, Any],
    *,
    max_attempts: int = MAX_ATTEMPTS,
    deadline_seconds: float = DEADLINE_SECONDS,
    sleep: Sleep = asyncio.sleep,
    rng: random.Random | None = None,
) -> bool:
    """Post a reply to a response_url, honouring 429 Retry-After and retrying 5xx. True if ok.

    A 4xx other than 429 (expired or used URL, bad payload) is final: the caller falls back.
    """
    rng = rng or random.Random()
    # The response_url is an edge of its own: render people's words as the client does.
    payload = render_api_args(payload)
    budget = RetryBudget(max_attempts, deadline_seconds, sleep)
    while budget.start():
        try:
            async with http.post(url, json=payload) as resp:
                status = resp.status
                if status < 300:
                    return True
                if status == 429:
                    delay = retry_after_seconds(resp.headers)
                elif status >= 500:
                    delay = _backoff(budget.attempt, rng)
                else:
                    logger.warning("Failed to answer through response_url (HTTP %s)", status)
                    return False
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            # A lost answer may mean the reply arrived; replies replace or add one private
            # message, so a repeat is harmless.
            logger.info("response_url post failed (%s); retrying", type(exc).__name__)
            delay = _backoff(budget.attempt, rng)
        if not await budget.wait(delay):
            break
    logger.warning("Gave up answering through response_url after %d attempts", budget.attempt)
    return False


class StartupAuthorization:
    """Bolt's `authorize`, answered from one auth.test made at start-up (or on first use).

    Bolt's single-workspace authorization calls auth.test on the first request and again on
    every request until one succeeds; a cold start under a burst of clicks sent hundreds of
    them, got 429s and dropped the clicks. Here one call, through the limited client (so a 429
    waits and retries), answers every request; concurrent first requests wait for it.
    """

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self.result: Any = None
        self.calls = 0
        self._lock = asyncio.Lock()

    async def check(self) -> Any:
        """Verify the token once; returns Bolt's AuthorizeResult (raises SlackApiError)."""
        from slack_bolt.authorization import AuthorizeResult

        if self.result is not None:
            return self.result
        async with self._lock:
            if self.result is None:
                self.calls += 1
                response = await self.client.auth_test()
                self.result = AuthorizeResult.from_auth_test_response(
                    auth_test_response=response,
                    bot_token=self.client.token,
                    user_token=None,
                )
        return self.result

    @property
    def authorize(self) -> Callable[..., Awaitable[Any]]:
        """The function for AsyncApp(authorize=...) (a plain function: Bolt reads its
        parameter names, and a bound method's would include `self`)."""

        async def authorize(enterprise_id: str | None, team_id: str | None) -> Any:
            del enterprise_id, team_id  # one workspace, one bot token
            return await self.check()

        return authorize


def use_client(bolt: Any, client: AsyncWebClient) -> None:
    """Make every listener's `client` the process's limited client.

    Bolt builds a plain AsyncWebClient per request (copying only the base URL, session and
    retry handlers); this middleware puts the shared `LimitedWebClient` in its place.
    """

    async def limited_client(context: Any, next: Callable[[], Awaitable[None]]) -> None:
        context["client"] = client
        await next()

    bolt.use(limited_client)
