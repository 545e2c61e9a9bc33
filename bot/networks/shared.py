"""What the network sub-domains share: constants, names, audit and delivery (the channel port
`ChannelAdmin` lives in `bot.steps`, re-exported here)."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import delivery, identities
from bot.identities import Reach
from bot.messages import Markup
from bot.notifier import OutgoingMessage
from bot.people import Actor, require_staff
from bot.settings import Settings
from bot.steps import ChannelAdmin as ChannelAdmin
from bot.text import user
from storage.models import Cohort, CohortClass, EnrolmentStatus, Person
from storage.queries import people as people_q

logger = logging.getLogger(__name__)

IGNORED_LIMIT = 3
PROMPT_COUNT = 5
CHECKIN_ANSWERS = ("yes", "not_yet", "could_not")
ACTIVE_STATUSES = (EnrolmentStatus.ACTIVE, EnrolmentStatus.ADMITTED)
MAX_CHANNEL_NAME = 80
# The job lock (bot.claims.serialise) that network answers take, so clicks are applied in turn.
ANSWER_LOCK = "network_answer"

# Action ids the Slack adapter listens for, as prefixes: Slack wants the ids in one actions
# block to differ, so each button is "<prefix>:<answer>" (values "<group_id>:<answer>",
# "<cohort_id>:yes").
ACTION_CHECKIN = "network_checkin"
ACTION_CONSENT = "alumni_consent"
ACTION_OPT_IN = "matching_opt_in"
ACTION_OPT_OUT = "matching_opt_out"
ACTION_START_DM = "directory_start_dm"


class InvalidRequest(ValueError):
    """Bad input (unknown group, person or answer); nothing was changed."""


# --- names ---------------------------------------------------------------------------------

_TRANSLITERATE = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ä": "a", "ö": "o", "ü": "u"})


def slack_name(*parts: str | None) -> str:
    """Join parts into a Slack-valid channel name: lowercase, a-z0-9-_ only, ≤ 80 chars.

    >>> slack_name("lu", "2026H", "Tromsø")
    'lu-2026h-tromso'
    """
    text = "-".join(p for p in parts if p).lower().translate(_TRANSLITERATE)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9_-]+", "-", text)
    text = re.sub(r"-{2,}", "-", text).strip("-_")
    return text[:MAX_CHANNEL_NAME].rstrip("-_") or "channel"


def cohort_channel_name(settings: Settings, cohort: Cohort) -> str:
    return slack_name(settings.channel_prefix, cohort.key)


def class_place(klass: CohortClass, classes: Sequence[CohortClass] = ()) -> str:
    """What a class's channel names say after the cohort: its city, unless another of the
    cohort's `classes` has a city (or key) that makes the same name — two Oslo classes would
    ask for one channel, and the second would adopt the first's — then its key, unique in
    the cohort."""
    mine = slack_name(klass.city or klass.key)
    if any(c.id != klass.id and slack_name(c.city or c.key) == mine for c in classes):
        return klass.key
    return klass.city or klass.key


def class_channel_name(
    settings: Settings, cohort: Cohort, klass: CohortClass, classes: Sequence[CohortClass] = ()
) -> str:
    return slack_name(settings.channel_prefix, cohort.key, class_place(klass, classes))


def peer_group_channel_name(
    settings: Settings,
    cohort: Cohort,
    klass: CohortClass,
    number: int,
    generation: int,
    classes: Sequence[CohortClass] = (),
) -> str:
    suffix = f"r{generation}" if generation > 1 else None
    return slack_name(
        settings.channel_prefix,
        cohort.key,
        class_place(klass, classes),
        "gruppe",
        str(number),
        suffix,
    )


def alumni_channel_name(settings: Settings, region: str | None = None) -> str:
    return slack_name(settings.channel_prefix, "alumni", region)


def _audit_actor(actor: Actor | None) -> tuple[str, int | None]:
    if actor is None:
        return "system", None
    pid = actor.person_id
    return (f"person:{pid}" if pid else f"slack:{actor.slack_user_id}"), pid


def _staff(actor: Actor | None) -> None:
    """Refuse non-staff; None is the CLI or a job, which are trusted."""
    if actor is not None:
        require_staff(actor)


CHAT_TRANSPORTS = ("slack", identities.TEAMS)


async def reaches(session: AsyncSession, people: Sequence[Person]) -> dict[int, Reach]:
    """Where each person is reached ("reach this person"): Slack, else Teams, else email."""
    ids = [p.id for p in people if p.id is not None]
    teams = await identities.teams_identities(session, ids)
    slack = await identities.slack_identities(session, ids)
    return {
        p.id: identities.reach(email=p.email, teams=teams.get(p.id), slack=slack.get(p.id))
        for p in people
        if p.id is not None
    }


async def slack_ids(session: AsyncSession, people: Sequence[Person]) -> dict[int, str]:
    """{person id: Slack user id} of the people with a Slack identity (active or not): the
    accounts channel invites and removals name."""
    return await people_q.slack_ids_of(
        session=session, person_ids=[p.id for p in people if p.id is not None]
    )


def in_chat(where: Reach | None) -> bool:
    """Reached in a chat (Slack or Teams): networks' intros and check-ins need one."""
    return where is not None and where.transport in CHAT_TRANSPORTS


async def _deliver(
    session: AsyncSession,
    settings: Settings,
    *,
    key: str,
    kind: str,
    target: str,
    message: OutgoingMessage,
    send_at: datetime,
    audience: str,
    person_id: int | None = None,
    source: str | None = None,
    tz: str | None = None,
    now: datetime | None = None,
    transport: str = "slack",
) -> bool:
    return await delivery.schedule(
        session,
        key=key,
        transport=transport,
        kind=kind,
        target=target,
        message=message,
        send_at=send_at,
        audience=audience,
        settings=settings,
        person_id=person_id,
        source=source,
        tz=tz,
        now=now,
    )


async def _deliver_to(
    session: AsyncSession,
    settings: Settings,
    where: Reach,
    *,
    key: str,
    kind: str,
    message: OutgoingMessage,
    send_at: datetime,
    audience: str,
    person: Person,
    source: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Queue a message to one person wherever `where` says they are reached."""
    return await _deliver(
        session,
        settings,
        now=now,
        key=key,
        kind=kind,
        target=where.target,
        transport=where.transport,
        message=message,
        send_at=send_at,
        audience=audience,
        person_id=person.id,
        source=source,
        tz=person.timezone,
    )


def _mention(person: Person, where: Mapping[int, Reach]) -> Markup:
    """The person as a Slack mention when Slack reaches them, else by name."""
    reached = where.get(person.id) if person.id is not None else None
    return user(reached.target if reached and reached.transport == "slack" else None, person.name)


def _group_locale(people: Sequence[Person]) -> str:
    """English only when everyone in the group reads English."""
    return "en" if people and all(p.locale == "en" for p in people) else "nb"


def split_answer_value(value: object) -> tuple[int, str] | None:
    """A check-in or consent button's value, "12:yes" -> (12, "yes"); None when malformed."""
    head, _, tail = str(value or "").partition(":")
    return (int(head), tail) if head.isdigit() and tail else None
