"""The reflection modal's submission: validate, store, confirm by DM."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.assignments import AssignmentNotFound, NotParticipant, save_reflection
from bot.limits import MAX_REFLECTION
from bot.messages import t
from bot.runtime import Runtime
from handlers.slack.blocks.assignments import (
    REFLECTION_BLOCK,
    REFLECTION_CALLBACK,
    parse_reflection,
)
from handlers.slack.context import actor_for


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Listen for submitted reflections."""

    @app.view(REFLECTION_CALLBACK)
    async def reflection_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        user_id = str(body.get("user", {}).get("id", ""))
        assignment_id, text, shareable = parse_reflection(view)
        if not text.strip():
            actor = await actor_for(runtime, user_id)
            await ack(
                response_action="errors",
                errors={REFLECTION_BLOCK: t("assignment.reflection.empty", actor.locale)},
            )
            return
        if len(text) > MAX_REFLECTION:  # the modal stops this; a forged submission is refused
            actor = await actor_for(runtime, user_id)
            await ack(
                response_action="errors",
                errors={REFLECTION_BLOCK: t("limits.too_long", actor.locale, n=MAX_REFLECTION)},
            )
            return
        await ack()
        actor = await actor_for(runtime, user_id)
        if actor.person_id is None or assignment_id is None:
            await client.chat_postMessage(
                channel=user_id, text=t("error.unknown_user", actor.locale)
            )
            return
        try:
            async with runtime.db.transaction() as session:
                assignment = await save_reflection(
                    session, assignment_id, actor.person_id, text, shareable, runtime.clock.now()
                )
        except (AssignmentNotFound, NotParticipant):
            await client.chat_postMessage(
                channel=user_id, text=t("assignment.not_for_you", actor.locale)
            )
            return
        await client.chat_postMessage(
            channel=user_id,
            text=t("assignment.reflection.saved", actor.locale, title=assignment.title),
        )
