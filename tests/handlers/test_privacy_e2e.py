"""`/cohort privacy|mydata|export|withdraw` and the notice in Home, through the local workspace."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlmodel import col, select

from bot.clock import FrozenClock
from bot.settings import Settings
from emulator.state import WorkspaceState
from storage.models import AuditEvent, Delivery, OutboxFile, Person
from tests.utils.factories import create_cohort, create_person, enrol, has_slack_id
from tests.utils.workspace import Workspace, eventually, running_workspace


def seed(state: WorkspaceState) -> None:
    state.add_user("anne", real_name="Anne Stab", email="anne@lederutdanning.no", user_id="USTAFF")
    state.add_user(
        "kari", real_name="Kari Nordmann", email="kari@bergen.kommune.no", user_id="UKARI"
    )
    state.add_user(
        "ola", real_name="Ola Hansen", email="ola@bergen.kommune.no", locale="en-GB", user_id="UOLA"
    )


@pytest.fixture
async def ws(settings: Settings, clock: FrozenClock) -> AsyncIterator[Workspace]:
    async with running_workspace(settings, clock=clock, seed=seed) as workspace:
        async with workspace.runtime.db.transaction() as session:
            await create_person(
                session,
                email="anne@lederutdanning.no",
                name="Anne Stab",
                slack_user_id="USTAFF",
                is_staff=True,
            )
            await create_person(
                session,
                email="kari@bergen.kommune.no",
                name="Kari Nordmann",
                slack_user_id="UKARI",
                findable=True,
                bio="Leder i Fana",
                municipality="Fana",
            )
            await session.flush()
            kari = (await session.exec(select(Person).where(has_slack_id("UKARI")))).one()
            await enrol(session, person=kari, cohort=await create_cohort(session))
            await create_person(
                session,
                email="ola@bergen.kommune.no",
                name="Ola Hansen",
                slack_user_id="UOLA",
                locale="en",
            )
        yield workspace


def _files(ws: Workspace, user: str) -> list[object]:
    dm = ws.dm_channel(user)
    return [f for f in ws.state.files.values() if dm in f.channels and f.completed]


async def test_mydata_sends_the_persons_own_copy_as_a_file_in_their_dm(ws: Workspace) -> None:
    reply = await ws.ask("UKARI", "mydata")
    assert "sendt til deg som fil" in reply.text

    async def uploaded() -> bool:
        await ws.dispatcher.tick()  # the upload is an outbox step after the export's commit
        return bool(_files(ws, "UKARI"))

    await eventually(uploaded, within=15)
    file = _files(ws, "UKARI")[0]
    data = json.loads(file.content)  # type: ignore[attr-defined]
    assert data["person"]["email"] == "kari@bergen.kommune.no"
    assert data["data_classes"]["directory_profile"]["bio"] == "Leder i Fana"
    assert file.name.endswith(".json")  # type: ignore[attr-defined]
    # Sent: the outbox keeps no copy of the export.
    async with ws.runtime.db.session() as session:
        assert (await session.exec(select(OutboxFile))).all() == []
        [step] = (await session.exec(select(Delivery).where(Delivery.kind == "file_upload"))).all()
    assert step.state == "sent" and "content" not in json.dumps(step.message)


async def test_staff_export_goes_to_the_staff_member_and_is_audited(ws: Workspace) -> None:
    reply = await ws.ask("USTAFF", "export <mailto:kari@bergen.kommune.no|kari@bergen.kommune.no>")
    assert "Uttaket er logget" in reply.text

    async def uploaded() -> bool:
        await ws.dispatcher.tick()
        return bool(_files(ws, "USTAFF"))

    await eventually(uploaded, within=15)
    assert _files(ws, "UKARI") == []
    async with ws.runtime.db.session() as session:
        staff = (await session.exec(select(Person).where(has_slack_id("USTAFF")))).one()
        events = (
            await session.exec(select(AuditEvent).where(col(AuditEvent.action) == "person.export"))
        ).all()
    assert [(e.actor_id, e.subject) for e in events] == [(staff.id, events[0].subject)]
    assert events[0].subject and events[0].subject.startswith("person:")


async def test_export_by_a_participant_is_refused_and_sends_nothing(ws: Workspace) -> None:
    reply = await ws.ask("UKARI", "export ola@bergen.kommune.no")
    assert reply.text == "Dette kan bare programstaben gjøre."
    assert ws.emulator.calls.count("files.completeUploadExternal") == 0


async def test_export_of_an_unknown_email_says_so(ws: Workspace) -> None:
    reply = await ws.ask("USTAFF", "export nobody@example.no")
    assert "nobody@example.no" in reply.text
    assert ws.emulator.calls.count("files.completeUploadExternal") == 0


async def test_withdrawing_the_directory_takes_effect_at_once(ws: Workspace) -> None:
    before = await ws.ask("UOLA", "find Fana")
    assert "Kari" in str(before.blocks)
    reply = await ws.ask("UKARI", "withdraw directory")
    assert "ikke lenger finne deg" in reply.text
    after = await ws.ask("UOLA", "find Fana")
    assert "Kari" not in str(after.blocks)
    again = await ws.ask("UKARI", "withdraw directory")
    assert "ingenting å trekke" in again.text


async def test_privacy_notice_in_english_and_in_home(ws: Workspace) -> None:
    reply = await ws.ask("UOLA", "privacy")
    text = str(reply.blocks)
    for part in ("What we store", "Why", "For how long", "Who sees it", "/cohort mydata"):
        assert part in text
    await ws.emulator.inbound.app_home_opened("UKARI")

    async def published() -> bool:
        return "UKARI" in ws.state.home_views

    await eventually(published)
    home = str(ws.state.home_views["UKARI"].payload["blocks"])
    for part in ("Hva vi lagrer", "Hvorfor", "Hvor lenge", "Hvem ser det", "/cohort mydata"):
        assert part in home
