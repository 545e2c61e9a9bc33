"""The reject modal's submission: a reason is required; the decision is audited."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.evaluator.proposals import ProposalError, reject
from bot.messages import t
from bot.runtime import Runtime
from handlers.slack.blocks.evaluator import REASON_BLOCK, REJECT_CALLBACK, parse_reject
from handlers.slack.context import actor_for


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Listen for submitted rejections."""

    @app.view(REJECT_CALLBACK)
    async def rejection_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        user_id = str(body.get("user", {}).get("id", ""))
        actor = await actor_for(runtime, user_id)
        proposal_id, reason = parse_reject(view)
        if not actor.is_staff or proposal_id is None:
            await ack(
                response_action="errors",
                errors={REASON_BLOCK: t("error.not_allowed", actor.locale)},
            )
            return
        try:
            async with runtime.db.transaction() as session:
                await reject(
                    session,
                    proposal_id,
                    reason=reason,
                    now=runtime.clock.now(),
                    actor=f"person:{actor.person_id}",
                    actor_id=actor.person_id,
                )
        except ProposalError as exc:
            await ack(response_action="errors", errors={REASON_BLOCK: exc.text(actor.locale)})
            return
        await ack()
        from handlers.slack.home import publish_home

        await publish_home(runtime, client, user_id)
