"""The ChannelAdmin adapter with the real AsyncWebClient against the emulator, and a full sync
through the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot import networks as nw
from bot.clock import FrozenClock
from bot.delivery import Dispatcher
from bot.ratelimit import RateLimiter, RateLimits
from bot.settings import Settings
from emulator import EmulatorHandle, start_emulator
from emulator.state import WorkspaceState
from handlers.slack.channels import ChannelAdminError, SlackChannelAdmin
from handlers.slack.notifier import SlackNotifier
from storage.db import Database
from tests.utils.factories import create_class, create_cohort, create_person, enrol

PEOPLE = ["UANNE00001", "UBJORN0001", "UCECILIE01", "UDAG000001"]


def seed(state: WorkspaceState) -> None:
    for uid in PEOPLE:
        state.add_user(uid.lower(), user_id=uid)
    state.add_channel("lu-2026h", members=[PEOPLE[0]], bot_member=False)  # made by a human
    state.add_channel("hemmelig", is_private=True, bot_member=False)


@pytest.fixture
async def emu() -> AsyncIterator[EmulatorHandle]:
    handle = await start_emulator(seed=seed)
    yield handle
    await handle.stop()


@pytest.fixture
async def admin(emu: EmulatorHandle) -> AsyncIterator[SlackChannelAdmin]:
    client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url, timeout=30)
    yield SlackChannelAdmin(client)
    if client.session is not None:
        await client.session.close()


async def test_create_adopt_invite_kick_and_archive_are_safe_to_repeat(
    emu: EmulatorHandle, admin: SlackChannelAdmin
) -> None:
    state = emu.state
    created = await admin.create_channel("lu-2026h-bergen", private=False)
    assert await admin.create_channel("lu-2026h-bergen", private=False) == created
    adopted = await admin.create_channel("lu-2026h", private=False)
    channel = state.channels[adopted]
    assert state.bot_user_id in channel.members  # joined so it can post and invite

    await admin.invite(adopted, PEOPLE[:2])
    await admin.invite(adopted, PEOPLE[:3])  # the first two are already there: fine
    assert set(PEOPLE[:3]) <= set(channel.members)
    await admin.remove(adopted, PEOPLE[2])
    await admin.remove(adopted, PEOPLE[2])
    assert PEOPLE[2] not in channel.members

    group = await admin.create_channel("lu-2026h-bergen-gruppe-1", private=True)
    assert state.channels[group].is_private
    await admin.archive(group)
    await admin.archive(group)
    assert state.channels[group].is_archived
    assert await admin.create_channel("lu-2026h-bergen-gruppe-1", private=True) == group
    assert not state.channels[group].is_archived

    with pytest.raises(ChannelAdminError, match="cannot see it"):
        await admin.create_channel("hemmelig", private=True)
    with pytest.raises(ChannelAdminError, match="invalid_name"):
        await admin.create_channel("Not Valid!", private=False)


async def test_sync_through_the_emulator(
    emu: EmulatorHandle,
    admin: SlackChannelAdmin,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
) -> None:
    async with db.transaction() as s:
        cohort = await create_cohort(s, key="2026h")
        bergen = await create_class(s, cohort=cohort, key="bergen", city="Bergen")
        tromso = await create_class(s, cohort=cohort, key="tromso", city="Tromsø")
        for i, uid in enumerate(PEOPLE):
            p = await create_person(s, slack_user_id=uid)
            await enrol(s, person=p, cohort=cohort, cls=bergen if i < 2 else tromso)
        await nw.sync_cohort_channels(s, settings, cohort_id=cohort.id, now=clock.now())
    state = emu.state
    assert state.channel_by_name("lu-2026h-tromso") is None  # decided; the outbox makes it
    client = admin.client
    notifier = SlackNotifier(client, RateLimiter(RateLimits(scale=1000)))
    stats = await Dispatcher(db, {"slack": notifier}, clock, None, settings, "t").tick()
    assert stats.sent == stats.claimed == 6 and stats.failed == 0  # 3 creates, 3 invites
    whole = state.channel_by_name("lu-2026h")
    north = state.channel_by_name("lu-2026h-tromso")
    assert whole is not None and north is not None
    assert set(PEOPLE) <= set(whole.members)
    assert set(north.members) == {state.bot_user_id, *PEOPLE[2:]}
