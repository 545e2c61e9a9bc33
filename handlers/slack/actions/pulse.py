"""Pulse answer buttons (scale, 0–10, single choice) and the free-text button that opens a modal."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import t
from bot.pulses import (
    PulseError,
    closed_message,
    find_question,
    parse_answer_value,
    record_answer,
)
from bot.runtime import Runtime
from handlers.slack.blocks.pulse import build_text_modal, mark_answered
from handlers.slack.context import action_reply, actor_for, known_actor

logger = logging.getLogger(__name__)

ANSWER_ACTION = re.compile(r"^pulse\.answer\.\d+\.\d+$")
TEXT_ACTION = re.compile(r"^pulse\.text\.\d+$")


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Listen for pulse answers."""

    @app.action(ANSWER_ACTION)
    async def pulse_answer(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        reply = action_reply(runtime, client, body)
        actor = await known_actor(runtime, reply)
        if actor is None:
            return
        action = (body.get("actions") or [{}])[0]
        try:
            pulse_id, question_id, value = parse_answer_value(str(action.get("value", "")))
        except PulseError:
            await reply.ephemeral(t("pulse.answer.invalid", actor.locale))
            return
        async with runtime.db.transaction() as session:
            outcome = await record_answer(
                session,
                pulse_id,
                actor.known_id,
                question_id,
                value,
                now=runtime.clock.now(),
                settings=runtime.settings,
                locale=actor.locale,
            )
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id")
        if outcome.accepted and message.get("ts") and channel and message.get("blocks"):
            anonymous = bool(outcome.pulse and outcome.pulse.anonymous)
            await reply.update_message(
                body,
                text=message.get("text") or outcome.message,
                blocks=mark_answered(
                    message["blocks"],
                    action_id=str(action.get("action_id", "")),
                    text=outcome.message,
                    highlight=not anonymous,
                ),
            )
        else:
            await reply.ephemeral(outcome.message)

    @app.action(TEXT_ACTION)
    async def pulse_text_open(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        reply = action_reply(runtime, client, body)
        actor = await actor_for(runtime, reply.user_id)
        raw = str((body.get("actions") or [{}])[0].get("value", ""))
        pulse_part, _, question_part = raw.partition(":")
        if not (pulse_part.isdigit() and question_part.isdigit()):
            await reply.ephemeral(t("pulse.answer.invalid", actor.locale))
            return
        async with runtime.db.session() as session:
            found = await find_question(
                session, pulse_id=int(pulse_part), question_id=int(question_part)
            )
        if found is None or not body.get("trigger_id"):
            await reply.ephemeral(t("pulse.answer.invalid", actor.locale))
            return
        pulse, question = found
        # Say so now rather than after the person has written an answer that cannot be kept.
        closed = closed_message(pulse, now=runtime.clock.now(), locale=actor.locale)
        if closed is not None:
            await reply.ephemeral(closed)
            return
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=build_text_modal(
                pulse_id=int(pulse_part),
                question_id=question.id or 0,
                question=question.text,
                locale=actor.locale,
            ),
        )
