"""Announcements staff control, through the local workspace: `/cohort announce list` says when,
to whom and how far each has got; change and cancel work until it starts, then refuse."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from bot import broadcasts
from bot.clock import FrozenClock
from bot.settings import Settings
from emulator.state import WorkspaceState
from storage.models import Delivery, DeliveryState
from tests.utils.factories import create_class, create_cohort, create_person, enrol
from tests.utils.workspace import Workspace, eventually, running_workspace


def seed(state: WorkspaceState) -> None:
    state.add_user("anne", real_name="Anne Stab", email="anne@lu.no", user_id="UANNE")
    for i in range(3):
        state.add_user(f"p{i}", email=f"p{i}@kommune.no", user_id=f"UP{i}")


async def build(ws: Workspace) -> int:
    async with ws.runtime.db.transaction() as s:
        cohort = await create_cohort(s, key="2026h", name="Kull 2026 høst")
        klass = await create_class(s, cohort=cohort, key="bergen", name="Bergen")
        for i in range(3):
            p = await create_person(s, slack_user_id=f"UP{i}")
            await enrol(s, person=p, cohort=cohort, cls=klass)
        await create_person(s, name="Anne Stab", email="anne@lu.no", slack_user_id="UANNE")
        sent = await broadcasts.send(
            s,
            ws.runtime.settings,
            actor=None,
            audience=broadcasts.Audience.parse("class:2026h/bergen"),
            text="Samling 2 er flyttet til Bodø.",
            send_at=datetime(2026, 3, 5, 9, 0, tzinfo=UTC),
        )
    assert sent.id is not None
    return sent.id


async def states(ws: Workspace) -> list[str]:
    async with ws.runtime.db.session() as s:
        return sorted(d.state for d in (await s.execute(select(Delivery))).scalars())


async def test_list_change_and_cancel_a_scheduled_announcement(
    settings: Settings, clock: FrozenClock
) -> None:
    settings = settings.model_copy(update={"staff_emails": ("anne@lu.no",)})
    async with running_workspace(settings, clock=clock, seed=seed) as ws:
        bid = await build(ws)
        listed = await ws.ask("UANNE", "announce list")
        text = str(listed.blocks)
        assert f"*Nr. {bid}* – planlagt – torsdag 5. mars kl. 10.00" in text
        assert "Kull 2026 høst – Bergen · direktemeldinger · på Slack: 3 · på e-post: 0" in text
        assert "Samling 2 er flyttet til Bodø." in text

        changed = await ws.ask("UANNE", f"announce change {bid} at 2026-03-06 11:15")
        assert f"Kunngjøring {bid} er endret." in changed.text
        assert "fredag 6. mars kl. 11.15" in changed.text
        async with ws.runtime.db.session() as s:
            rows = (await s.execute(select(Delivery))).scalars().all()
        assert {d.send_at.astimezone(UTC) for d in rows} == {
            datetime(2026, 3, 6, 10, 15, tzinfo=UTC)
        }
        retexted = await ws.ask("UANNE", f"announce change {bid} text Samling 2 er i Tromsø.")
        assert f"Kunngjøring {bid} er endret." in retexted.text
        async with ws.runtime.db.session() as s:
            rows = (await s.execute(select(Delivery))).scalars().all()
        assert {d.message["text"] for d in rows} == {"Samling 2 er i Tromsø."}

        bad = await ws.ask("UANNE", f"announce change {bid} at i morgen")
        assert "`/cohort announce list`" in bad.text  # usage, and nothing changed
        unknown = await ws.ask("UANNE", "announce cancel 999")
        assert "Det gikk ikke: unknown announcement 999" in unknown.text

        # Cancel from the list's button.
        listed = await ws.ask("UANNE", "announce list")
        before = len(ws.ephemerals("UANNE"))
        await ws.emulator.inbound.click(
            "UANNE",
            "broadcast.cancel",
            channel_id=ws.dm_channel("UANNE"),
            message_ts=listed.ts,
            value=str(bid),
        )
        await ws.emulator.inbound.drain()

        async def answered() -> bool:
            return len(ws.ephemerals("UANNE")) > before

        await eventually(answered)
        after = ws.ephemerals("UANNE")[before]
        assert f"Kunngjøring {bid} er avlyst: 3 utsendelser er stoppet." in after.text
        assert f"*Nr. {bid}* – avlyst" in str(after.blocks)
        assert await states(ws) == [DeliveryState.CANCELLED] * 3
        await ws.at(datetime(2026, 3, 6, 10, 15, tzinfo=UTC))
        assert all(ws.dm(f"UP{i}") == [] for i in range(3))  # nobody got it


async def test_an_announcement_that_has_started_is_not_cancelled(
    settings: Settings, clock: FrozenClock
) -> None:
    settings = settings.model_copy(update={"staff_emails": ("anne@lu.no",)})
    async with running_workspace(settings, clock=clock, seed=seed) as ws:
        bid = await build(ws)
        await ws.at(datetime(2026, 3, 5, 9, 0, tzinfo=UTC))
        assert await states(ws) == [DeliveryState.SENT] * 3
        refused = await ws.ask("UANNE", f"announce cancel {bid}")
        assert f"announcement {bid} has started going out (3 sent)" in refused.text
        listed = await ws.ask("UANNE", "announce list")
        assert f"*Nr. {bid}* – sendt" in str(listed.blocks)
        assert "broadcast.cancel" not in str(listed.blocks)
