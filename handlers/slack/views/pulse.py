"""Pulse modals: a free-text answer, and staff creating a pulse with `/cohort pulse`."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import format_when, t
from bot.pulses import PulseError, create_pulse, record_answer
from bot.runtime import Runtime
from bot.text import short
from handlers.slack.blocks.pulse import (
    CREATE_CALLBACK,
    TEXT_BLOCK,
    TEXT_CALLBACK,
    parse_pulse_modal,
    parse_text_modal,
)
from handlers.slack.context import actor_for


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Listen for submitted pulse modals."""

    @app.view(TEXT_CALLBACK)
    async def text_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        user_id = str(body.get("user", {}).get("id", ""))
        parsed = parse_text_modal(view)
        if parsed is not None and not parsed[2].strip():
            actor = await actor_for(runtime, user_id)
            await ack(
                response_action="errors",
                errors={TEXT_BLOCK: t("pulse.answer.invalid", actor.locale)},
            )
            return
        await ack()
        actor = await actor_for(runtime, user_id)
        if actor.person_id is None or parsed is None:
            await client.chat_postMessage(
                channel=user_id, text=t("pulse.answer.invalid", actor.locale)
            )
            return
        async with runtime.db.transaction() as session:
            outcome = await record_answer(
                session,
                parsed[0],
                actor.person_id,
                parsed[1],
                text=parsed[2],
                now=runtime.clock.now(),
                settings=runtime.settings,
                locale=actor.locale,
            )
        await client.chat_postMessage(channel=user_id, text=outcome.message)

    @app.view(CREATE_CALLBACK)
    async def pulse_created(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        user_id = str(body.get("user", {}).get("id", ""))
        now = runtime.clock.now()
        args, errors = parse_pulse_modal(view, now=now)
        if errors or args is None:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        actor = await actor_for(runtime, user_id)
        if not actor.is_staff:
            await client.chat_postMessage(
                channel=user_id, text=t("error.not_allowed", actor.locale)
            )
            return
        try:
            async with runtime.db.transaction() as session:
                pulse = await create_pulse(session, now=now, created_by_id=actor.person_id, **args)
        except PulseError as exc:
            await client.chat_postMessage(
                channel=user_id, text=t("error.refused", actor.locale, reason=short(str(exc), 200))
            )
            return
        await client.chat_postMessage(
            channel=user_id,
            text=t(
                "pulse.created",
                actor.locale,
                title=pulse.title,
                id=pulse.id,
                when=format_when(pulse.opens_at, actor.locale),
                closes=format_when(pulse.closes_at, actor.locale),
            ),
        )
