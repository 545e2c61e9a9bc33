"""The `/cohort` slash command: ack, parse, check who may, then the subcommand does the work."""

from __future__ import annotations

import sys
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.limits import MAX_COMMAND_TEXT
from bot.messages import t
from bot.runtime import Runtime
from handlers.slack.commands.registry import SUBCOMMANDS, CommandContext, split_command
from handlers.slack.context import Reply, actor_for
from handlers.slack.discovery import register_package


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Register `/cohort` and every subcommand module in this package."""
    register_package(sys.modules[__name__], app, runtime)

    @app.command("/cohort")
    async def cohort(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        name, args = split_command(str(body.get("text", "")))
        user_id = str(body.get("user_id", ""))
        reply = Reply(
            runtime=runtime,
            client=client,
            user_id=user_id,
            channel_id=body.get("channel_id"),
            response_url=body.get("response_url"),
        )
        actor = await actor_for(runtime, user_id)
        if len(str(body.get("text", ""))) > MAX_COMMAND_TEXT:
            await reply.ephemeral(t("limits.command_too_long", actor.locale, n=MAX_COMMAND_TEXT))
            return
        sub = SUBCOMMANDS.get(name)
        if sub is None:
            await reply.ephemeral(t("error.unknown_command", actor.locale, command=name))
            return
        if sub.needs_person and not actor.known:
            await reply.ephemeral(t("error.unknown_user", actor.locale))
            return
        if sub.staff_only and not actor.is_staff:
            await reply.ephemeral(t("error.not_allowed", actor.locale))
            return
        await sub.handler(
            CommandContext(
                runtime=runtime,
                actor=actor,
                name=name,
                args=args,
                client=client,
                reply=reply,
                trigger_id=body.get("trigger_id"),
                channel_id=body.get("channel_id"),
                body=body,
            )
        )
