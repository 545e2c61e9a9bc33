"""The "Followed up" button in the staff dropout digest, on Home and in the whole case list.

One staff member marking a case is what every other staff member sees: each copy of the week's
digest is redrawn in place with who followed it up, and the other staff members' Home tabs
are published again.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import t
from bot.people import staff_slack_ids
from bot.risk import CaseNotFound, digest_copies_after_follow_up, mark_followed_up
from bot.runtime import Runtime
from handlers.slack.blocks.message import build_message_blocks, fallback_text
from handlers.slack.context import (
    Reply,
    action_reply,
    actor_for,
    answer_in_message,
    from_home,
    from_list,
    redraw_list,
    refresh_home,
)

logger = logging.getLogger(__name__)

FOLLOW_UP_ACTION = re.compile(r"^risk\.followed_up\.\d+$")


async def show_followed_up(
    runtime: Runtime, client: AsyncWebClient, case_id: int, *, by: str, except_user: str | None
) -> set[str]:
    """Redraw every staff copy of the case's digest and the other staff's Home tabs.

    Returns the Slack users whose digest was redrawn. A copy that cannot be edited (deleted,
    too old) is logged and left; the case list and Home show the truth anyway.
    """
    from handlers.slack.home import publish_home  # handlers.slack.home imports the context

    async with runtime.db.session() as session:
        copies = await digest_copies_after_follow_up(
            session, case_id, by=by, tz=runtime.settings.timezone
        )
        staff = await staff_slack_ids(session, runtime.settings)
    redrawn: set[str] = set()
    for copy in copies:
        try:
            opened = await client.conversations_open(users=copy.target)
            channel = (opened.get("channel") or {}).get("id") or copy.target
            await client.chat_update(
                channel=channel,
                ts=copy.ref,
                text=fallback_text(copy.message),
                blocks=build_message_blocks(copy.message),
            )
            redrawn.add(copy.target)
        except Exception:
            logger.exception("Failed to redraw the digest of %s for case %s", copy.target, case_id)
    for user_id in staff:
        if user_id == except_user:
            continue
        try:
            await publish_home(runtime, client, user_id)
        except Exception:
            logger.exception("Failed to publish Home for %s after case %s", user_id, case_id)
    return redrawn


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
            await reply.ephemeral(t("risk.case.unknown", actor.locale, case=raw[:20]))
            return
        try:
            async with runtime.db.transaction() as session:
                await mark_followed_up(
                    session, int(raw), actor.person_id, None, now=runtime.clock.now()
                )
        except CaseNotFound:
            await reply.ephemeral(t("risk.case.unknown", actor.locale, case=raw))
            return
        await after_follow_up(runtime, reply, body, int(raw), actor_name(actor, reply))


def actor_name(actor: Any, reply: Reply) -> str:
    return str(actor.person.name) if actor.person else reply.user_id


async def after_follow_up(
    runtime: Runtime, reply: Reply, body: dict[str, Any], case_id: int, name: str
) -> None:
    """Show the follow-up where it was clicked, and to every other staff member."""
    redrawn = await show_followed_up(
        runtime, reply.client, case_id, by=name, except_user=reply.user_id
    )
    if from_home(body):
        await refresh_home(reply)
    elif from_list(body):
        await redraw_list(reply, body)
    elif reply.user_id not in redrawn:
        actor = await actor_for(runtime, reply.user_id)
        text = t("risk.digest.marked", actor.locale, name=name)
        await answer_in_message(reply, body, text)
