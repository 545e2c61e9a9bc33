"""A small cohort for assignment and line-manager tests: two classes, participants, managers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.notifier import OutgoingMessage
from storage.db import Database
from storage.models import (
    Assignment,
    Cohort,
    CohortClass,
    Delivery,
    EnrolmentStatus,
    LineManagerLink,
    Nudge,
    Person,
)
from tests.utils.factories import (
    _add,
    create_class,
    create_cohort,
    create_person,
    create_programme,
    enrol,
)

OSLO = ZoneInfo("Europe/Oslo")


def oslo(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An Oslo wall-clock time as an aware datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=OSLO)


@dataclass
class World:
    """Bergen (Kari, Ola; manager Mona on Slack) and Tromsø (Per, email; manager Erik by email),
    Siri withdrawn (Bergen, manager Mona), and a class without a channel yet (Bodø)."""

    cohort: Cohort
    bergen: CohortClass
    tromso: CohortClass
    bodo: CohortClass
    kari: Person
    ola: Person
    per: Person
    siri: Person
    mona: Person
    erik: Person
    staff: Person


async def build_programme(session: AsyncSession) -> World:
    """Create the cohort, classes, people, enrolments and line-manager links."""
    cohort = await create_cohort(
        session,
        programme=await create_programme(session, name="LU"),
        key="kull-2026h",
        name="Kull 2026 høst",
        start_date=None,
        end_date=None,
    )
    bergen = await create_class(
        session,
        cohort=cohort,
        key="bergen",
        name="Bergen",
        city="Bergen",
        slack_channel_id="CBERGEN",
    )
    tromso = await create_class(
        session,
        cohort=cohort,
        key="tromso",
        name="Tromsø",
        city="Tromsø",
        slack_channel_id="CTROMSO",
    )
    bodo = await create_class(session, cohort=cohort, key="bodo", name="Bodø", city="Bodø")
    kari = await create_person(
        session, email="kari@bergen.kommune.no", name="Kari Nordmann", slack_user_id="UKARI"
    )
    ola = await create_person(
        session, email="ola@bergen.kommune.no", name="Ola Hansen", slack_user_id="UOLA", locale="en"
    )
    per = await create_person(session, email="per@tromso.kommune.no", name="Per Olsen")
    siri = await create_person(
        session, email="siri@bergen.kommune.no", name="Siri Berg", slack_user_id="USIRI"
    )
    mona = await create_person(
        session, email="mona@bergen.kommune.no", name="Mona Leder", slack_user_id="UMONA"
    )
    erik = await create_person(session, email="erik@tromso.kommune.no", name="Erik Sjef")
    staff = await create_person(
        session, email="staff@lederutdanning.no", name="Stab", slack_user_id="USTAFF", is_staff=True
    )
    await enrol(session, person=kari, cohort=cohort, cls=bergen)
    await enrol(session, person=ola, cohort=cohort, cls=bergen)
    await enrol(session, person=per, cohort=cohort, cls=tromso)
    await enrol(session, person=siri, cohort=cohort, cls=bergen, status=EnrolmentStatus.WITHDRAWN)
    for participant, manager in ((kari, mona), (ola, mona), (siri, mona), (per, erik)):
        session.add(
            LineManagerLink(
                participant_id=participant.id, manager_id=manager.id, cohort_id=cohort.id
            )
        )
    await session.flush()
    return World(cohort, bergen, tromso, bodo, kari, ola, per, siri, mona, erik, staff)


async def add_assignment(
    session: AsyncSession,
    cohort: Cohort,
    *,
    key: str = "oppgave-1",
    release_at: datetime,
    due_at: datetime,
    offsets: list[int] | None = None,
    line_manager: bool = True,
) -> Assignment:
    row = Assignment(
        cohort_id=cohort.id,
        key=key,
        title="Kartlegg eget arbeidssted",
        description="Beskriv én utfordring på arbeidsplassen din og snakk med lederen din om den.",
        url="https://example.no/oppgave-1",
        release_at=release_at,
        due_at=due_at,
        line_manager_involved=line_manager,
    )
    if offsets is not None:
        row.reminder_offsets = offsets
    return await _add(session, row)


async def add_nudge(
    session: AsyncSession,
    cohort: Cohort,
    *,
    key: str = "leder-1",
    send_at: datetime,
    respond_by: datetime | None = None,
) -> Nudge:
    row = Nudge(
        cohort_id=cohort.id,
        key=key,
        kind="before_start",
        title="Avklar mål og prosjekt",
        text="Sett av en halvtime med deltakeren for å avklare mål og prosjekt for utdanningen.",
        send_at=send_at,
        respond_by=respond_by,
    )
    return await _add(session, row)


async def deliveries(db: Database, prefix: str = "") -> dict[str, Delivery]:
    """Every delivery by dedupe key (optionally only keys starting with `prefix`)."""
    async with db.session() as session:
        rows = (await session.execute(select(Delivery).order_by(col(Delivery.id)))).scalars()
        return {d.dedupe_key: d for d in rows if d.dedupe_key.startswith(prefix)}


def message_of(delivery: Delivery) -> OutgoingMessage:
    return OutgoingMessage.from_json(delivery.message)
