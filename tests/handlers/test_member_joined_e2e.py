"""Someone joins a programme channel on their own: the bot greets them there, privately."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.clock import FrozenClock
from bot.settings import Settings
from emulator.state import WorkspaceState
from storage.models import Network
from tests.utils.factories import create_person
from tests.utils.workspace import Workspace, eventually, running_workspace


def seed(state: WorkspaceState) -> None:
    state.add_user("siri", real_name="Siri Dahl", email="siri@tromso.kommune.no", user_id="USIRI")
    state.add_user("ola", real_name="Ola Hansen", email="ola@x.no", locale="en-GB", user_id="UOLA")
    state.add_channel("lu-alumni-troms", members=[], channel_id="CALUMNI")
    state.add_channel("random", members=[], channel_id="CRANDOM")


@pytest.fixture
async def ws(settings: Settings, clock: FrozenClock) -> AsyncIterator[Workspace]:
    async with running_workspace(settings, clock=clock, seed=seed) as workspace:
        async with workspace.runtime.db.transaction() as session:
            await create_person(
                session, email="siri@tromso.kommune.no", name="Siri Dahl", slack_user_id="USIRI"
            )
            await create_person(
                session, email="ola@x.no", name="Ola Hansen", slack_user_id="UOLA", locale="en"
            )
            session.add(
                Network(
                    kind="alumni_region",
                    key="alumni:troms",
                    name="Alumni Troms",
                    region="Troms",
                    slack_channel_id="CALUMNI",
                )
            )
        yield workspace


async def test_a_person_joining_a_network_channel_is_welcomed_in_their_language(
    ws: Workspace,
) -> None:
    await ws.emulator.inbound.join_channel("USIRI", "CALUMNI")
    await ws.emulator.inbound.join_channel("UOLA", "CALUMNI")

    async def both() -> bool:
        return bool(ws.ephemerals("USIRI", "CALUMNI")) and bool(ws.ephemerals("UOLA", "CALUMNI"))

    await eventually(both)
    assert ws.ephemerals("USIRI", "CALUMNI")[-1].text.startswith(
        "Velkommen til *Alumni Troms*, Siri Dahl!"
    )
    assert ws.ephemerals("UOLA", "CALUMNI")[-1].text.startswith(
        "Welcome to *Alumni Troms*, Ola Hansen!"
    )


async def test_no_welcome_outside_programme_channels_or_when_the_bot_invited(ws: Workspace) -> None:
    await ws.emulator.inbound.join_channel("USIRI", "CRANDOM")
    await ws.emulator.inbound.member_joined_channel("UOLA", "CALUMNI", inviter=ws.state.bot_user_id)
    await ws.emulator.inbound.drain()
    assert ws.emulator.calls.count("chat.postEphemeral") == 0
