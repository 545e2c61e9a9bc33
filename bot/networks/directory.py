"""The opt-in directory and people's own profiles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audit
from bot.consent import record_consent
from bot.limits import PROFILE_LIMITS, too_long
from bot.networks.shared import InvalidRequest
from bot.people import Actor
from storage.models import ConsentKind, Person
from storage.queries import networks as q
from storage.queries.people import get_person_by_slack_id, slack_id_of, slack_ids_of


@dataclass(frozen=True)
class Profile:
    """What the directory shows of a person who chose to be findable."""

    person_id: int
    name: str
    slack_user_id: str | None
    municipality: str | None
    county: str | None
    service_area: str | None
    position: str | None
    project_title: str | None
    topics: str | None
    bio: str | None
    # Teams links a chat to a person by their address (UPN): shown only for the findable.
    email: str | None = None


SEARCH_FIELDS = ("name", "municipality", "county", "service_area", "project_title", "topics")
PROFILE_FIELDS = (
    "municipality",
    "county",
    "service_area",
    "workplace",
    "position",
    "project_title",
    "topics",
    "bio",
)


def _profile(person: Person, slack_user_id: str | None) -> Profile:
    assert person.id is not None
    return Profile(
        person.id,
        person.name,
        slack_user_id,
        person.municipality,
        person.county,
        person.service_area,
        person.position,
        person.project_title,
        person.topics,
        person.bio,
        person.email,
    )


async def search_directory(
    session: AsyncSession, words: str, viewer: Actor, *, limit: int = 20
) -> list[Profile]:
    """Find findable people whose profile contains every word (case- and accent-tolerant).

    Only people known to the programme may search; nobody who has not opted in is ever shown.
    Who searched and whom it showed is audited (not the words): call in a transaction.
    """
    if not viewer.known and not viewer.is_staff:
        return []
    terms = [w.casefold() for w in words.split() if w.strip()]
    found = []
    for person in await q.list_findable_people(session=session):
        if person.id == viewer.person_id:
            continue
        haystack = " ".join(str(getattr(person, f) or "") for f in SEARCH_FIELDS).casefold()
        if all(term in haystack for term in terms):
            found.append(person)
            if len(found) >= limit:
                break
    accounts = await slack_ids_of(session=session, person_ids=[p.id for p in found if p.id])
    profiles = [_profile(p, accounts.get(p.id) if p.id else None) for p in found]
    if profiles:
        await audit.record_people_read(
            session,
            actor_id=viewer.person_id,
            action="directory.search",
            person_ids=[p.person_id for p in profiles],
        )
    return profiles


async def get_profile(session: AsyncSession, *, person_id: int) -> Profile | None:
    person = await q.get_person(session=session, person_id=person_id)
    if person is None:
        return None
    return _profile(person, await slack_id_of(session=session, person_id=person.id))


async def findable_profile(session: AsyncSession, *, slack_user_id: str) -> Profile | None:
    """The profile of a findable person by Slack id; None for anyone who has not opted in."""
    person = await get_person_by_slack_id(session=session, slack_user_id=slack_user_id)
    return _profile(person, slack_user_id) if person is not None and person.findable else None


async def own_person(session: AsyncSession, *, person_id: int) -> Person | None:
    """The person's own row, for editing their profile."""
    return await q.get_person(session=session, person_id=person_id)


async def update_profile(
    session: AsyncSession,
    *,
    person_id: int,
    now: datetime,
    findable: bool | None = None,
    via: str = "slack",
    **fields: str | None,
) -> Person:
    """Let a person edit their own profile and whether they are findable (a change of the
    latter is a consent decision, kept in the history with the words of the checkbox)."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise InvalidRequest(f"not a profile field: {', '.join(sorted(unknown))}")
    over = too_long(fields, PROFILE_LIMITS)
    if over:  # a forged form: the modal stops these in the browser
        raise InvalidRequest(
            "too long: " + ", ".join(f"{k} (at most {n} characters)" for k, n in over.items())
        )
    person = await q.get_person(session=session, person_id=person_id)
    if person is None:
        raise InvalidRequest(f"unknown person {person_id}")
    cleaned: dict[str, str | None] = {
        name: (value.strip() if isinstance(value, str) else None) or None
        for name, value in fields.items()
    }
    if findable is not None and findable != person.findable:
        await record_consent(
            session,
            person_id=person_id,
            kind=ConsentKind.DIRECTORY,
            granted=findable,
            locale=person.locale,
            via=via,
            now=now,
        )
    await q.save_profile(session=session, person=person, fields=cleaned, findable=findable, now=now)
    return person
