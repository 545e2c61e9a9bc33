"""The `/cohort` subcommands: each feature adds one with `@subcommand(...)` in its own file."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.people import Actor
from bot.runtime import Runtime
from handlers.slack.context import Reply


@dataclass
class CommandContext:
    """One `/cohort <name> <args>` invocation, already acked and parsed."""

    runtime: Runtime
    actor: Actor
    name: str
    args: str
    client: AsyncWebClient
    reply: Reply
    trigger_id: str | None
    channel_id: str | None
    body: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[CommandContext], Awaitable[None]]


@dataclass(frozen=True)
class Subcommand:
    name: str
    handler: Handler
    staff_only: bool = False
    needs_person: bool = True  # unknown Slack users get "I don't know you yet"


SUBCOMMANDS: dict[str, Subcommand] = {}


def subcommand(
    name: str, *, staff_only: bool = False, needs_person: bool = True, aliases: tuple[str, ...] = ()
) -> Callable[[Handler], Handler]:
    """Register `handler` as `/cohort <name>` (and its aliases)."""

    def decorate(handler: Handler) -> Handler:
        for key in (name, *aliases):
            if key in SUBCOMMANDS and SUBCOMMANDS[key].handler is not handler:
                raise ValueError(f"/cohort {key} is registered twice")
            SUBCOMMANDS[key] = Subcommand(name, handler, staff_only, needs_person)
        return handler

    return decorate


def split_command(text: str) -> tuple[str, str]:
    """ "assignments bergen" -> ("assignments", "bergen"); "" -> ("help", "")."""
    parts = (text or "").strip().split(maxsplit=1)
    if not parts:
        return "help", ""
    return parts[0].lower(), parts[1].strip() if len(parts) > 1 else ""
