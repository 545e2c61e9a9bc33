"""Plain values from an incoming Teams activity, and who is behind it."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from bot.identities import TeamsUser, person_for_teams_user, remember_teams_user
from bot.people import Actor, actor_for_person, is_listed_email, recognise_listed
from bot.runtime import Runtime
from handlers.teams.connector import ConnectorError, TeamsConnector

logger = logging.getLogger(__name__)

MENTION = re.compile(r"<at>[^<]*</at>", re.IGNORECASE)


@dataclass(frozen=True)
class Incoming:
    """What the handlers need from an activity, as plain values."""

    user: TeamsUser
    service_url: str
    conversation_id: str
    conversation_type: str  # personal | groupChat | channel
    team_id: str | None
    locale: str | None
    reference: dict[str, Any]

    @property
    def personal(self) -> bool:
        return self.conversation_type == "personal"


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        if obj is None:
            return None
        obj = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return obj


_REFERENCE_KEYS = ("user", "bot", "conversation", "channelId", "serviceUrl", "locale")


def incoming(activity: Any) -> Incoming:
    """Parse the SDK's Activity into plain values."""
    channel_data = activity.channel_data or {}
    if not isinstance(channel_data, dict):
        channel_data = (
            channel_data.model_dump(by_alias=True) if hasattr(channel_data, "model_dump") else {}
        )
    tenant = _get(activity, "conversation", "tenant_id") or _get(channel_data, "tenant", "id")
    sender = activity.from_property
    try:
        reference = activity.get_conversation_reference().model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
    except Exception:
        reference = {}
    # Keep what a proactive send needs, nothing of this one activity (its id, the request id
    # change with every message and click: kept, they would rewrite the stored reference at
    # the moment someone answers an anonymous pulse — docs/privacy.md).
    reference = {k: v for k, v in reference.items() if k in _REFERENCE_KEYS}
    return Incoming(
        user=TeamsUser(
            user_id=str(_get(sender, "id") or ""),
            aad_object_id=_get(sender, "aad_object_id"),
            tenant_id=tenant,
            name=_get(sender, "name"),
        ),
        service_url=str(activity.service_url or ""),
        conversation_id=str(_get(activity, "conversation", "id") or ""),
        conversation_type=str(_get(activity, "conversation", "conversation_type") or "personal"),
        team_id=_get(channel_data, "team", "id"),
        locale=activity.locale,
        reference=reference,
    )


def command_text(activity: Any) -> str:
    """The words of a message, without the bot's @mention (team and group chats)."""
    return " ".join(MENTION.sub(" ", activity.text or "").split())


async def member_email(connector: TeamsConnector, where: Incoming) -> tuple[str | None, str | None]:
    """(email or UPN, name) of the sender, from the conversation's roster; None when unknown."""
    try:
        members = await connector.paged_members(where.service_url, where.conversation_id)
    except ConnectorError as exc:
        logger.warning("Failed to read the members of a Teams conversation: %s", exc.status)
        return None, None
    except Exception:
        logger.exception("Failed to read the members of a Teams conversation")
        return None, None
    for member in members:
        if member.get("id") == where.user.user_id or (
            where.user.aad_object_id and member.get("aadObjectId") == where.user.aad_object_id
        ):
            return member.get("email") or member.get("userPrincipalName"), member.get("name")
    return None, None


async def identify(runtime: Runtime, connector: TeamsConnector, where: Incoming) -> Actor:
    """Who wrote: by stored identity, else by email/UPN from the roster; their 1:1 chat is kept.

    An unknown person gets an Actor without a person (and nothing is stored about them),
    unless COHORTBOT_STAFF_EMAILS or COHORTBOT_EVALUATOR_EMAILS lists their email.
    """
    now = runtime.clock.now()
    personal = {"service_url": where.service_url, "conversation_id": where.conversation_id}
    async with runtime.db.transaction() as session:
        person = await person_for_teams_user(session, where.user)
        if person is not None:
            if where.personal:
                await remember_teams_user(
                    session, where.user, now=now, reference=where.reference, **personal
                )
            return await actor_for_person(
                session=session, settings=runtime.settings, person=person, locale=where.locale
            )
    email, name = await member_email(connector, where)
    user = TeamsUser(
        where.user.user_id, where.user.aad_object_id, where.user.tenant_id, email, name
    )
    async with runtime.db.transaction() as session:
        extra = dict(personal, reference=where.reference) if where.personal else {}
        person = await remember_teams_user(session, user, now=now, **extra)  # type: ignore[arg-type]
        if person is None and is_listed_email(runtime.settings, email):
            # Staff and the Directorate's evaluators are rarely imported: recognised by the
            # email Teams gives, as Slack recognises them (bot.people.recognise_listed).
            listed = await recognise_listed(
                session=session,
                settings=runtime.settings,
                email=email,
                name=name,
                locale=where.locale,
                platform="teams",
            )
            if listed is not None:
                person = await remember_teams_user(session, user, now=now, **extra)  # type: ignore[arg-type]
        return await actor_for_person(
            session=session, settings=runtime.settings, person=person, locale=where.locale
        )
