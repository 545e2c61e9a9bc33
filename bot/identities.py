"""Reach this person: the transport and address the delivery layer uses for one person.

A person has an identity per platform, each a `PersonIdentity` row: Slack (their user id, and
whether the account is active), Teams (with the conversation reference of their 1:1 chat with
the bot); and always their email.
The domain asks `reach(...)` and writes what it answers into the outbox; the transport renders.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery import schedule
from bot.notifier import OutgoingMessage
from bot.settings import Settings
from storage.emails import canonical_email
from storage.models import Person, PersonIdentity
from storage.queries import identities as q

TEAMS = "teams"
SLACK = "slack"
SEPARATOR = "|"


def teams_target(conversation_id: str, service_url: str) -> str:
    """The outbox target of a Teams conversation: "<conversation id>|<serviceUrl>"."""
    return f"{conversation_id}{SEPARATOR}{service_url.rstrip('/')}"


def parse_teams_target(target: str) -> tuple[str, str]:
    """(conversation id, serviceUrl) from `teams_target`; ValueError when malformed."""
    conversation_id, sep, service_url = target.rpartition(SEPARATOR)
    if not sep or not conversation_id or not service_url.startswith(("http://", "https://")):
        raise ValueError("not a Teams target")
    return conversation_id, service_url


@dataclass(frozen=True)
class Reach:
    """Where one message to one person goes."""

    transport: str  # "slack" | "teams" | "email"
    target: str


def reach(
    *,
    email: str,
    slack_user_id: str | None = None,
    slack_active: bool = True,
    teams: PersonIdentity | None = None,
    slack: PersonIdentity | None = None,
) -> Reach:
    """Slack when the person is there, else Teams when they have the app, else email.

    The Slack identity comes as the row (`slack`) or as its values from a query's join.
    """
    if slack is not None:
        slack_user_id, slack_active = slack.user_id, slack.active
    if slack_user_id and slack_active:
        return Reach("slack", slack_user_id)
    if teams is not None and teams.active and teams.conversation_id and teams.service_url:
        return Reach(TEAMS, teams_target(teams.conversation_id, teams.service_url))
    return Reach("email", email)


async def teams_identities(
    session: AsyncSession, person_ids: Iterable[int]
) -> dict[int, PersonIdentity]:
    """The Teams identities that can be posted to, by person id (one query per 500)."""
    return await q.reachable_identities(session=session, person_ids=person_ids, platform=TEAMS)


async def slack_identities(
    session: AsyncSession, person_ids: Iterable[int]
) -> dict[int, PersonIdentity]:
    """The Slack identities, active or not, by person id (one query per 500)."""
    return await q.identities_by_person(session=session, person_ids=person_ids, platform=SLACK)


async def without_conversation(session: AsyncSession, user_ids: Iterable[str]) -> set[str]:
    """Of these Teams user ids, those whose person has no 1:1 chat with the bot stored."""
    return await q.users_without_conversation(
        session=session, platform=TEAMS, user_ids=list(user_ids)
    )


async def reach_person(session: AsyncSession, person: Person) -> Reach:
    """`reach` for one person row."""
    teams = slack = None
    if person.id is not None:
        teams = (await teams_identities(session, [person.id])).get(person.id)
        slack = (await slack_identities(session, [person.id])).get(person.id)
    return reach(email=person.email, teams=teams, slack=slack)


# --- Teams users ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamsUser:
    """Who wrote or installed, as the Teams channel names them (plain values)."""

    user_id: str
    aad_object_id: str | None = None
    tenant_id: str | None = None
    email: str | None = None  # email or UPN, when known (roster, or the activity)
    name: str | None = None


async def person_for_teams_user(session: AsyncSession, user: TeamsUser) -> Person | None:
    """The person behind a Teams user: by identity first, then by email/UPN."""
    person = await q.get_person_by_identity(
        session=session, platform=TEAMS, user_id=user.user_id, aad_object_id=user.aad_object_id
    )
    if person is None and user.email:
        found = await q.people_by_emails(session=session, emails=[user.email])
        person = found.get(canonical_email(user.email))
    return person


async def remember_teams_user(
    session: AsyncSession,
    user: TeamsUser,
    *,
    now: datetime,
    service_url: str | None = None,
    conversation_id: str | None = None,
    reference: dict[str, Any] | None = None,
) -> Person | None:
    """Store the user's identity (and their 1:1 conversation, when given) on their person.

    Returns the person, or None when nobody in the programme matches (then nothing is stored).
    """
    person = await person_for_teams_user(session, user)
    if person is None or person.id is None:
        return None
    await q.save_identity(
        session=session,
        person_id=person.id,
        platform=TEAMS,
        user_id=user.user_id,
        now=now,
        aad_object_id=user.aad_object_id,
        tenant_id=user.tenant_id,
        service_url=service_url,
        conversation_id=conversation_id,
        reference=reference,
    )
    return person


async def forget_teams_conversation(session: AsyncSession, *, user_id: str, now: datetime) -> bool:
    """The user removed the app: stop posting to their chat (Slack/email take over)."""
    return await q.deactivate_identity(session=session, platform=TEAMS, user_id=user_id, now=now)


@dataclass(frozen=True)
class RosterMatch:
    """Roster members matched to people by email/UPN; the people of the programme not found."""

    matched: list[tuple[Person, TeamsUser]]
    unknown_members: list[TeamsUser]  # in the team but not in the programme
    not_found: list[Person]  # active in the programme but not in this team


async def match_roster(
    session: AsyncSession, members: Iterable[TeamsUser], *, now: datetime
) -> RosterMatch:
    """Match a team's roster (pagedmembers) to people by email or UPN, case-insensitively.

    Matched members get their Teams identity stored (without a conversation: that comes when
    a 1:1 chat is created or they write).
    """
    members = list(members)
    people = await q.people_by_emails(session=session, emails=[m.email for m in members if m.email])
    matched: list[tuple[Person, TeamsUser]] = []
    unknown: list[TeamsUser] = []
    for member in members:
        person = people.get(canonical_email(member.email or ""))
        if person is None or person.id is None:
            unknown.append(member)
            continue
        await q.save_identity(
            session=session,
            person_id=person.id,
            platform=TEAMS,
            user_id=member.user_id,
            now=now,
            aad_object_id=member.aad_object_id,
            tenant_id=member.tenant_id,
        )
        matched.append((person, member))
    found = {p.id for p, _ in matched}
    active = await q.active_programme_people(session=session)
    return RosterMatch(
        matched=matched,
        unknown_members=unknown,
        not_found=[p for p in active if p.id not in found],
    )


async def delivered_message(
    session: AsyncSession, *, key: str, person_id: int | None
) -> dict[str, Any] | None:
    """The stored message of a Teams delivery, for the card that answers a click on it.

    The key comes back from the card (so from the client): only a delivery to this person, or
    a post to a channel, is given back; anyone else's message never is.
    """
    row = await q.get_delivery_by_key(session=session, dedupe_key=key)
    if row is None or row.transport != TEAMS:
        return None
    if row.person_id is not None and row.person_id != person_id:
        return None
    if row.person_id is None and (person_id is None or row.kind != "assignment_post"):
        return None
    return dict(row.message)


async def send_once(
    session: AsyncSession,
    *,
    key: str,
    person: Person,
    message: OutgoingMessage,
    settings: Settings,
    now: datetime,
    kind: str = "welcome",
) -> bool:
    """Queue `message` to the person wherever they are reached; the same key sends once."""
    where = await reach_person(session, person)
    return await schedule(
        session,
        now=now,
        key=key,
        transport=where.transport,
        kind=kind,
        target=where.target,
        message=message,
        send_at=now,
        audience="participant",
        settings=settings,
        person_id=person.id,
        urgent=True,
    )


# --- installing the app for people (Microsoft Graph) ---------------------------------------

APP_INSTALL = "teams_install"  # the outbox transport and kind (handlers/teams/graph.py)


@dataclass(frozen=True)
class InstallPlan:
    """What `queue_app_installs` did: people queued, and those left alone with the reason."""

    queued: list[Person]
    in_chat: int  # reached in Slack or Teams already: nothing to install
    queued_before: int  # an install step exists already (done, or waiting)


async def queue_app_installs(
    session: AsyncSession, settings: Settings, *, now: datetime, dry_run: bool = False
) -> InstallPlan:
    """Queue a Graph install of the Teams app for everyone in the programme reached by email.

    One outbox step per person (key `teams-install:<person id>`, so asking again queues
    nobody twice), addressed by their Entra object id when a roster gave it, else by their
    email as UPN. People reached in Slack or Teams are left alone.
    """
    people = await q.active_programme_people(session=session)
    teams = await teams_identities(session, [p.id for p in people if p.id is not None])
    slack = await slack_identities(session, [p.id for p in people if p.id is not None])
    known = await q.identities_by_person(
        session=session, person_ids=[p.id for p in people if p.id is not None], platform=TEAMS
    )
    queued: list[Person] = []
    in_chat = before = 0
    for person in people:
        assert person.id is not None
        where = reach(email=person.email, teams=teams.get(person.id), slack=slack.get(person.id))
        if where.transport != "email":
            in_chat += 1
            continue
        key = f"teams-install:{person.id}"
        if await q.get_delivery_by_key(session=session, dedupe_key=key) is not None:
            before += 1
            continue
        identity = known.get(person.id)
        target = (identity.aad_object_id if identity else None) or person.email
        if not dry_run:
            await schedule(
                session,
                now=now,
                key=key,
                transport=APP_INSTALL,
                kind=APP_INSTALL,
                target=target,
                message=OutgoingMessage(text="Install the Teams app", locale=person.locale),
                send_at=now,
                audience="participant",
                settings=settings,
                person_id=person.id,
                urgent=True,
            )
        queued.append(person)
    return InstallPlan(queued, in_chat, before)
