"""Assignment buttons: "Mark as done" and "Write a reflection" (in posts, reminders and Home)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.assignments import AssignmentNotFound, NotParticipant, mark_done, reflection_for
from bot.messages import format_when, t
from bot.runtime import Runtime
from handlers.slack.blocks.assignments import build_reflection_modal
from handlers.slack.context import action_reply, confirm, known_actor

logger = logging.getLogger(__name__)


def _assignment_id(body: dict[str, Any]) -> int | None:
    try:
        return int(str(body["actions"][0].get("value", "")))
    except (KeyError, IndexError, ValueError):
        return None


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Listen for the assignment buttons."""

    @app.action("assignment_done")
    async def assignment_done(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        reply = action_reply(runtime, client, body)
        actor = await known_actor(runtime, reply)
        if actor is None:
            return
        assignment_id = _assignment_id(body)
        if assignment_id is None:
            await reply.ephemeral(t("assignment.unknown", actor.locale))
            return
        try:
            async with runtime.db.transaction() as session:
                result = await mark_done(
                    session, assignment_id, actor.known_id, runtime.clock.now()
                )
        except AssignmentNotFound:
            await reply.ephemeral(t("assignment.unknown", actor.locale))
            return
        except NotParticipant:
            await reply.ephemeral(t("assignment.not_for_you", actor.locale))
            return
        title = result.assignment.title
        if result.newly_done:
            text = t("assignment.done.recorded", actor.locale, title=title)
        else:
            when = format_when(result.done_at, actor.locale, runtime.settings.timezone)
            text = t("assignment.done.already", actor.locale, title=title, when=when)
        await confirm(reply, body, text)

    @app.action("assignment_reflect")
    async def assignment_reflect(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        reply = action_reply(runtime, client, body)
        actor = await known_actor(runtime, reply)
        if actor is None:
            return
        assignment_id = _assignment_id(body)
        try:
            async with runtime.db.session() as session:
                assignment, text, shareable = await reflection_for(
                    session, assignment_id or 0, actor.known_id
                )
        except AssignmentNotFound:
            await reply.ephemeral(t("assignment.unknown", actor.locale))
            return
        except NotParticipant:
            await reply.ephemeral(t("assignment.not_for_you", actor.locale))
            return
        view = build_reflection_modal(
            assignment_id=assignment.id or 0,
            title=assignment.title,
            locale=actor.locale,
            text=text,
            shareable=shareable,
        )
        await client.views_open(trigger_id=body["trigger_id"], view=view)
