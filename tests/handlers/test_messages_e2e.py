"""People writing to the bot (a DM, an @-mention) get a pointer to `/cohort help`, not silence."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.clock import FrozenClock
from bot.settings import Settings
from emulator.state import WorkspaceState
from tests.utils.factories import create_person
from tests.utils.workspace import Workspace, eventually, running_workspace


def seed(state: WorkspaceState) -> None:
    state.add_user(
        "kari", real_name="Kari Nordmann", email="kari@bergen.kommune.no", user_id="UKARI"
    )
    state.add_user(
        "ola", real_name="Ola Hansen", email="ola@bergen.kommune.no", locale="en-GB", user_id="UOLA"
    )
    state.add_channel("lu-bergen", members=["UKARI", "UOLA"], channel_id="CBERGEN")


@pytest.fixture
async def ws(settings: Settings, clock: FrozenClock) -> AsyncIterator[Workspace]:
    async with running_workspace(settings, clock=clock, seed=seed) as workspace:
        workspace.state.channels["CBERGEN"].members.append(workspace.state.bot_user_id)
        async with workspace.runtime.db.transaction() as session:
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


async def test_a_direct_message_gets_a_pointer_to_help_in_the_persons_language(
    ws: Workspace,
) -> None:
    await ws.emulator.inbound.message("UKARI", ws.dm_channel("UKARI"), "hei, når er neste samling?")
    await ws.emulator.inbound.message("UOLA", ws.dm_channel("UOLA"), "hello?")

    async def answered() -> bool:
        bot = ws.state.bot_user_id
        return any(m.user == bot for m in ws.dm("UKARI")) and any(
            m.user == bot for m in ws.dm("UOLA")
        )

    await eventually(answered)
    kari = [m.text for m in ws.dm("UKARI") if m.user == ws.state.bot_user_id]
    ola = [m.text for m in ws.dm("UOLA") if m.user == ws.state.bot_user_id]
    assert len(kari) == 1 and "Jeg er en bot" in kari[0] and "/cohort help" in kari[0]
    assert len(ola) == 1 and "I'm a bot" in ola[0]


async def test_a_mention_is_answered_privately_and_plain_channel_talk_is_left_alone(
    ws: Workspace,
) -> None:
    await ws.emulator.inbound.message("UKARI", "CBERGEN", "Hei alle sammen!")
    await ws.emulator.inbound.message("UKARI", "CBERGEN", f"<@{ws.state.bot_user_id}> hjelp?")
    reply = await ws.last_ephemeral("UKARI", "CBERGEN")
    assert "/cohort help" in reply.text
    assert len(ws.ephemerals("UKARI", "CBERGEN")) == 1
    assert all(m.user != ws.state.bot_user_id for m in ws.state.channel_messages("CBERGEN"))
