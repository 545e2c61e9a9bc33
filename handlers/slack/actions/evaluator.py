"""Staff's Accept / Reject on the Directorate's question proposals (App Home)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.evaluator.proposals import ProposalError, accept
from bot.messages import t
from bot.runtime import Runtime
from handlers.slack.blocks.evaluator import ACCEPT_ACTION, REJECT_ACTION, build_reject_modal
from handlers.slack.context import action_reply, actor_for, confirm

logger = logging.getLogger(__name__)


def _proposal_id(body: dict[str, Any]) -> int | None:
    raw = str((body.get("actions") or [{}])[0].get("value", ""))
    return int(raw) if raw.isdigit() else None


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Listen for Accept and Reject."""

    @app.action(ACCEPT_ACTION)
    async def accept_proposal(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        reply = action_reply(runtime, client, body)
        actor = await actor_for(runtime, reply.user_id)
        if not actor.is_staff:
            await reply.ephemeral(t("error.not_allowed", actor.locale))
            return
        proposal_id = _proposal_id(body)
        if proposal_id is None:
            await reply.ephemeral(t("error.generic", actor.locale))
            return
        try:
            async with runtime.db.transaction() as session:
                done = await accept(
                    session,
                    proposal_id,
                    now=runtime.clock.now(),
                    actor=f"person:{actor.person_id}",
                    actor_id=actor.person_id,
                )
        except ProposalError as exc:
            await reply.ephemeral(exc.text(actor.locale))
            return
        key = "evaluator.accepted" if done.recorded else "evaluator.accepted_already"
        text = t(
            key,
            actor.locale,
            id=proposal_id,
            number=done.question.position if done.question else 0,
            title=done.pulse.title if done.pulse else "",
        )
        await confirm(reply, body, text)

    @app.action(REJECT_ACTION)
    async def reject_proposal(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        reply = action_reply(runtime, client, body)
        actor = await actor_for(runtime, reply.user_id)
        if not actor.is_staff:
            await reply.ephemeral(t("error.not_allowed", actor.locale))
            return
        proposal_id = _proposal_id(body)
        if proposal_id is None or not body.get("trigger_id"):
            await reply.ephemeral(t("error.generic", actor.locale))
            return
        await client.views_open(
            trigger_id=body["trigger_id"], view=build_reject_modal(proposal_id, locale=actor.locale)
        )
