"""Install and membership events: store the conversation reference, welcome, match the roster.

Personal scope (installationUpdate "add", or conversationUpdate adding the bot): the person's
1:1 conversation is stored on their Teams identity and they get the welcome card. Team scope:
the team's roster (pagedmembers) is matched to people by email/UPN and the result posted in
the team; programme people missing from the team are listed only to staff.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from bot.identities import (
    TeamsUser,
    forget_teams_conversation,
    match_roster,
    remember_teams_user,
    send_once,
    without_conversation,
)
from bot.messages import normalise_locale
from bot.people import actor_for_person
from bot.runtime import Runtime
from handlers.teams.cards import attachment, build_card
from handlers.teams.connector import ConnectorError
from handlers.teams.context import Incoming, identify, incoming
from handlers.teams.views import roster_message, text_message, welcome_message

logger = logging.getLogger(__name__)


def card_activity(card: dict[str, Any]) -> Any:
    """An SDK message Activity carrying one Adaptive Card."""
    from microsoft_agents.activity import Activity, Attachment

    item = attachment(card)
    return Activity(
        type="message",
        attachments=[Attachment(content_type=item["contentType"], content=item["content"])],
    )


async def send_card(
    teams: Any, context: Any, message: Any, extra: Sequence[dict[str, Any]] = ()
) -> None:
    """Reply in the conversation of the turn with one card (limiter, Retry-After, retries).

    `extra` elements (a chart image) go at the end of the card's body.
    """
    from handlers.teams.replies import reply_card

    card = build_card(message)
    card["body"].extend(extra)
    await reply_card(teams, context.activity, card)


def _members_to_users(members: list[dict[str, Any]], tenant: str | None) -> list[TeamsUser]:
    return [
        TeamsUser(
            user_id=str(m.get("id") or ""),
            aad_object_id=m.get("aadObjectId"),
            tenant_id=m.get("tenantId") or tenant,
            email=m.get("email") or m.get("userPrincipalName"),
            name=m.get("name"),
        )
        for m in members
        if m.get("id")
    ]


def register(teams: Any, runtime: Runtime) -> None:
    agent = teams.agent

    async def personal_install(context: Any, where: Incoming) -> None:
        actor = await identify(runtime, teams.connector, where)
        locale = actor.locale
        if actor.person is None:
            from bot.messages import t

            await send_card(teams, context, text_message(t("error.unknown_user", locale), locale))
            return
        async with runtime.db.transaction() as session:
            await send_once(
                session,
                key=f"teams:welcome:{actor.person_id}",
                person=actor.person,
                message=welcome_message(actor.person.name, locale),
                settings=runtime.settings,
                now=runtime.clock.now(),
            )

    async def team_install(context: Any, where: Incoming) -> None:
        from bot.messages import t

        locale = normalise_locale(where.locale)
        team = where.team_id or where.conversation_id
        try:
            members = await teams.connector.paged_members(where.service_url, team)
        except ConnectorError as exc:
            await send_card(
                teams,
                context,
                text_message(t("teams.roster.failed", locale, error=f"HTTP {exc.status}"), locale),
            )
            return
        users = _members_to_users(members, where.user.tenant_id)
        async with runtime.db.transaction() as session:
            match = await match_roster(session, users, now=runtime.clock.now())
            installer = next((p for p, u in match.matched if u.user_id == where.user.user_id), None)
            actor = await actor_for_person(
                session=session, settings=runtime.settings, person=installer, locale=locale
            )
        logger.info(
            "Matched a Teams roster: %d of %d members in the programme",
            len(match.matched),
            len(users),
        )
        await send_card(
            teams,
            context,
            roster_message(match, members=len(users), locale=actor.locale, staff=actor.is_staff),
        )
        await open_personal_chats(where, [u for _, u in match.matched])

    async def open_personal_chats(where: Incoming, users: list[TeamsUser]) -> None:
        """A 1:1 chat for each matched member who has none yet (the bot is in their team, so
        Teams lets it start one); stored like a chat the person opened."""
        async with runtime.db.session() as session:
            missing = await without_conversation(session, [u.user_id for u in users])
        opened = 0
        for user in users:
            if user.user_id not in missing:
                continue
            await teams.notifier.limiter.acquire("conversations", teams.notifier.tenant_id)
            try:
                conversation_id = await teams.connector.create_conversation(
                    where.service_url,
                    user_id=user.user_id,
                    tenant_id=user.tenant_id or where.user.tenant_id,
                    bot_id=teams.notifier.bot_id,
                )
            except ConnectorError as exc:
                logger.warning("Failed to open a 1:1 Teams chat (%s)", exc.status)
                continue
            async with runtime.db.transaction() as session:
                await remember_teams_user(
                    session,
                    user,
                    now=runtime.clock.now(),
                    service_url=where.service_url,
                    conversation_id=conversation_id,
                )
            opened += 1
        if opened:
            logger.info("Opened %d 1:1 Teams chats for matched team members", opened)

    async def installed(context: Any) -> None:
        where = incoming(context.activity)
        if where.personal:
            await personal_install(context, where)
        else:
            await team_install(context, where)

    @agent.activity("installationUpdate")
    async def on_installation(context: Any, _state: Any) -> None:
        action = str(getattr(context.activity, "action", "") or "")
        if action.startswith("remove"):
            where = incoming(context.activity)
            if where.personal:
                async with runtime.db.transaction() as session:
                    await forget_teams_conversation(
                        session, user_id=where.user.user_id, now=runtime.clock.now()
                    )
            return
        await installed(context)

    @agent.conversation_update("membersAdded")
    async def on_members_added(context: Any, _state: Any) -> None:
        activity = context.activity
        bot_id = getattr(activity.recipient, "id", None)
        added = [getattr(m, "id", None) for m in activity.members_added or []]
        # Teams sends installationUpdate too; conversationUpdate is what older clients and the
        # Playground send. Both store the same reference and queue the same welcome (one
        # outbox key per person), so the person is welcomed once.
        if bot_id in added:
            await installed(context)
            return
        where = incoming(activity)
        if not where.personal and added:
            await members_joined(where)

    async def members_joined(where: Incoming) -> None:
        """New members of a team the bot is in: matched and given a 1:1 chat, silently."""
        team = where.team_id or where.conversation_id
        try:
            members = await teams.connector.paged_members(where.service_url, team)
        except ConnectorError as exc:
            logger.warning("Failed to read a Teams roster after members joined (%s)", exc.status)
            return
        async with runtime.db.transaction() as session:
            match = await match_roster(
                session, _members_to_users(members, where.user.tenant_id), now=runtime.clock.now()
            )
        await open_personal_chats(where, [u for _, u in match.matched])
