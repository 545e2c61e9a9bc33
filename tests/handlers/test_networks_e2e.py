"""End to end: signed /cohort commands and button clicks into /slack/events, the Web API client
pointed at the emulator, outcomes checked in the emulator's workspace and the database.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import select

from app import (
    build_runtime,
    create_bolt_app,
    create_slack_client,
    create_web_app,
    install_transports,
)
from bot.clock import FrozenClock
from bot.delivery import Dispatcher
from bot.notifier import group_target
from bot.runtime import Runtime
from bot.settings import Settings
from emulator import EmulatorHandle, start_emulator
from emulator.state import WorkspaceState
from storage.models import (
    Broadcast,
    Delivery,
    LineManagerLink,
    MatchCheckin,
    MatchGroup,
    Network,
    NetworkKind,
    Person,
    PersonIdentity,
)
from tests.utils.factories import create_class, create_cohort, create_person, enrol
from tests.utils.slack import command_body, interaction_body, sign
from tests.utils.workspace import Workspace, eventually, running_workspace

STAFF = "UKARI00001"
PARTICIPANTS = [f"UP{i:08d}" for i in range(1, 9)]
MUNICIPALITIES = ["Bergen", "Voss", "Askøy", "Stord"]


def seed(state: WorkspaceState) -> None:
    state.add_user("kari", email="kari@example.no", user_id=STAFF)
    for uid in PARTICIPANTS:
        state.add_user(uid.lower(), email=f"{uid.lower()}@example.no", user_id=uid)
    state.add_channel("general", members=[STAFF, *PARTICIPANTS], channel_id="CGENERAL01")


@dataclass
class Bot:
    http: TestClient
    runtime: Runtime
    emu: EmulatorHandle
    secret: str

    async def post(self, body: str, ctype: str) -> int:
        headers = {"Content-Type": ctype, **sign(self.secret, body)}
        resp = await self.http.post("/slack/events", data=body, headers=headers)
        return resp.status

    async def command(self, user: str, text: str) -> int:
        body, ctype = command_body(
            command="/cohort",
            text=text,
            user_id=user,
            channel_id="CGENERAL01",
            team_id="T1",
            trigger_id="1.2.3",
        )
        return await self.post(body, ctype)

    async def click(self, user: str, action_id: str, value: str) -> int:
        payload = {
            "type": "block_actions",
            "user": {"id": user},
            "team": {"id": "T1"},
            "channel": {"id": "CGENERAL01"},
            "trigger_id": "1.2.3",
            "actions": [{"action_id": action_id, "value": value, "type": "button"}],
        }
        body, ctype = interaction_body(payload)
        return await self.post(body, ctype)

    def ephemerals(self, user: str) -> list[str]:
        return [e.text for e in self.emu.state.ephemerals if e.user == user]

    async def dispatch(self) -> None:
        """Run the outbox once, as the bot's dispatch tick does: the decided channel work."""
        await Dispatcher(self.runtime).tick()


@pytest.fixture
async def bot(settings: Settings, clock: FrozenClock) -> AsyncIterator[Bot]:
    emu = await start_emulator(seed=seed)
    configured = settings.model_copy(
        update={
            "slack_api_url": emu.api_url,
            "slack_bot_token": emu.bot_token,
            "staff_emails": ("kari@example.no",),
        }
    )
    runtime = build_runtime(configured, clock=clock)
    async with runtime.db.transaction() as s:
        await create_person(s, name="Kari", email="kari@example.no", slack_user_id=STAFF)
        cohort = await create_cohort(s, key="2026h", name="Kull 2026 høst")
        klass = await create_class(s, cohort=cohort, key="bergen", city="Bergen", name="Bergen")
        for i, uid in enumerate(PARTICIPANTS):
            p = await create_person(
                s,
                name=f"Leder {i + 1}",
                email=f"{uid.lower()}@example.no",
                slack_user_id=uid,
                municipality=MUNICIPALITIES[i % 4],
                county="Vestland",
                findable=i < 2,
                topics="turnus" if i == 0 else None,
            )
            await enrol(s, person=p, cohort=cohort, cls=klass)
    client = create_slack_client(configured, None)
    install_transports(runtime, client)
    bolt = create_bolt_app(runtime, client)
    async with TestClient(TestServer(create_web_app(runtime, bolt))) as http:
        yield Bot(http, runtime, emu, configured.slack_signing_secret or "")
    if client.session is not None:
        await client.session.close()
    await runtime.db.dispose()
    await emu.stop()


async def rows(bot: Bot | Workspace, model: Any, *where: Any) -> list[Any]:
    async with bot.runtime.db.session() as s:
        stmt = select(model)
        for w in where:
            stmt = stmt.where(w)
        return list((await s.exec(stmt)).all())


async def test_participants_are_refused_staff_commands(bot: Bot) -> None:
    for text in ("groups 2026h/bergen", "match 2026h", "sync 2026h", "announce"):
        assert await bot.command(PARTICIPANTS[0], text) == 200

    async def refused() -> bool:
        return len(bot.ephemerals(PARTICIPANTS[0])) == 4

    await eventually(refused)
    assert all("programstaben" in text for text in bot.ephemerals(PARTICIPANTS[0]))
    assert await rows(bot, Network) == []
    assert bot.emu.state.channel_by_name("lu-2026h") is None


async def test_staff_syncs_forms_groups_and_matches_then_a_checkin(bot: Bot) -> None:
    assert await bot.command(STAFF, "sync 2026h") == 200

    async def answered() -> bool:
        return bool(bot.ephemerals(STAFF))

    await eventually(answered)
    # Decided and answered; Slack has nothing until the outbox does the channel work.
    assert bot.emu.state.channel_by_name("lu-2026h-bergen") is None
    await bot.dispatch()
    channel = bot.emu.state.channel_by_name("lu-2026h-bergen")
    assert channel is not None and set(PARTICIPANTS) <= set(channel.members)

    assert await bot.command(STAFF, "groups bergen") == 200

    async def grouped() -> bool:
        return len(await rows(bot, Network, Network.kind == NetworkKind.PEER_GROUP)) == 2

    await eventually(grouped)
    await bot.dispatch()
    groups = [bot.emu.state.channel_by_name(f"lu-2026h-bergen-gruppe-{n}") for n in (1, 2)]
    for group in groups:
        assert group is not None and group.is_private
        members = [m for m in group.members if m in PARTICIPANTS]
        assert len(members) == 4
        # Two from each municipality across two groups: never two in one group.
        municipality = {uid: MUNICIPALITIES[PARTICIPANTS.index(uid) % 4] for uid in members}
        assert len(set(municipality.values())) == 4

    assert await bot.command(STAFF, "match 2026h") == 200

    async def matched() -> bool:
        return len(await rows(bot, MatchGroup)) == 4

    await eventually(matched)
    intros = await rows(bot, Delivery, Delivery.kind == "match_intro")
    # The group DMs open when the outbox sends the intros, after the round committed.
    assert not any(c.is_mpim for c in bot.emu.state.channels.values())
    people = {
        i.person_id: i.user_id
        for i in await rows(bot, PersonIdentity, PersonIdentity.platform == "slack")
    }
    assert len(people) == len(await rows(bot, Person))  # everyone is in Slack
    groups = await rows(bot, MatchGroup)
    assert len(intros) == 4
    assert {d.target for d in intros} == {
        group_target([people[i] for i in g.member_ids]) for g in groups
    }

    group = groups[0]
    member = people[group.member_ids[0]]
    assert await bot.click(member, "network_checkin:yes", f"{group.id}:yes") == 200

    async def checked_in() -> bool:
        return len(await rows(bot, MatchCheckin)) == 1

    await eventually(checked_in)
    assert (await rows(bot, MatchCheckin))[0].answer == "yes"


async def test_directory_finds_only_findable_people(bot: Bot) -> None:
    # One search at a time: listeners run after the ack, so two at once may answer out of order.
    for count, words in enumerate(("find turnus", "find Leder"), start=1):
        assert await bot.command(PARTICIPANTS[5], words) == 200

        async def answered(count: int = count) -> bool:
            return len(bot.ephemerals(PARTICIPANTS[5])) == count

        await eventually(answered)
    found = [e for e in bot.emu.state.ephemerals if e.user == PARTICIPANTS[5]]
    texts = [json.dumps(e.blocks) for e in found]
    assert "Leder 1" in texts[0] and "Leder 2" not in texts[0]
    assert "Leder 1" in texts[1] and "Leder 2" in texts[1] and "Leder 3" not in texts[1]


MANAGERS = {"UMONA00001": "Vestland", "UPER000001": "Troms"}


def seed_with_managers(state: WorkspaceState) -> None:
    seed(state)
    for uid in MANAGERS:
        state.add_user(uid.lower(), email=f"{uid.lower()}@example.no", user_id=uid)


@pytest.fixture
async def workspace(settings: Settings, clock: FrozenClock) -> AsyncIterator[Workspace]:
    """The bot on a real port, so the emulator can send it the slash command and the modals.

    Line managers of the cohort: Mona (Slack, Vestland), Nils (email only, Vestland) and Per
    (Slack, Troms).
    """
    staffed = settings.model_copy(update={"staff_emails": ("kari@example.no",)})
    async with running_workspace(staffed, clock=clock, seed=seed_with_managers) as ws:
        async with ws.runtime.db.transaction() as s:
            await create_person(s, name="Kari", email="kari@example.no", slack_user_id=STAFF)
            cohort = await create_cohort(s, key="2026h", name="Kull 2026 høst")
            klass = await create_class(s, cohort=cohort, key="bergen", city="Bergen", name="Bergen")
            managers = [
                await create_person(
                    s,
                    name=f"Leder for {uid}",
                    email=f"{uid.lower()}@example.no",
                    slack_user_id=uid,
                    county=county,
                    position="Kommunalsjef",
                )
                for uid, county in MANAGERS.items()
            ]
            managers.insert(
                1,
                await create_person(
                    s, name="Nils", email="nils@kommune.no", county="Vestland", position="Rådgiver"
                ),
            )
            for i, uid in enumerate(PARTICIPANTS):
                p = await create_person(
                    s,
                    name=f"Leder {i + 1}",
                    email=f"{uid.lower()}@example.no",
                    slack_user_id=uid,
                    county="Vestland",
                    service_area="Sykehjem" if i % 2 else "Hjemmetjeneste",
                    position="Enhetsleder",
                )
                await enrol(s, person=p, cohort=cohort, cls=klass)
                s.add(
                    LineManagerLink(
                        participant_id=p.id, manager_id=managers[i % 3].id, cohort_id=cohort.id
                    )
                )
        yield ws


async def test_staff_announcement_through_the_modal(workspace: Workspace) -> None:
    ws = workspace
    await ws.command(STAFF, "announce")

    async def opened() -> bool:
        return ws.state.top_modal(STAFF) is not None

    await eventually(opened)
    modal = ws.state.top_modal(STAFF)
    assert modal is not None and modal.payload["callback_id"] == "announce_compose"
    inputs = {b["block_id"]: b["element"] for b in modal.payload["blocks"]}
    offered = {o["value"]: o["text"]["text"] for o in inputs["audience"]["options"]}
    assert offered["class:2026h/bergen"] == "Kull 2026 høst – Bergen"
    assert offered["line_managers:2026h"] == "Nærmeste ledere – Kull 2026 høst"
    assert [o["value"] for o in inputs["counties"]["options"]] == ["Troms", "Vestland"]
    assert [o["value"] for o in inputs["roles"]["options"]] == [
        "Enhetsleder",
        "Kommunalsjef",
        "Rådgiver",
    ]

    # A blank message, a filtered channel post and yesterday: each refused on its own field.
    await ws.emulator.inbound.submit_view(
        STAFF,
        modal.id,
        {
            "audience": {"value": "cohort:2026h"},
            "counties": {"value": ["Vestland"]},
            "text": {"value": "   "},
            "mode": {"value": "channel"},
            "when_date": {"value": "2026-03-01"},
            "when_time": {"value": "10:00"},
        },
    )
    assert set(modal.errors) == {"text", "mode", "when_date"}
    assert "hele kanalen" in modal.errors["mode"]
    assert await rows(ws, Broadcast) == [] and await rows(ws, Delivery) == []

    # Line managers in Vestland, at 10:00 Oslo today: Mona on Slack, Nils by email.
    await ws.emulator.inbound.submit_view(
        STAFF,
        modal.id,
        {
            "audience": {"value": "line_managers:2026h"},
            "counties": {"value": ["Vestland"]},
            "text": {"value": "Husk samling 2 *tirsdag*!"},
            "mode": {"value": "dm"},
            "when_date": {"value": "2026-03-02"},
            "when_time": {"value": "10:00"},
        },
    )
    assert modal.errors == {}
    confirm = ws.state.top_modal(STAFF)
    assert confirm is not None and confirm.payload["callback_id"] == "announce_confirm"
    summary = confirm.payload["blocks"][0]["text"]["text"]
    assert "*Mottakere:* Nærmeste ledere – Kull 2026 høst (Vestland)" in summary
    assert "*Hvor:* direktemelding til hver enkelt" in summary
    assert "*Når:* mandag 2. mars kl. 10.00" in summary
    assert "*Antall:* 2 – på Slack: 1 · på e-post: 1 · kan ikke nås: 0" in summary
    assert confirm.payload["blocks"][-1]["text"]["text"] == "Husk samling 2 *tirsdag*!"
    assert await rows(ws, Broadcast) == []  # nothing is queued before the confirmation

    await ws.emulator.inbound.submit_view(STAFF, confirm.id, {})

    async def queued() -> bool:
        return len(await rows(ws, Delivery)) == 2

    await eventually(queued)
    [broadcast] = await rows(ws, Broadcast)
    assert broadcast.recipient_count == 2 and broadcast.audience["counties"] == ["Vestland"]
    deliveries = await rows(ws, Delivery)
    assert {(d.transport, d.target) for d in deliveries} == {
        ("slack", "UMONA00001"),
        ("email", "nils@kommune.no"),
    }
    ten = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert {d.send_at.astimezone(UTC) for d in deliveries} == {ten}
    await eventually(lambda: _any(f"Kunngjøring {broadcast.id}" in m.text for m in ws.dm(STAFF)))

    await ws.at(ten)
    assert any("Husk samling 2" in m.text for m in ws.dm("UMONA00001"))
    assert ws.dm("UPER000001") == []
    [mail] = ws.state.emails_to("nils@kommune.no")
    assert "Husk samling 2" in (mail.text or "")

    await ws.command(STAFF, f"announce report {broadcast.id}")
    report = await ws.last_ephemeral(STAFF)
    assert "2 sendt, 0 feilet, 0 venter" in report.text


async def _any(value: bool) -> bool:
    return value


async def test_starting_a_dm_from_the_directory_mentions_both_people(bot: Bot) -> None:
    from bot.networks import ACTION_START_DM

    asker, found = PARTICIPANTS[5], PARTICIPANTS[0]  # Leder 1 chose to be findable
    assert await bot.click(asker, ACTION_START_DM, found) == 200

    async def posted() -> bool:
        return any(
            channel.is_mpim and bot.emu.state.channel_messages(channel.id)
            for channel in bot.emu.state.channels.values()
        )

    await eventually(posted)
    group = next(c for c in bot.emu.state.channels.values() if c.is_mpim)
    assert set(group.members) >= {asker, found}
    intro = bot.emu.state.channel_messages(group.id)[0].text
    assert f"<@{asker}>" in intro and f"<@{found}>" in intro


async def test_nobody_unfindable_can_be_reached_from_the_directory(bot: Bot) -> None:
    from bot.networks import ACTION_START_DM

    assert await bot.click(PARTICIPANTS[5], ACTION_START_DM, PARTICIPANTS[3]) == 200

    async def refused() -> bool:
        return bool(bot.ephemerals(PARTICIPANTS[5]))

    await eventually(refused)
    assert not any(c.is_mpim for c in bot.emu.state.channels.values())


@pytest.mark.parametrize("action", ["network_checkin:yes", "alumni_consent:yes", "matching_opt_in"])
async def test_a_tampered_button_value_gets_a_clear_answer_and_changes_nothing(
    bot: Bot, action: str
) -> None:
    from storage.models import AuditEvent, MatchCheckin

    assert await bot.click(PARTICIPANTS[0], action, "not-a-number") == 200

    async def answered() -> bool:
        return bool(bot.ephemerals(PARTICIPANTS[0]))

    await eventually(answered)
    assert bot.ephemerals(PARTICIPANTS[0]) == [
        "Beklager, noe gikk galt. Prøv igjen om litt, eller si fra til programstaben."
    ]
    assert await rows(bot, MatchCheckin) == []
    assert await rows(bot, AuditEvent) == []


async def test_a_workspace_in_slack_and_teams_syncs_both_from_slack(bot: Bot) -> None:
    """`/cohort sync` in Slack decides the Teams class channel too (the workspace runs both),
    and its answer says who Teams cannot be asked to add (nobody here has an Entra id)."""
    from emulator.teams_connector import start_teams_connector
    from handlers.teams.channels import TeamsChannelSteps
    from handlers.teams.graph import TeamsGraph

    graph = await start_teams_connector()
    try:
        graph.state.add_team("team-1")
        graph.state.add_graph_user("kari", "kari@example.no", "Kari")
        async with bot.runtime.db.transaction() as s:
            kari = (await s.exec(select(Person).where(Person.email == "kari@example.no"))).one()
            s.add(
                PersonIdentity(
                    person_id=kari.id, platform="teams", user_id="29:kari", aad_object_id="aad-kari"
                )
            )
        bot.runtime.settings = bot.runtime.settings.model_copy(
            update={"teams_mode": "dev", "teams_team_id": "team-1"}
        )
        async with aiohttp.ClientSession() as http:
            client = TeamsGraph(http, base_url=f"{graph.url}/v1.0", mode="dev")
            bot.runtime.notifiers["teams_channels"] = TeamsChannelSteps(client)
            assert await bot.command(STAFF, "sync 2026h") == 200

            async def answered() -> bool:
                return bool(bot.ephemerals(STAFF))

            await eventually(answered)
            [text] = bot.ephemerals(STAFF)
            assert "Bergen (2026h)" in text and "Leder 1" in text and "Leder 6" in text
            await bot.dispatch()
            await bot.dispatch()
        [channel] = graph.state.team_channels["team-1"]
        assert channel["displayName"] == "Bergen (2026h)"
        assert [m["userId"] for m in channel["members"]] == ["aad-kari"]  # the owner, syncing
        assert bot.emu.state.channel_by_name("lu-2026h-bergen") is not None  # and Slack's
    finally:
        await graph.stop()
