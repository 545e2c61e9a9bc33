"""Factory helpers: build programme, cohort, people and pulse rows with sensible defaults.

Each helper adds to the session and flushes (so ids are set); the caller commits. Append new
helpers at the end; keep existing signatures stable, other tests use them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Cohort,
    CohortClass,
    Enrolment,
    EnrolmentStatus,
    Person,
    PersonIdentity,
    Programme,
    ProgrammeSession,
    Pulse,
    PulseQuestion,
)


async def _add(session: AsyncSession, row: Any) -> Any:
    session.add(row)
    await session.flush()
    return row


async def create_programme(session: AsyncSession, **kw: Any) -> Programme:
    key = kw.pop("key", f"prog-{uuid.uuid4().hex[:8]}")
    return await _add(session, Programme(key=key, name=kw.pop("name", "Lederutdanning"), **kw))


async def create_cohort(
    session: AsyncSession, *, programme: Programme | None = None, **kw: Any
) -> Cohort:
    programme = programme or await create_programme(session)
    key = kw.pop("key", f"kull-{uuid.uuid4().hex[:8]}")
    kw.setdefault("name", key)
    kw.setdefault("start_date", date(2026, 1, 10))
    kw.setdefault("end_date", date(2026, 12, 15))
    return await _add(session, Cohort(programme_id=programme.id, key=key, **kw))


async def create_class(session: AsyncSession, *, cohort: Cohort, **kw: Any) -> CohortClass:
    key = kw.pop("key", f"k-{uuid.uuid4().hex[:6]}")
    kw.setdefault("name", key)
    kw.setdefault("city", "Bergen")
    return await _add(session, CohortClass(cohort_id=cohort.id, key=key, **kw))


async def create_person(session: AsyncSession, **kw: Any) -> Person:
    """A person; `slack_user_id` (and `slack_active`) give them a Slack identity."""
    email = kw.pop("email", f"{uuid.uuid4().hex[:10]}@example.no")
    kw.setdefault("name", email.split("@")[0])
    slack_user_id = kw.pop("slack_user_id", None)
    slack_active = kw.pop("slack_active", True)
    person = await _add(session, Person(email=email, **kw))
    if slack_user_id:
        await link_slack(session, person, slack_user_id, active=slack_active)
    return person


async def link_slack(
    session: AsyncSession, person: Person, user_id: str, *, active: bool = True
) -> PersonIdentity:
    """Give the person the Slack identity `user_id`."""
    return await _add(
        session,
        PersonIdentity(person_id=person.id, platform="slack", user_id=user_id, active=active),
    )


async def enrol(
    session: AsyncSession,
    *,
    person: Person,
    cohort: Cohort,
    cls: CohortClass | None = None,
    status: str = EnrolmentStatus.ACTIVE,
    **kw: Any,
) -> Enrolment:
    return await _add(
        session,
        Enrolment(
            person_id=person.id,
            cohort_id=cohort.id,
            class_id=cls.id if cls else None,
            status=status,
            **kw,
        ),
    )


async def create_session(
    session: AsyncSession, *, cohort: Cohort, number: int, starts_at: datetime, **kw: Any
) -> ProgrammeSession:
    return await _add(
        session,
        ProgrammeSession(
            cohort_id=cohort.id,
            key=kw.pop("key", f"samling-{number}"),
            number=number,
            title=kw.pop("title", f"Samling {number}"),
            starts_at=starts_at,
            ends_at=kw.pop("ends_at", starts_at + timedelta(hours=8)),
            **kw,
        ),
    )


async def create_pulse(
    session: AsyncSession,
    *,
    cohort: Cohort | None,
    questions: Sequence[tuple[str, str] | tuple[str, str, list[str]]] = (
        ("scale5", "Hvor nyttig?"),
    ),
    opens_at: datetime | None = None,
    **kw: Any,
) -> tuple[Pulse, list[PulseQuestion]]:
    opens_at = opens_at or datetime(2026, 2, 2, 8, 0, tzinfo=UTC)
    pulse = await _add(
        session,
        Pulse(
            cohort_id=cohort.id if cohort else None,
            key=kw.pop("key", f"puls-{uuid.uuid4().hex[:6]}"),
            title=kw.pop("title", "Etter samling 1"),
            opens_at=opens_at,
            closes_at=kw.pop("closes_at", opens_at + timedelta(days=7)),
            **kw,
        ),
    )
    rows = []
    for i, spec in enumerate(questions, start=1):
        kind, text = spec[0], spec[1]
        choices = list(spec[2]) if len(spec) > 2 else []  # type: ignore[misc]
        rows.append(
            await _add(
                session,
                PulseQuestion(pulse_id=pulse.id, position=i, kind=kind, text=text, choices=choices),
            )
        )
    return pulse, rows


def has_slack_id(user_id: str) -> Any:
    """A condition on `Person`: their Slack identity is `user_id` (for `select(Person).where`)."""
    return col(Person.id).in_(
        select(col(PersonIdentity.person_id)).where(
            col(PersonIdentity.platform) == "slack", col(PersonIdentity.user_id) == user_id
        )
    )


async def slack_ids(session: AsyncSession) -> dict[int, str]:
    """{person id: Slack user id} of everybody with a Slack identity."""
    rows = await session.execute(
        select(col(PersonIdentity.person_id), col(PersonIdentity.user_id)).where(
            col(PersonIdentity.platform) == "slack"
        )
    )
    return {int(p): u for p, u in rows.all()}
