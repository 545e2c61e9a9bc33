"""What a listener needs about the request: the runtime, who is asking, how to answer."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import t
from bot.people import Actor, recognise_staff, resolve_actor
from bot.runtime import Runtime
from handlers.slack.blocks.assignments import replace_answered
from handlers.slack.webclient import post_response_url

logger = logging.getLogger(__name__)


# Slack users asked once whether COHORTBOT_STAFF_EMAILS lists them and it did not: not asked
# again on every click (a restart with other settings starts afresh).
_NOT_STAFF: set[str] = set()


async def actor_for(runtime: Runtime, user_id: str, slack_locale: str | None = None) -> Actor:
    """Resolve the Slack user into a person with roles (unknown people get an empty Actor).

    Someone the bot does not know yet whose Slack email COHORTBOT_STAFF_EMAILS lists is
    recognised on this first contact (users.info), with nothing imported.
    """
    async with runtime.db.session() as session:
        actor = await resolve_actor(
            session=session,
            settings=runtime.settings,
            slack_user_id=user_id,
            slack_locale=slack_locale,
        )
    listed = runtime.settings.staff_emails or runtime.settings.evaluator_emails
    if actor.known or not user_id or not listed:
        return actor
    if runtime.user_lookup is None or user_id in _NOT_STAFF:
        return actor
    try:
        user = await runtime.user_lookup.user(user_id)
    except Exception:
        logger.exception("Failed to look up Slack user %s", user_id)
        return actor
    if user is None:
        _NOT_STAFF.add(user_id)
        return actor
    async with runtime.db.transaction() as session:
        person = await recognise_staff(
            session=session, settings=runtime.settings, user=user, now=runtime.clock.now()
        )
    if person is None:
        _NOT_STAFF.add(user_id)
        return actor
    logger.info("Recognised staff member %s from COHORTBOT_STAFF_EMAILS", user_id)
    async with runtime.db.session() as session:
        return await resolve_actor(
            session=session,
            settings=runtime.settings,
            slack_user_id=user_id,
            slack_locale=slack_locale,
        )


async def recognise_listed_staff(runtime: Runtime) -> int:
    """At start: link every COHORTBOT_STAFF_EMAILS address Slack knows (users.lookupByEmail).

    So staff get the weekly digest and alerts before they have ever written to the bot.
    Returns how many were linked; a lookup that fails is left to first contact.
    """
    if runtime.user_lookup is None:
        return 0
    linked = 0
    for email in runtime.settings.staff_emails:
        try:
            user = await runtime.user_lookup.user_by_email(email)
        except Exception:
            logger.exception("Failed to look up a staff email in Slack")
            continue
        if user is None:
            continue
        async with runtime.db.session() as session:
            known = await resolve_actor(
                session=session, settings=runtime.settings, slack_user_id=user.id
            )
        if known.known:
            continue
        async with runtime.db.transaction() as session:
            if await recognise_staff(
                session=session, settings=runtime.settings, user=user, now=runtime.clock.now()
            ):
                linked += 1
    return linked


@dataclass
class Reply:
    """Answer a person privately: through the response_url when there is one, else ephemeral."""

    runtime: Runtime
    client: AsyncWebClient
    user_id: str
    channel_id: str | None = None
    response_url: str | None = None

    async def ephemeral(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        payload: dict[str, Any] = {"response_type": "ephemeral", "text": text}
        if blocks:
            payload["blocks"] = blocks
        # The response_url first: it is outside Slack's method tiers, so a burst of clicks is
        # answered at once; 429/5xx are retried. The shared aiohttp session, not Bolt's
        # `respond`, which would open a session of its own.
        if await self.respond(payload):
            return
        if self.channel_id:
            await self.client.chat_postEphemeral(
                channel=self.channel_id, user=self.user_id, text=text, blocks=blocks
            )
        else:
            await self.client.chat_postMessage(channel=self.user_id, text=text, blocks=blocks)

    async def respond(self, payload: dict[str, Any]) -> bool:
        """Post `payload` to the interaction's response_url (retrying 429/5xx); True if ok."""
        if not self.response_url or self.runtime.http is None:
            return False
        return await post_response_url(self.runtime.http, self.response_url, payload)

    async def update_message(
        self, body: dict[str, Any], *, text: str, blocks: list[dict[str, Any]]
    ) -> bool:
        """Redraw the clicked message; False when there is no message to redraw.

        Through the response_url (`replace_original`) when there is one, since chat.update is
        Tier 3 (50 a minute) and a burst of 450 clicks would wait minutes; else chat.update
        through the rate-limited client.
        """
        message = body.get("message") or {}
        if not (message.get("ts") and self.channel_id):
            return False
        if await self.respond({"replace_original": True, "text": text, "blocks": blocks}):
            return True
        await self.client.chat_update(
            channel=self.channel_id, ts=message["ts"], text=text, blocks=blocks
        )
        return True


def action_reply(runtime: Runtime, client: AsyncWebClient, body: dict[str, Any]) -> Reply:
    """Answer the person who clicked: through the action's response_url, else in its channel."""
    return Reply(
        runtime=runtime,
        client=client,
        user_id=str(body.get("user", {}).get("id", "")),
        channel_id=(body.get("channel") or {}).get("id"),
        response_url=body.get("response_url"),
    )


async def known_actor(runtime: Runtime, reply: Reply) -> Actor | None:
    """Resolve the person behind `reply`; tell someone the bot does not know so, and return None."""
    actor = await actor_for(runtime, reply.user_id)
    if not actor.known or actor.person_id is None:
        await reply.ephemeral(t("error.unknown_user", actor.locale))
        return None
    return actor


def from_list(body: dict[str, Any]) -> bool:
    """Whether the click came from a whole staff list in a modal."""
    view = body.get("view") or {}
    return view.get("type") == "modal" and view.get("callback_id") == "staff_list"


async def redraw_list(reply: Reply, body: dict[str, Any]) -> None:
    """Show the staff list the click came from again, as it is now (the same page)."""
    from handlers.slack.actions.staff_lists import list_view  # it imports this module

    view = body.get("view") or {}
    fresh = await list_view(reply.runtime, reply.user_id, str(view.get("private_metadata", "")))
    if fresh is not None:
        await reply.client.views_update(view_id=view.get("id"), view=fresh)


def from_home(body: dict[str, Any]) -> bool:
    """Whether the click came from the App Home tab."""
    return (body.get("view") or {}).get("type") == "home"


async def refresh_home(reply: Reply) -> None:
    """Redraw the person's App Home tab."""
    from handlers.slack.home import publish_home  # handlers.slack.home imports this module

    await publish_home(reply.runtime, reply.client, reply.user_id)


async def confirm(reply: Reply, body: dict[str, Any], text: str) -> None:
    """Redraw Home or the staff list when the click came from there; else answer privately."""
    if from_home(body):
        await refresh_home(reply)
        return
    if from_list(body):
        await redraw_list(reply, body)
        return
    await reply.ephemeral(text)


async def answer_in_message(reply: Reply, body: dict[str, Any], text: str) -> None:
    """Show `text` in place of the clicked buttons' block, or answer privately if the message
    cannot be edited."""
    message = body.get("message") or {}
    action = (body.get("actions") or [{}])[0]
    if message.get("blocks") and await reply.update_message(
        body,
        text=message.get("text") or text,
        blocks=replace_answered(message["blocks"], action.get("block_id"), text),
    ):
        return
    await reply.ephemeral(text)
