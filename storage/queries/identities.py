"""Per-platform identities of people (Slack, Teams): who is who, and where to reach them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.emails import canonical_email
from storage.models import (
    Delivery,
    Enrolment,
    EnrolmentStatus,
    LineManagerLink,
    Person,
    PersonIdentity,
)
from storage.queries import bulk
from storage.queries.people import list_people_by_emails


async def get_identity(
    *, session: AsyncSession, platform: str, user_id: str
) -> PersonIdentity | None:
    result = await session.execute(
        select(PersonIdentity).where(
            col(PersonIdentity.platform) == platform, col(PersonIdentity.user_id) == user_id
        )
    )
    return result.scalar_one_or_none()


async def get_person_by_identity(
    *, session: AsyncSession, platform: str, user_id: str, aad_object_id: str | None = None
) -> Person | None:
    """The person behind a platform user id (or, for Teams, their Entra object id)."""
    match = col(PersonIdentity.user_id) == user_id
    if aad_object_id:
        match = or_(match, col(PersonIdentity.aad_object_id) == aad_object_id)
    result = await session.execute(
        select(Person)
        .join(PersonIdentity, col(PersonIdentity.person_id) == col(Person.id))
        .where(col(PersonIdentity.platform) == platform, match)
        .limit(1)
    )
    return result.scalar_one_or_none()


async def identity_for_person(
    *, session: AsyncSession, person_id: int, platform: str
) -> PersonIdentity | None:
    result = await session.execute(
        select(PersonIdentity).where(
            col(PersonIdentity.person_id) == person_id, col(PersonIdentity.platform) == platform
        )
    )
    return result.scalar_one_or_none()


async def reachable_identities(
    *, session: AsyncSession, person_ids: Iterable[int], platform: str
) -> dict[int, PersonIdentity]:
    """Active identities with a conversation to post to, by person id."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    out: dict[int, PersonIdentity] = {}
    for start in range(0, len(ids), 500):
        result = await session.execute(
            select(PersonIdentity).where(
                col(PersonIdentity.platform) == platform,
                col(PersonIdentity.person_id).in_(ids[start : start + 500]),
                col(PersonIdentity.active).is_(True),
                col(PersonIdentity.conversation_id).is_not(None),
                col(PersonIdentity.service_url).is_not(None),
            )
        )
        out.update({row.person_id: row for row in result.scalars().all()})
    return out


async def identities_by_person(
    *, session: AsyncSession, person_ids: Iterable[int], platform: str
) -> dict[int, PersonIdentity]:
    """Every identity on `platform`, with or without a conversation, by person id."""
    ids = sorted(set(person_ids))
    out: dict[int, PersonIdentity] = {}
    for start in range(0, len(ids), 500):
        result = await session.execute(
            select(PersonIdentity).where(
                col(PersonIdentity.platform) == platform,
                col(PersonIdentity.person_id).in_(ids[start : start + 500]),
            )
        )
        out.update({row.person_id: row for row in result.scalars().all()})
    return out


class IdentityTaken(Exception):
    """The platform id belongs to another person, and this platform's ids never move."""

    def __init__(self, platform: str, user_id: str, holder_id: int) -> None:
        super().__init__(f"{platform} id {user_id} belongs to person {holder_id}")
        self.platform = platform
        self.user_id = user_id
        self.holder_id = holder_id


async def save_identity(
    *,
    session: AsyncSession,
    person_id: int,
    platform: str,
    user_id: str,
    now: datetime,
    active: bool = True,
    take_over: bool = True,
    aad_object_id: str | None = None,
    tenant_id: str | None = None,
    service_url: str | None = None,
    conversation_id: str | None = None,
    reference: dict[str, Any] | None = None,
) -> PersonIdentity:
    """Insert or update the person's identity on `platform`; fields given as None are kept.

    Safe against a concurrent save of the same identity (Teams sends installationUpdate and
    conversationUpdate for one install at once): the insert runs in a savepoint, and losing the
    race turns into an update of the winner's row.

    A platform id held by another person moves to this one with `take_over` (a re-used Teams
    account); without it (Slack: the id is the account, and a file or a lookup must never
    steal it) IdentityTaken is raised and nothing is written.
    """
    other = await get_identity(session=session, platform=platform, user_id=user_id)
    if other is not None and other.person_id != person_id:
        if not take_over:
            raise IdentityTaken(platform, user_id, other.person_id)
        await session.delete(other)
        await session.flush()
    row = await identity_for_person(session=session, person_id=person_id, platform=platform)
    if row is None:
        row = PersonIdentity(
            person_id=person_id,
            platform=platform,
            user_id=user_id,
            created_at=now,
            updated_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(row)
                await session.flush()
        except IntegrityError:
            row = await identity_for_person(session=session, person_id=person_id, platform=platform)
            if row is None:
                raise
    wanted: dict[str, Any] = {"user_id": user_id, "active": active}
    for name, value in (
        ("aad_object_id", aad_object_id),
        ("tenant_id", tenant_id),
        ("service_url", service_url),
        ("conversation_id", conversation_id),
        ("reference", reference),
    ):
        if value is not None:
            wanted[name] = value
    if all(getattr(row, name) == value for name, value in wanted.items()):
        # Nothing new: write nothing. Every activity comes through here, a click on an anonymous
        # pulse too, and a row rewritten at that moment (its time, its transaction id) would
        # say who answered when (docs/privacy.md).
        return row
    for name, value in wanted.items():
        setattr(row, name, value)
    row.updated_at = now
    session.add(row)
    await session.flush()
    return row


async def delete_identity(*, session: AsyncSession, person_id: int, platform: str) -> bool:
    """Forget the person's identity on `platform` (unlinked, or erased)."""
    row = await identity_for_person(session=session, person_id=person_id, platform=platform)
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def deactivate_identity(
    *, session: AsyncSession, platform: str, user_id: str, now: datetime
) -> bool:
    """The person removed the app: stop posting there (the row stays for who-is-who)."""
    row = await get_identity(session=session, platform=platform, user_id=user_id)
    if row is None or not row.active:
        return False
    row.active = False
    row.updated_at = now
    session.add(row)
    await session.flush()
    return True


async def people_by_emails(*, session: AsyncSession, emails: Iterable[str]) -> dict[str, Person]:
    """People with one of `emails` (any case or form), keyed by their canonical email.

    Stored emails are canonical (`storage.emails`), so this is the exact, indexed lookup of
    `people.list_people_by_emails`, not a second one.
    """
    found = await list_people_by_emails(
        session=session, emails=[e for e in emails if e and e.strip()]
    )
    return {canonical_email(p.email): p for p in found}


async def active_programme_people(*, session: AsyncSession) -> list[Person]:
    """Participants with an active or admitted enrolment and their line managers, by name."""
    enrolled = select(col(Enrolment.person_id)).where(
        col(Enrolment.status).in_([EnrolmentStatus.ACTIVE, EnrolmentStatus.ADMITTED])
    )
    managers = select(col(LineManagerLink.manager_id)).where(
        col(LineManagerLink.participant_id).in_(enrolled)
    )
    result = await session.execute(
        select(Person)
        .where(or_(col(Person.id).in_(enrolled), col(Person.id).in_(managers)))
        .order_by(col(Person.name), col(Person.id))
    )
    return list(result.scalars().all())


async def get_delivery_by_key(*, session: AsyncSession, dedupe_key: str) -> Delivery | None:
    result = await session.execute(select(Delivery).where(col(Delivery.dedupe_key) == dedupe_key))
    return result.scalar_one_or_none()


async def users_without_conversation(
    *, session: AsyncSession, platform: str, user_ids: list[str]
) -> set[str]:
    """Of `user_ids`, those without an active identity that has a conversation."""
    have: set[str] = set()
    for start in range(0, len(user_ids), 500):
        result = await session.execute(
            select(col(PersonIdentity.user_id)).where(
                col(PersonIdentity.platform) == platform,
                col(PersonIdentity.user_id).in_(user_ids[start : start + 500]),
                col(PersonIdentity.active).is_(True),
                col(PersonIdentity.conversation_id).is_not(None),
            )
        )
        have.update(result.scalars().all())
    return set(user_ids) - have


async def save_identities(
    *,
    session: AsyncSession,
    platform: str,
    wanted: dict[int, tuple[str, bool]],
    now: datetime,
) -> None:
    """`save_identity` for many people at once ({person id: (user id, active)}), no take-over.

    For imports of thousands: one read per 500 people and per 500 ids, one insert and one
    update statement per batch. Raises IdentityTaken, writing nothing, when an id belongs to a
    person not given it here — also when another transaction gave it to them meanwhile.
    """
    if not wanted:
        return
    mine = await identities_by_person(session=session, person_ids=wanted, platform=platform)
    user_ids = sorted({user_id for user_id, _ in wanted.values()})
    holders: dict[str, int] = {}
    for start in range(0, len(user_ids), 500):
        result = await session.execute(
            select(col(PersonIdentity.user_id), col(PersonIdentity.person_id)).where(
                col(PersonIdentity.platform) == platform,
                col(PersonIdentity.user_id).in_(user_ids[start : start + 500]),
            )
        )
        holders.update({u: p for u, p in result.all()})
    for person_id, (user_id, _) in sorted(wanted.items()):
        holder = holders.get(user_id)
        if holder is not None and holder != person_id:
            raise IdentityTaken(platform, user_id, holder)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for person_id, (user_id, active) in sorted(wanted.items()):
        row = mine.get(person_id)
        if row is None:
            inserts.append(
                {
                    **bulk.defaults(PersonIdentity, now=now),
                    "person_id": person_id,
                    "platform": platform,
                    "user_id": user_id,
                    "active": active,
                }
            )
        elif (row.user_id, row.active) != (user_id, active):
            updates.append({"id": row.id, "user_id": user_id, "active": active, "updated_at": now})
    try:
        async with session.begin_nested():
            await bulk.update_many(session=session, model=PersonIdentity, rows=updates)
            await bulk.insert_many(
                session=session,
                model=PersonIdentity,
                rows=inserts,
                conflict=["person_id", "platform"],
            )
    except IntegrityError:
        # Another transaction gave one of these ids to someone else after the read above (two
        # imports at once): the same refusal as if it had been there before, nothing written.
        await _raise_if_taken(session=session, platform=platform, wanted=wanted)
        raise


async def _raise_if_taken(
    *, session: AsyncSession, platform: str, wanted: dict[int, tuple[str, bool]]
) -> None:
    by_id = {user_id: person_id for person_id, (user_id, _) in wanted.items()}
    ids = sorted(by_id)
    for start in range(0, len(ids), 500):
        result = await session.execute(
            select(col(PersonIdentity.user_id), col(PersonIdentity.person_id)).where(
                col(PersonIdentity.platform) == platform,
                col(PersonIdentity.user_id).in_(ids[start : start + 500]),
            )
        )
        for user_id, holder in sorted(result.all()):
            if holder != by_id[user_id]:
                raise IdentityTaken(platform, user_id, holder)
