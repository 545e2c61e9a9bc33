"""`POST /slack/events`, the bot's public endpoint: every request is checked before Bolt sees it.

Anything can arrive here. In this order, and without ever logging the body:

1. a body over `MAX_REQUEST_BYTES` → 413 (aiohttp's `client_max_size` is the same limit);
2. a missing, non-numeric or stale `X-Slack-Request-Timestamp`, or a signature that does not
   verify → 401 (the signature is checked on the raw bytes, before any parsing);
3. a signed body that is not what Slack sends (JSON that is not an object, a form whose
   `payload` is not a JSON object, bytes that are not UTF-8) → 400;
4. a button press (`block_actions`, whose ack carries nothing Slack reads) is answered 200 at
   once, here, and handed to Bolt afterwards through `AfterAck` (bot.precedence): a few at a
   time, after the requests still waiting. Bolt itself would answer only after the listener
   has called `ack()` and its own 10 ms poll has seen it, and a burst's listeners all ran at
   once on the loop that answers the next requests. Under `cohortbot run` the edge's process
   (handlers.edge) runs the same checks and answers the press before it passes it on here;
5. anything else Bolt dispatches before it answers (a slash command, a modal's submission and
   its errors, options). Should Bolt itself fail, the answer is a plain 500 with no
   traceback, logged by exception type only.

Bolt's own logger is quietened (`quiet_bolt_logger`): it logs the bodies of requests it
rejects or does not handle, which hold people's words.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.precedence import AfterAck, Precedence, Ticket
from handlers.slack.mrkdwn import RenderingAck

logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 1024 * 1024  # Slack's largest payloads (big modals) are far below this
MAX_CLOCK_SKEW = 60 * 5  # seconds, as Slack documents
# Payload types answered 200 here before Bolt runs: Slack reads nothing in their ack.
ACKED_AT_THE_EDGE = frozenset({"block_actions"})
BOLT_LOGGER = "cohortbot.slack_bolt"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _refuse(status: int, error: str, reason: str) -> web.Response:
    logger.warning("Refused a request to /slack/events: %s (HTTP %d)", reason, status)
    return web.json_response({"ok": False, "error": error}, status=status)


def _signed(verifier: SignatureVerifier, body: bytes, headers: Any, now: float) -> bool:
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not timestamp.isdigit() or len(timestamp) > 12 or not signature or len(signature) > 200:
        return False
    if abs(now - int(timestamp)) > MAX_CLOCK_SKEW:
        return False
    try:
        return verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
    except (ValueError, TypeError, UnicodeError):
        return False


def _type_of(raw: str) -> str | None:
    """A JSON payload's `type` ("" when it names none), or None when it is not a JSON object."""
    try:
        payload = json.loads(raw)
    except ValueError:
        return None
    return str(payload.get("type") or "") if isinstance(payload, dict) else None


def _kind(text: str, content_type: str) -> str | None:
    """A signed body's payload type ("command" for a slash command, "" when it names none), or
    None when it is not the shape Slack sends (a JSON object, or a form)."""
    if content_type.startswith("application/json"):
        return _type_of(text)
    try:
        form = parse_qs(text, strict_parsing=bool(text), max_num_fields=200)
    except ValueError:
        return None
    if "payload" in form:
        return _type_of(form["payload"][0])
    if form.get("command"):
        return "command"
    return "" if form.get("ssl_check") or form else None


@dataclass(frozen=True)
class Checked:
    """A request that passed the checks: Bolt's view of it and its payload type."""

    bolt_request: AsyncBoltRequest
    kind: str


async def check_request(
    request: web.Request, verifier: SignatureVerifier, now: float
) -> Checked | web.Response:
    """Steps 1–3 of the module's list: the checked request, or the refusal to answer with.

    The edge's process (handlers.edge) runs it too, before it answers a press itself.
    """
    if request.content_length is not None and request.content_length > MAX_REQUEST_BYTES:
        return _refuse(413, "request_too_large", "body over the size limit")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _refuse(413, "request_too_large", "body over the size limit")
    if len(body) > MAX_REQUEST_BYTES:
        return _refuse(413, "request_too_large", "body over the size limit")
    if not _signed(verifier, body, request.headers, now):
        return _refuse(401, "invalid_signature", "missing, stale or invalid signature")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _refuse(400, "malformed_payload", "signed body is not UTF-8")
    kind = _kind(text, request.headers.get("Content-Type", ""))
    if kind is None:
        return _refuse(400, "malformed_payload", "signed body is not a Slack payload")
    try:
        bolt_request = AsyncBoltRequest(
            body=text,
            query=request.query_string,
            headers=dict(request.headers),
        )
    except Exception as exc:
        return _refuse(400, "malformed_payload", f"Bolt cannot read it ({type(exc).__name__})")
    return Checked(bolt_request, kind)


def slack_events_handler(
    bolt: AsyncApp,
    signing_secret: str,
    *,
    clock: Callable[[], float] = time.time,
    precedence: Precedence | None = None,
    after_ack: AfterAck | None = None,
) -> Handler:
    """The aiohttp handler for `POST /slack/events` in front of `bolt`.

    While a request waits for its ack it is counted in `precedence`, and the dispatcher steps
    aside for it (bot.precedence). Button presses are acked here and run by `after_ack`.
    """
    verifier = SignatureVerifier(signing_secret)
    first = precedence or Precedence()
    later = after_ack or AfterAck(first)

    async def slack_events(request: web.Request) -> web.StreamResponse:
        with first.answering() as ticket:
            return await answer(request, ticket)

    async def answer(request: web.Request, ticket: Ticket) -> web.StreamResponse:
        checked = await check_request(request, verifier, clock())
        if isinstance(checked, web.Response):
            return checked
        bolt_request, kind = checked.bolt_request, checked.kind
        ack = ListenerAck(ticket)
        bolt_request.context["ack"] = ack
        if kind in ACKED_AT_THE_EDGE:
            later.start(lambda: _dispatch_after_ack(bolt, bolt_request, ack), name=kind)
            ticket.acked()
            return web.Response(status=200)
        return await _dispatch(bolt, bolt_request)

    return slack_events


async def _dispatch(bolt: AsyncApp, bolt_request: AsyncBoltRequest) -> web.StreamResponse:
    """Bolt's answer to a checked request (step 5): a plain 500 should Bolt itself fail."""
    try:
        response = await bolt.async_dispatch(bolt_request)
    except Exception as exc:  # never a traceback to the caller, nor the body in the log
        logger.error("Failed to dispatch a Slack request (%s)", type(exc).__name__)
        return web.json_response({"ok": False, "error": "internal_error"}, status=500)
    return await to_aiohttp_response(response)


async def _dispatch_after_ack(bolt: AsyncApp, request: AsyncBoltRequest, ack: ListenerAck) -> None:
    """Bolt's handling of a request already answered, to the end of its listener's work."""
    try:
        response = await bolt.async_dispatch(request)
    except Exception as exc:
        logger.error("Failed to dispatch a Slack request (%s)", type(exc).__name__)
        return
    if response.status >= 400:  # no listener took it, or it failed (logged by Bolt's handler)
        logger.warning("Bolt answered HTTP %d to a request acked at the edge", response.status)
    if ack.listener is not None and ack.listener is not asyncio.current_task():
        await ack.listener  # the listener goes on after its ack in a task of Bolt's


class ListenerAck(RenderingAck):
    """Bolt's `ack()` (rendered for Slack) that also marks the request acked (bot.precedence)
    and remembers the listener's task, whose work goes on after the ack.

    (Making the work after the ack step aside for acks still waiting was tried on its own:
    bounded waits only moved the same work a tenth of a second later. What helped was running
    fewer of them at once: `AfterAck`.)
    """

    def __init__(self, ticket: Ticket) -> None:
        super().__init__()
        self.ticket = ticket
        self.listener: asyncio.Task[Any] | None = None

    async def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        response = await super().__call__(*args, **kwargs)
        self.ticket.acked()
        self.listener = asyncio.current_task()
        return response


class _NoBodies(logging.Filter):
    """Keep Bolt's warnings and errors, but never the request bodies it likes to include."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return False  # Bolt's info/debug lines print whole bodies and suggested code
        message = record.getMessage()
        cut = min((i for i in (message.find("("), message.find("{")) if i >= 0), default=-1)
        if cut >= 0 or len(message) > 200:
            record.msg = (
                message[:cut] if cut >= 0 else message[:200]
            ).rstrip() + " (body not logged)"
            record.args = ()
        if record.exc_info:
            record.exc_text = None
        return True


def quiet_bolt_logger() -> logging.Logger:
    """The logger to give Bolt (`AsyncApp(logger=...)`): warnings only, bodies removed."""
    bolt_logger = logging.getLogger(BOLT_LOGGER)
    bolt_logger.setLevel(logging.WARNING)
    if not any(isinstance(f, _NoBodies) for f in bolt_logger.filters):
        bolt_logger.addFilter(_NoBodies())
    return bolt_logger
