"""`/cohort help`, staff-only refusals and App Home, through the local workspace over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.clock import FrozenClock
from bot.settings import Settings
from emulator.state import WorkspaceState
from storage.models import AuditEvent
from tests.utils.factories import create_person
from tests.utils.workspace import Workspace, eventually, running_workspace


def seed(state: WorkspaceState) -> None:
    state.add_user("anne", real_name="Anne Stab", email="anne@lederutdanning.no", user_id="USTAFF")
    state.add_user(
        "kari", real_name="Kari Nordmann", email="kari@bergen.kommune.no", user_id="UKARI"
    )
    state.add_user(
        "ola", real_name="Ola Hansen", email="ola@bergen.kommune.no", locale="en-GB", user_id="UOLA"
    )
    state.add_user("stranger", real_name="Ukjent", email="x@example.no", user_id="USTRANGER")


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
                session, email="kari@bergen.kommune.no", name="Kari Nordmann", slack_user_id="UKARI"
            )
            await create_person(
                session,
                email="ola@bergen.kommune.no",
                name="Ola Hansen",
                slack_user_id="UOLA",
                locale="en",
            )
        yield workspace


async def test_help_in_norwegian_with_staff_part_for_staff(ws: Workspace) -> None:
    result = await ws.command("USTAFF", "help")
    assert result.acked
    reply = await ws.last_ephemeral("USTAFF")
    text = str(reply.blocks)
    assert "Dette kan du gjøre med cohortbot" in text
    assert "For programstaben" in text


async def test_help_for_a_participant_has_no_staff_part(ws: Workspace) -> None:
    await ws.command("UKARI", "help")
    reply = await ws.last_ephemeral("UKARI")
    assert "Dette kan du gjøre" in str(reply.blocks)
    assert "programstaben" not in str(reply.blocks)


async def test_help_in_english_for_english_locale(ws: Workspace) -> None:
    await ws.command("UOLA", "")
    reply = await ws.last_ephemeral("UOLA")
    assert "What you can do with cohortbot" in str(reply.blocks)


async def test_unknown_person_gets_help_and_is_told_who_to_ask(ws: Workspace) -> None:
    await ws.command("USTRANGER", "help")
    reply = await ws.last_ephemeral("USTRANGER")
    assert "Be programstaben legge deg til" in str(reply.blocks)


async def test_unknown_subcommand_is_named(ws: Workspace) -> None:
    await ws.command("UKARI", "frobnicate now")
    reply = await ws.last_ephemeral("UKARI")
    assert "«frobnicate»" in reply.text


@pytest.mark.parametrize("staff_command", ["report", "announce", "deliveries"])
async def test_staff_commands_are_refused_for_participants_and_change_nothing(
    ws: Workspace, staff_command: str
) -> None:
    async with ws.runtime.db.session() as session:
        before = (await session.execute(select(func.count()).select_from(AuditEvent))).scalar()
    await ws.command("UKARI", staff_command)
    reply = await ws.last_ephemeral("UKARI")
    assert reply.text == "Dette kan bare programstaben gjøre."
    async with ws.runtime.db.session() as session:
        after = (await session.execute(select(func.count()).select_from(AuditEvent))).scalar()
    assert after == before
    assert ws.emulator.calls.count("files.completeUploadExternal") == 0
    assert ws.emulator.calls.count("views.open") == 0


async def test_app_home_is_published_for_the_person(ws: Workspace) -> None:
    await ws.emulator.inbound.app_home_opened("UKARI")

    async def published() -> bool:
        return "UKARI" in ws.state.home_views

    await eventually(published)
    view = ws.state.home_views["UKARI"]
    assert "Hei Kari Nordmann!" in str(view.payload["blocks"])
