"""Line-manager answer buttons (in the nudge DM and Home) and staff's Resend / Mark handled."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.line_managers import (
    NotYourNudge,
    NudgeNotFound,
    answer_nudge,
    mark_handled,
    outcome_text,
    resend_nudge,
)
from bot.messages import t
from bot.runtime import Runtime
from handlers.slack.context import (
    action_reply,
    actor_for,
    answer_in_message,
    confirm,
    from_home,
    known_actor,
    refresh_home,
)

logger = logging.getLogger(__name__)

ANSWER_ACTION = re.compile(r"^nudge_answer_(done|later|cannot)$")


def parse_answer(value: str) -> tuple[int, str] | None:
    """ "12:done" -> (12, "done"); None when malformed."""
    raw_id, _, answer = value.partition(":")
    if not raw_id.isdigit() or answer not in ("done", "later", "cannot"):
        return None
    return int(raw_id), answer


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Listen for nudge answers and staff follow-up buttons."""

    @app.action(ANSWER_ACTION)
    async def nudge_answer(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        reply = action_reply(runtime, client, body)
        actor = await known_actor(runtime, reply)
        if actor is None:
            return
        action = (body.get("actions") or [{}])[0]
        parsed = parse_answer(str(action.get("value", "")))
        if parsed is None:
            await reply.ephemeral(t("error.generic", actor.locale))
            return
        try:
            async with runtime.db.transaction() as session:
                outcome = await answer_nudge(
                    session,
                    parsed[0],
                    parsed[1],
                    "slack",
                    runtime.clock.now(),
                    settings=runtime.settings,
                    by_person_id=actor.person_id,
                )
        except (NotYourNudge, NudgeNotFound):
            await reply.ephemeral(t("nudge.not_yours", actor.locale))
            return
        text = outcome_text(outcome, actor.locale)
        if from_home(body):
            await refresh_home(reply)
            return
        # Show the recorded answer in place of that participant's buttons.
        await answer_in_message(reply, body, text)

    async def staff_follow_up(body: dict[str, Any], client: AsyncWebClient, resend: bool) -> None:
        reply = action_reply(runtime, client, body)
        actor = await actor_for(runtime, reply.user_id)
        if not actor.is_staff:
            await reply.ephemeral(t("error.not_allowed", actor.locale))
            return
        try:
            answer_id = int(str((body.get("actions") or [{}])[0].get("value", "")))
            async with runtime.db.transaction() as session:
                if resend:
                    row = await resend_nudge(
                        session,
                        answer_id,
                        staff_person_id=actor.person_id,
                        settings=runtime.settings,
                        now=runtime.clock.now(),
                    )
                    # A manager can be silent for several participants: say which one.
                    text = t(
                        "nudge.staff.resent",
                        actor.locale,
                        manager=row.manager_name,
                        participant=row.participant_name,
                    )
                else:
                    row = await mark_handled(
                        session, answer_id, staff_person_id=actor.person_id, now=runtime.clock.now()
                    )
                    text = t(
                        "nudge.staff.marked_handled",
                        actor.locale,
                        manager=row.manager_name,
                        participant=row.participant_name,
                    )
        except (ValueError, NudgeNotFound):
            await reply.ephemeral(t("error.generic", actor.locale))
            return
        await confirm(reply, body, text)

    @app.action("nudge_resend")
    async def nudge_resend(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await staff_follow_up(body, client, resend=True)

    @app.action("nudge_handled")
    async def nudge_handled(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await staff_follow_up(body, client, resend=False)
