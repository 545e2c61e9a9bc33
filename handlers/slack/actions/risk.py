"""The "Followed up" button in the staff dropout digest."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import t
from bot.risk import CaseNotFound, mark_followed_up
from bot.runtime import Runtime
from handlers.slack.context import (
    action_reply,
    actor_for,
    answer_in_message,
    from_home,
    refresh_home,
)

FOLLOW_UP_ACTION = re.compile(r"^risk\.followed_up\.\d+$")


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Listen for staff marking a risk case followed up."""

    @app.action(FOLLOW_UP_ACTION)
    async def followed_up(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        reply = action_reply(runtime, client, body)
        actor = await actor_for(runtime, reply.user_id)
        if not actor.is_staff or actor.person_id is None:
            await reply.ephemeral(t("error.not_allowed", actor.locale))
            return
        action = (body.get("actions") or [{}])[0]
        raw = str(action.get("value", ""))
        if not raw.isdigit():
            await reply.ephemeral(t("error.generic", actor.locale))
            return
        try:
            async with runtime.db.transaction() as session:
                await mark_followed_up(
                    session, int(raw), actor.person_id, None, now=runtime.clock.now()
                )
        except CaseNotFound:
            await reply.ephemeral(t("error.generic", actor.locale))
            return
        if from_home(body):
            # From the staff Home tab: redraw it, so the case leaves the list at once.
            await refresh_home(reply)
            return
        name = actor.person.name if actor.person else reply.user_id
        text = t("risk.digest.marked", actor.locale, name=name)
        await answer_in_message(reply, body, text)
