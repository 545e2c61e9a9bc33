"""Network buttons: "Did you meet?", alumni consent, matching on/off/pause, directory DMs,
and "Edit profile" from App Home.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import networks
from bot.messages import Markup, format_day, t
from bot.networks import InvalidRequest
from bot.runtime import Runtime
from handlers.slack.blocks.networks import ACTION_EDIT_PROFILE, ACTION_PAUSE, build_profile_modal
from handlers.slack.context import action_reply, actor_for, confirm, known_actor

logger = logging.getLogger(__name__)


def _action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions") or [{}]
    return dict(actions[0])


async def _checkin(runtime: Runtime, body: dict[str, Any], client: AsyncWebClient) -> None:
    reply = action_reply(runtime, client, body)
    actor = await known_actor(runtime, reply)
    if actor is None:
        return
    key = await networks.answer_checkin_button(
        runtime.db,
        person_id=actor.known_id,
        value=_action(body).get("value"),
        now=runtime.clock.now(),
    )
    await reply.ephemeral(t(key, actor.locale))


async def _consent(runtime: Runtime, body: dict[str, Any], client: AsyncWebClient) -> None:
    reply = action_reply(runtime, client, body)
    actor = await known_actor(runtime, reply)
    if actor is None:
        return
    key = await networks.answer_consent_button(
        runtime.db,
        runtime.settings,
        person_id=actor.known_id,
        value=_action(body).get("value"),
        now=runtime.clock.now(),
    )
    await reply.ephemeral(t(key, actor.locale))


async def _set_matching(
    runtime: Runtime, body: dict[str, Any], client: AsyncWebClient, opt_in: bool
) -> None:
    reply = action_reply(runtime, client, body)
    actor = await known_actor(runtime, reply)
    if actor is None:
        return
    value = str(_action(body).get("value", ""))
    if not value.isdigit():
        await reply.ephemeral(t("error.generic", actor.locale))
        return
    try:
        async with runtime.db.transaction() as session:
            await networks.set_matching(
                session, person_id=actor.known_id, opt_in=opt_in, network_id=int(value)
            )
    except InvalidRequest:
        await reply.ephemeral(t("error.generic", actor.locale))
        return
    await confirm(
        reply, body, t("networks.opted_in" if opt_in else "networks.opted_out", actor.locale)
    )


async def _opt_in(runtime: Runtime, body: dict[str, Any], client: AsyncWebClient) -> None:
    await _set_matching(runtime, body, client, True)


async def _opt_out(runtime: Runtime, body: dict[str, Any], client: AsyncWebClient) -> None:
    await _set_matching(runtime, body, client, False)


async def _pause(runtime: Runtime, body: dict[str, Any], client: AsyncWebClient) -> None:
    reply = action_reply(runtime, client, body)
    actor = await actor_for(runtime, reply.user_id)
    action = _action(body)
    network_id = str(action.get("action_id", "")).partition(":")[2]
    try:
        until = date.fromisoformat(str(action.get("selected_date", "")))
    except ValueError:
        until = None
    if actor.person_id is None or until is None or not network_id.isdigit():
        await reply.ephemeral(t("error.generic", actor.locale))
        return
    # Slack's date picker offers past days too; a pause that is already over would change
    # nothing, and Home would look as if the click was lost.
    if until <= runtime.clock.now().astimezone(runtime.settings.zone).date():
        await reply.ephemeral(t("networks.pause_not_future", actor.locale))
        return
    try:
        async with runtime.db.transaction() as session:
            await networks.pause_matching(
                session, person_id=actor.person_id, until=until, network_id=int(network_id)
            )
    except InvalidRequest:
        await reply.ephemeral(t("error.generic", actor.locale))
        return
    await confirm(
        reply, body, t("networks.paused", actor.locale, day=format_day(until, actor.locale))
    )


async def _start_dm(runtime: Runtime, body: dict[str, Any], client: AsyncWebClient) -> None:
    reply = action_reply(runtime, client, body)
    actor = await actor_for(runtime, reply.user_id)
    target = str(_action(body).get("value", ""))
    async with runtime.db.session() as session:
        # Only someone who chose to be findable can be reached this way.
        profile = await networks.findable_profile(session, slack_user_id=target)
    if not actor.known or profile is None or target == reply.user_id:
        await reply.ephemeral(t("error.generic", actor.locale))
        return
    opened = await client.conversations_open(users=f"{reply.user_id},{target}")
    channel = str(opened["channel"]["id"])
    intro = t(
        "networks.directory.dm_intro",
        actor.locale,
        me=Markup(f"<@{reply.user_id}>"),
        them=Markup(f"<@{target}>"),
    )
    await client.chat_postMessage(channel=channel, text=intro)


async def _edit_profile(runtime: Runtime, body: dict[str, Any], client: AsyncWebClient) -> None:
    actor = await actor_for(runtime, str(body.get("user", {}).get("id", "")))
    if actor.person_id is None:
        return
    async with runtime.db.session() as session:
        person = await networks.own_person(session, person_id=actor.person_id)
    if person is None:
        return
    await client.views_open(
        trigger_id=body["trigger_id"], view=build_profile_modal(person, actor.locale)
    )


Handler = Callable[[Runtime, dict[str, Any], AsyncWebClient], Awaitable[None]]


def _acked(runtime: Runtime, handle: Handler) -> Callable[..., Awaitable[None]]:
    """A Bolt listener that acks first, then does the work."""

    async def listener(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await handle(runtime, body, client)

    return listener


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Listen for the network buttons (action ids are prefixes; the answer follows a colon)."""
    app.action(re.compile(rf"^{networks.ACTION_CHECKIN}:"))(_acked(runtime, _checkin))
    app.action(re.compile(rf"^{networks.ACTION_CONSENT}:"))(_acked(runtime, _consent))
    app.action(re.compile(rf"^{networks.ACTION_OPT_IN}(:|$)"))(_acked(runtime, _opt_in))
    app.action(re.compile(rf"^{networks.ACTION_OPT_OUT}(:|$)"))(_acked(runtime, _opt_out))
    app.action(re.compile(rf"^{ACTION_PAUSE}:"))(_acked(runtime, _pause))
    app.action(networks.ACTION_START_DM)(_acked(runtime, _start_dm))
    app.action(ACTION_EDIT_PROFILE)(_acked(runtime, _edit_profile))
