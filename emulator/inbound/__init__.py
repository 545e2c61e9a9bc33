"""Requests Slack sends to the bot, signed and retried as Slack does, and the response_url endpoint.

Every person's action in the emulator (a message, a click, a modal submit, a slash command) turns
into the HTTP request Slack would send to the bot's request URL: events as `event_callback` JSON,
interactivity as a form-encoded `payload=` JSON, slash commands as a plain form. All are signed with
`X-Slack-Signature: v0=HMAC-SHA256(signing_secret, "v0:{timestamp}:{body}")`.

When the bot does not answer within the ack timeout (3 s at Slack), events are retried up to three
times with `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`, and interactions leave the person an error
("cohortbot didn't respond", operation_timeout) — as Slack does.
"""

from __future__ import annotations

from emulator.inbound.commands import CommandsMixin
from emulator.inbound.core import (
    EMPTY_OK,
    InboundResult,
    InteractionError,
    _is_empty,
    parse_slash,
    sign,
    state_value,
)
from emulator.inbound.events import EventsMixin
from emulator.inbound.interactions import InteractionsMixin
from emulator.inbound.responses import ResponsesMixin

__all__ = [
    "EMPTY_OK",
    "InboundResult",
    "InboundSender",
    "InteractionError",
    "_is_empty",
    "logger",
    "parse_slash",
    "sign",
    "state_value",
]


class InboundSender(EventsMixin, InteractionsMixin, CommandsMixin, ResponsesMixin):
    """Send the bot what Slack would send, and keep the workspace state in step."""
