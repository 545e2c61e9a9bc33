"""People, roles and audit queries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlmodel import SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.emails import canonical_email
from storage.models import (
    AuditEvent,
    Enrolment,
    EnrolmentStatus,
    LineManagerLink,
    Person,
    PersonIdentity,
)
from storage.queries import slack_ids as sid
from storage.queries.slack_ids import SLACK, slack_on


async def get_person_by_slack_id(*, session: AsyncSession, slack_user_id: str) -> Person | None:
    """The person whose Slack identity is `slack_user_id`."""
    result = await session.execute(
        select(Person)
        .join(PersonIdentity, slack_on(PersonIdentity, col(Person.id)))
        .where(col(PersonIdentity.user_id) == slack_user_id)
    )
    return result.scalar_one_or_none()


async def slack_states_of(
    *, session: AsyncSession, person_ids: Iterable[int]
) -> dict[int, tuple[str, bool]]:
    """{person id: (Slack user id, active)} of those of the people who have a Slack identity
    (one query per 500)."""
    wanted = sorted({p for p in person_ids if p is not None})
    out: dict[int, tuple[str, bool]] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        result = await session.execute(
            select(
                col(PersonIdentity.person_id),
                col(PersonIdentity.user_id),
                col(PersonIdentity.active),
            ).where(
                col(PersonIdentity.platform) == SLACK,
                col(PersonIdentity.person_id).in_(wanted[start : start + _IN_CHUNK]),
            )
        )
        out.update({int(p): (u, bool(a)) for p, u, a in result.all()})
    return out


async def slack_ids_of(*, session: AsyncSession, person_ids: Iterable[int]) -> dict[int, str]:
    """{person id: Slack user id} of those of the people who have one (one query per 500)."""
    states = await slack_states_of(session=session, person_ids=person_ids)
    return {pid: user_id for pid, (user_id, _) in states.items()}


async def slack_id_of(*, session: AsyncSession, person_id: int | None) -> str | None:
    """The person's Slack user id, or None."""
    if person_id is None:
        return None
    return (await slack_ids_of(session=session, person_ids=[person_id])).get(person_id)


async def get_person_by_email(*, session: AsyncSession, email: str) -> Person | None:
    result = await session.execute(
        select(Person).where(col(Person.email) == canonical_email(email))
    )
    return result.scalar_one_or_none()


async def person_roles(*, session: AsyncSession, person_id: int) -> set[str]:
    """Roles from the data: participant, alumnus, line_manager (staff is on the person)."""
    roles: set[str] = set()
    rows = await session.execute(
        select(col(Enrolment.status), col(Enrolment.is_alumnus)).where(
            col(Enrolment.person_id) == person_id
        )
    )
    for status, is_alumnus in rows.all():
        if is_alumnus:
            roles.add("alumnus")
        elif status in (EnrolmentStatus.ACTIVE, EnrolmentStatus.ADMITTED):
            roles.add("participant")
    is_manager = await session.execute(
        select(exists().where(col(LineManagerLink.manager_id) == person_id))
    )
    if is_manager.scalar():
        roles.add("line_manager")
    return roles


async def record_audit(
    *,
    session: AsyncSession,
    actor: str,
    action: str,
    actor_id: int | None = None,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
    flush: bool = False,
) -> None:
    """Write who did what to which data, in the caller's transaction.

    With `flush`, also flush it (and the caller's other changes) before returning.
    """
    session.add(
        AuditEvent(
            actor=actor, actor_id=actor_id, action=action, subject=subject, detail=detail or {}
        )
    )
    if flush:
        await session.flush()


# --- people import ---------------------------------------------------------------------------

_IN_CHUNK = 500  # keep IN (...) lists well under SQLite's and PostgreSQL's parameter limits


async def list_people_by_emails(*, session: AsyncSession, emails: Iterable[str]) -> list[Person]:
    """The people with any of these (lower-case) emails."""
    wanted = sorted({canonical_email(e) for e in emails})
    found: list[Person] = []
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        result = await session.execute(select(Person).where(col(Person.email).in_(chunk)))
        found.extend(result.scalars().all())
    return found


async def list_people_by_slack_ids(
    *, session: AsyncSession, slack_user_ids: Iterable[str]
) -> dict[str, Person]:
    """{Slack user id: the person holding it} for any of these ids that someone holds."""
    wanted = sorted(set(slack_user_ids))
    found: dict[str, Person] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        result = await session.execute(
            select(col(PersonIdentity.user_id), Person)
            .join(Person, col(Person.id) == col(PersonIdentity.person_id))
            .where(col(PersonIdentity.platform) == SLACK, col(PersonIdentity.user_id).in_(chunk))
        )
        found.update({user_id: person for user_id, person in result.all()})
    return found


async def list_enrolments(*, session: AsyncSession, cohort_id: int) -> list[Enrolment]:
    result = await session.execute(select(Enrolment).where(col(Enrolment.cohort_id) == cohort_id))
    return list(result.scalars().all())


async def list_line_manager_links(
    *, session: AsyncSession, cohort_id: int
) -> list[LineManagerLink]:
    result = await session.execute(
        select(LineManagerLink).where(col(LineManagerLink.cohort_id) == cohort_id)
    )
    return list(result.scalars().all())


async def save_rows(*, session: AsyncSession, rows: Iterable[SQLModel]) -> None:
    """Insert or update rows in the caller's transaction; new rows get their ids."""
    session.add_all(list(rows))
    await session.flush()


async def insert_person_unless_taken(*, session: AsyncSession, person: Person) -> bool:
    """Insert a new person; False (and nothing written) when their email was taken meanwhile,
    e.g. by a concurrent first contact of the same person in another transaction."""
    from sqlalchemy.exc import IntegrityError

    try:
        async with session.begin_nested():
            session.add(person)
            await session.flush()
    except IntegrityError:
        return False
    return True


async def upsert_staff(
    *,
    session: AsyncSession,
    email: str,
    name: str,
    now: datetime,
    slack_user_id: str | None = None,
) -> Person:
    """Create or update a staff member by email (and their Slack identity, when given)."""
    from storage.queries.identities import save_identity

    person = await get_person_by_email(session=session, email=email)
    if person is None:
        person = Person(email=canonical_email(email), name=name)
    person.name = name
    person.is_staff = True
    session.add(person)
    await session.flush()
    if slack_user_id:
        assert person.id is not None
        await save_identity(
            session=session,
            person_id=person.id,
            platform="slack",
            user_id=slack_user_id,
            now=now,
            take_over=False,
        )
    return person


async def slack_state_of_cohort(
    *, session: AsyncSession, cohort_id: int
) -> dict[int, tuple[str | None, bool]]:
    """person id -> (Slack user id, active) of everyone enrolled in or managing for the cohort."""
    enrolled = select(col(Enrolment.person_id)).where(col(Enrolment.cohort_id) == cohort_id)
    managing = select(col(LineManagerLink.manager_id)).where(
        col(LineManagerLink.cohort_id) == cohort_id
    )
    slack = sid.slack_alias()
    result = await session.execute(
        select(col(Person.id), sid.slack_user_id(slack), sid.slack_active(slack))
        .outerjoin(slack, slack_on(slack, col(Person.id)))
        .where(col(Person.id).in_(enrolled.union(managing)))
    )
    return {int(i): (s, bool(a)) for i, s, a in result.all()}


async def count_email_only(*, session: AsyncSession, cohort_id: int) -> tuple[int, int]:
    """(participants, line managers) of the cohort whom only email can reach (not on Slack)."""
    on_slack = select(col(PersonIdentity.person_id)).where(
        col(PersonIdentity.platform) == SLACK, col(PersonIdentity.active).is_(True)
    )
    off_slack = col(Person.id).not_in(on_slack)
    participants = await session.execute(
        select(func.count(func.distinct(col(Person.id))))
        .join(Enrolment, col(Enrolment.person_id) == col(Person.id))
        .where(col(Enrolment.cohort_id) == cohort_id, off_slack)
    )
    managers = await session.execute(
        select(func.count(func.distinct(col(Person.id))))
        .join(LineManagerLink, col(LineManagerLink.manager_id) == col(Person.id))
        .where(col(LineManagerLink.cohort_id) == cohort_id, off_slack)
    )
    return int(participants.scalar() or 0), int(managers.scalar() or 0)
