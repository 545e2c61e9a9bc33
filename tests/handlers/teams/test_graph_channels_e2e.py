"""Class channels in Teams through Microsoft Graph, as outbox steps, attacked over real HTTP
against the local Graph (emulator/teams_connector.py).

Each test names the promise it attacks: a rolled-back sync leaves nothing in Graph, a crash
between Graph's create and the mark adopts the channel instead of making a second, two
dispatchers make each channel once, 429 (Retry-After) and 502 are retried and 504 only up to a
bound, a hostile class name still makes a valid channel, a member without an Entra id is
listed, and leaving a class (withdrawn, moved) takes the person out of its private channel.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot import networks as nw
from bot.clock import FrozenClock
from bot.delivery import Dispatcher, TickStats
from bot.settings import Settings
from emulator.teams_connector import (
    CHANNEL_NAME_FORBIDDEN,
    ConnectorHandle,
    _channel_name_problem,
    render_page,
    start_teams_connector,
)
from handlers.teams.channels import TeamsChannelSteps, channel_display_name
from handlers.teams.graph import TeamsGraph
from handlers.teams.ratelimit import GraphRateLimiter
from storage.db import Database
from storage.models import (
    CohortClass,
    DeliveryState,
    Enrolment,
    EnrolmentStatus,
    NetworkChannel,
    PersonIdentity,
)
from tests.utils.deliveries import all_deliveries, crash
from tests.utils.factories import create_class, create_cohort, create_person, enrol

TEAM = "8b1e0c2a-team-0000-0000-programme001"
OWNER = "aad-staff"
# Bergen: kari, ola, (nils: no Entra id); Tromsø: per, liv, siri.
PEOPLE = [("kari", 0), ("ola", 0), ("nils", 0), ("per", 1), ("liv", 1), ("siri", 1)]
NO_AAD = {"nils"}
HOSTILE = "'Bergen' \"<at>Kari</at>\" & {co} ~#% a/b\\c: ja? | + *" + "x" * 40 + "._"


@pytest.fixture
def teams_settings(settings: Settings) -> Settings:
    # Teams only (no Slack channels decided), the programme's team set, a staff owner.
    return settings.model_copy(
        update={
            "teams_mode": "dev",
            "slack_bot_token": None,
            "teams_team_id": TEAM,
            "teams_channel_owner": OWNER,
        }
    )


@pytest.fixture
async def graph() -> AsyncIterator[ConnectorHandle]:
    handle = await start_teams_connector()
    handle.state.add_team(TEAM)
    handle.state.add_graph_user("staff", "staff@lu.no", "Stine Stab")
    for user, _ in PEOPLE:
        handle.state.add_graph_user(user, f"{user}@kommune.no", user.title())
    yield handle
    await handle.stop()


class VirtualTime:
    """The Graph limiter's clock in these tests: its waits move this clock, not the wall's."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        wake = self.now + delay
        await asyncio.sleep(0)
        self.now = max(self.now, wake)


def dispatcher(
    db: Database,
    graph: ConnectorHandle,
    http: aiohttp.ClientSession,
    clock: FrozenClock,
    settings: Settings,
    limiter: GraphRateLimiter | None = None,
) -> Dispatcher:
    time = VirtualTime()
    limiter = limiter or GraphRateLimiter(monotonic=time.monotonic, sleep=time.sleep)
    client = TeamsGraph(http, base_url=f"{graph.url}/v1.0", mode="dev", limiter=limiter)
    return Dispatcher(db, {"teams_channels": TeamsChannelSteps(client)}, clock, None, settings, "t")


async def decide(
    db: Database, settings: Settings, clock: FrozenClock, bergen_name: str = "Bergen"
) -> tuple[int, nw.SyncReport]:
    """A cohort of two classes, Teams identities for all but Nils; its channels decided."""
    async with db.transaction() as s:
        cohort = await create_cohort(s, key="2026h", name="Kull 2026 høst")
        classes = [
            await create_class(s, cohort=cohort, key="bergen", name=bergen_name, city="Bergen"),
            await create_class(s, cohort=cohort, key="tromso", name="Tromsø", city="Tromsø"),
        ]
        for user, k in PEOPLE:
            p = await create_person(s, email=f"{user}@kommune.no", name=user.title())
            await enrol(s, person=p, cohort=cohort, cls=classes[k])
            if user not in NO_AAD:
                s.add(
                    PersonIdentity(
                        person_id=p.id,
                        platform="teams",
                        user_id=f"29:{user}",
                        aad_object_id=f"aad-{user}",
                        tenant_id="tenant-1",
                    )
                )
        await s.flush()
        assert cohort.id is not None
        report = await nw.sync_cohort_channels(s, settings, cohort_id=cohort.id, now=clock.now())
        return cohort.id, report


async def sync(db: Database, settings: Settings, clock: FrozenClock, cohort_id: int) -> Any:
    async with db.transaction() as s:
        return await nw.sync_cohort_channels(s, settings, cohort_id=cohort_id, now=clock.now())


async def until_done(d: Dispatcher, db: Database, clock: FrozenClock, rounds: int = 60) -> None:
    """Tick (moving the clock past each retry's time) until nothing is pending or in flight."""
    for _ in range(rounds):
        await d.tick()
        rows = await all_deliveries(db)
        done = (DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.CANCELLED)
        if all(r.state in done for r in rows):
            return
        # Past any retry's time: the backoff is jittered, up to its cap.
        clock.advance(timedelta(seconds=d.settings.dispatch_backoff_max_seconds + 1))
    raise AssertionError("the outbox did not finish")


async def stored_channels(db: Database) -> list[NetworkChannel]:
    async with db.session() as s:
        return list((await s.exec(select(NetworkChannel))).all())


def channels_in_graph(graph: ConnectorHandle) -> dict[str, dict[str, Any]]:
    return {c["displayName"]: c for c in graph.state.team_channels[TEAM]}


def members(channel: dict[str, Any]) -> set[str]:
    return {m["userId"] for m in channel["members"]}


def creates(graph: ConnectorHandle) -> Counter[str]:
    return Counter(
        c["body"]["displayName"] for c in graph.state.graph_calls if c.get("op") == "create_channel"
    )


BERGEN = "Bergen (2026h)"
TROMSO = "Tromsø (2026h)"


def assert_made_once(graph: ConnectorHandle) -> None:
    made = channels_in_graph(graph)
    assert set(made) == {BERGEN, TROMSO}  # no cohort channel: the team is the cohort's space
    assert all(c["membershipType"] == "private" for c in made.values())
    assert members(made[BERGEN]) == {OWNER, "aad-kari", "aad-ola"}
    assert members(made[TROMSO]) == {OWNER, "aad-per", "aad-liv", "aad-siri"}
    assert [m["userId"] for m in made[BERGEN]["members"] if "owner" in m["roles"]] == [OWNER]


async def test_a_rolled_back_sync_leaves_nothing_in_graph(
    db: Database,
    teams_settings: Settings,
    clock: FrozenClock,
    graph: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as s:
            cohort = await create_cohort(s, key="2026h")
            klass = await create_class(s, cohort=cohort, key="bergen", name="Bergen")
            p = await create_person(s, email="kari@kommune.no")
            await enrol(s, person=p, cohort=cohort, cls=klass)
            s.add(
                PersonIdentity(
                    person_id=p.id, platform="teams", user_id="29:kari", aad_object_id="aad-kari"
                )
            )
            await s.flush()
            report = await nw.sync_cohort_channels(
                s, teams_settings, cohort_id=cohort.id, now=clock.now()
            )
            assert list(report.teams_channels.values()) == ["Bergen (2026h)"]
            assert report.teams_added == [p.id]
            raise RuntimeError("the deciding transaction fails after the decision")
    stats = await dispatcher(db, graph, http, clock, teams_settings).tick()
    assert stats.claimed == 0 and await all_deliveries(db) == []
    assert graph.state.team_channels[TEAM] == [] and graph.state.graph_calls == []


async def test_sync_makes_private_class_channels_once_and_lists_who_has_no_entra_id(
    db: Database,
    teams_settings: Settings,
    clock: FrozenClock,
    graph: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    cohort_id, report = await decide(db, teams_settings, clock)
    assert sorted(report.teams_channels.values()) == [BERGEN, TROMSO]
    assert report.teams_missing == ["Nils"]  # listed, not dropped silently
    assert len(report.teams_added) == 5
    assert graph.state.team_channels[TEAM] == []  # nothing before the outbox runs
    await until_done(dispatcher(db, graph, http, clock, teams_settings), db, clock)
    assert_made_once(graph)
    assert {r.state for r in await all_deliveries(db)} == {DeliveryState.SENT}
    assert {r.transport for r in await all_deliveries(db)} == {"teams_channels"}
    made = channels_in_graph(graph)
    stored = {(c.platform, c.container_id, c.name, c.channel_id) for c in await stored_channels(db)}
    assert stored == {("teams", TEAM, n, made[n]["id"]) for n in (BERGEN, TROMSO)}
    # Every add went after its channel's create (the steps of one network wait for it).
    calls = graph.state.graph_calls
    made_at = {c["id"]: i for i, c in enumerate(calls) if c["op"] == "create_channel" and "id" in c}
    adds = [(i, c["channel"]) for i, c in enumerate(calls) if c["op"] == "add_member"]
    assert len(adds) == 5 and all(made_at[channel] < i for i, channel in adds)
    # Syncing again decides nothing new: no second channel, no second add.
    calls = len(graph.state.graph_calls)
    clock.advance(timedelta(hours=1))
    again = await sync(db, teams_settings, clock, cohort_id)
    assert again.teams_channels == {} and again.teams_added == []
    assert again.teams_missing == ["Nils"]
    await until_done(dispatcher(db, graph, http, clock, teams_settings), db, clock)
    assert len(graph.state.graph_calls) == calls
    # Nils installs the app (an Entra id now): the next sync adds him, and only him.
    async with db.transaction() as s:
        nils = (await s.exec(select(PersonIdentity))).all()
        person_ids = {i.person_id for i in nils}
        from storage.models import Person

        nils_person = (await s.exec(select(Person).where(Person.name == "Nils"))).one()
        assert nils_person.id not in person_ids
        s.add(
            PersonIdentity(
                person_id=nils_person.id,
                platform="teams",
                user_id="29:nils",
                aad_object_id="aad-nils",
            )
        )
    later = await sync(db, teams_settings, clock, cohort_id)
    assert later.teams_added == [nils_person.id] and later.teams_missing == []
    await until_done(dispatcher(db, graph, http, clock, teams_settings), db, clock)
    assert members(channels_in_graph(graph)[BERGEN]) == {OWNER, "aad-kari", "aad-ola", "aad-nils"}


async def test_a_crash_between_graphs_create_and_the_mark_adopts_the_channel(
    db: Database,
    teams_settings: Settings,
    clock: FrozenClock,
    graph: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    await decide(db, teams_settings, clock)
    # Graph makes the first channel; the process dies before the answer is back and marked.
    hold = graph.state.hold_graph("/channels")
    one = teams_settings.model_copy(update={"dispatch_concurrency": 1})
    tick = asyncio.ensure_future(dispatcher(db, graph, http, clock, one).tick())
    await asyncio.wait_for(hold.reached.wait(), timeout=30)
    await crash(tick)
    hold.release()
    [made_before_crash] = graph.state.team_channels[TEAM]
    assert await stored_channels(db) == []  # the mark never happened
    # Its lease runs out, and a new process takes over: the create meets the name, adopts it.
    clock.advance(timedelta(seconds=teams_settings.dispatch_lease_seconds + 1))
    await until_done(dispatcher(db, graph, http, clock, teams_settings), db, clock)
    assert_made_once(graph)
    assert creates(graph)[made_before_crash["displayName"]] == 2  # asked twice, made once
    adopted = {c.name: c.channel_id for c in await stored_channels(db)}
    assert adopted[made_before_crash["displayName"]] == made_before_crash["id"]
    assert {r.state for r in await all_deliveries(db)} == {DeliveryState.SENT}


async def test_429_with_retry_after_and_502_are_retried_and_504_only_up_to_a_bound(
    db: Database,
    teams_settings: Settings,
    clock: FrozenClock,
    graph: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    await decide(db, teams_settings, clock)
    state = graph.state
    state.fail_next(429, retry_after=17, path="/channels", times=1)
    state.fail_next(502, path="/members", times=2)
    d = dispatcher(db, graph, http, clock, teams_settings)
    start = clock.now()
    await d.tick()
    rows = {r.kind: r for r in await all_deliveries(db) if r.kind == "channel_create"}
    [throttled] = [r for r in await all_deliveries(db) if r.error == "ratelimited"]
    # Retry-After is honoured (not before 17 s), and a 429 is not held against the step.
    assert throttled.retry_at is not None and throttled.retry_at >= start + timedelta(seconds=17)
    assert throttled.attempts == 0 and rows
    await until_done(d, db, clock)
    assert [r["status"] for r in state.refused] == [429, 502, 502]
    assert_made_once(graph)
    assert {r.state for r in await all_deliveries(db)} == {DeliveryState.SENT}
    assert all(r.attempts <= teams_settings.dispatch_max_attempts for r in await all_deliveries(db))
    # A Graph that answers 504 for good: the step gives up after the bound, with the reason.
    async with db.transaction() as s:
        cohort = await create_cohort(s, key="2027v", name="Kull 2027 vår")
        await create_class(s, cohort=cohort, key="oslo", name="Oslo", city="Oslo")
        await s.flush()
        cohort_id = cohort.id
    assert cohort_id is not None
    state.fail_next(504, path="/channels", times=100)
    await sync(db, teams_settings, clock, cohort_id)
    await until_done(d, db, clock)
    [failed] = [r for r in await all_deliveries(db) if r.state == DeliveryState.FAILED]
    assert failed.attempts == teams_settings.dispatch_max_attempts
    assert "gave up" in (failed.error or "") and "http_504" in (failed.error or "")
    assert "Oslo (2027v)" not in channels_in_graph(graph)


async def test_two_dispatchers_make_each_channel_once(
    db: Database,
    other_db: Database,
    teams_settings: Settings,
    clock: FrozenClock,
    graph: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    await decide(db, teams_settings, clock)
    a = dispatcher(db, graph, http, clock, teams_settings)
    b = dispatcher(other_db, graph, http, clock, teams_settings)  # a second process
    ticks: list[TickStats] = await asyncio.gather(a.tick(), b.tick(), a.tick(), b.tick())
    await until_done(b, other_db, clock)
    assert sum(t.claimed for t in ticks) >= 2
    assert_made_once(graph)
    assert all(n == 1 for n in creates(graph).values()), creates(graph)
    assert {r.state for r in await all_deliveries(db)} == {DeliveryState.SENT}


async def test_a_hostile_class_name_makes_a_valid_channel(
    db: Database,
    teams_settings: Settings,
    clock: FrozenClock,
    graph: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    await decide(db, teams_settings, clock, bergen_name=HOSTILE)
    await until_done(dispatcher(db, graph, http, clock, teams_settings), db, clock)
    assert {r.state for r in await all_deliveries(db)} == {DeliveryState.SENT}
    [hostile] = [c for c in graph.state.team_channels[TEAM] if c["displayName"] != TROMSO]
    name = hostile["displayName"]
    assert len(name) <= 50 and _channel_name_problem(name) is None
    assert not set(name) & CHANNEL_NAME_FORBIDDEN and "<at>" not in name
    assert name.startswith("Bergen Kari co a b c ja")
    assert members(hostile) == {OWNER, "aad-kari", "aad-ola"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("._Bergen_.", "Bergen"),
        ("...", "Klasse"),
        ("Oslo: \"A\" & 'B'", "Oslo A B"),
        ("a" * 49 + "._" + "b" * 10, "a" * 49),
        ("Tromsø\n\tklasse\x00", "Tromsø klasse"),
        ("<AT>Per</AT> #1", "Per 1"),
    ],
)
def test_channel_names_are_made_valid_for_teams(name: str, expected: str) -> None:
    made = channel_display_name(name)
    assert made == expected
    assert _channel_name_problem(made) is None


async def test_leaving_a_class_takes_the_person_out_of_its_private_channel(
    db: Database,
    teams_settings: Settings,
    clock: FrozenClock,
    graph: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    cohort_id, _ = await decide(db, teams_settings, clock)
    d = dispatcher(db, graph, http, clock, teams_settings)
    await until_done(d, db, clock)
    # Kari withdraws; Per moves from Tromsø to Bergen (the policy keeps withdrawn people in
    # Slack, but a private Teams channel is the class's gate).
    assert teams_settings.withdrawn_policy != "remove"
    clock.advance(timedelta(days=1))
    async with db.transaction() as s:
        bergen = (await s.exec(select(CohortClass).where(CohortClass.key == "bergen"))).one()
        rows = (
            await s.exec(
                select(Enrolment, PersonIdentity).where(
                    Enrolment.person_id == PersonIdentity.person_id
                )
            )
        ).all()
        for enrolment, identity in rows:
            if identity.aad_object_id == "aad-kari":
                enrolment.status = EnrolmentStatus.WITHDRAWN
            if identity.aad_object_id == "aad-per":
                enrolment.class_id = bergen.id
                per_id = identity.person_id
    report = await sync(db, teams_settings, clock, cohort_id)
    assert report.moved == [per_id]
    await until_done(d, db, clock)
    made = channels_in_graph(graph)
    assert members(made[BERGEN]) == {OWNER, "aad-ola", "aad-per"}
    assert members(made[TROMSO]) == {OWNER, "aad-liv", "aad-siri"}
    assert {r.state for r in await all_deliveries(db)} == {DeliveryState.SENT}
    # Removing again is harmless: Graph no longer lists them, so the step is done.
    removes = [c for c in graph.state.graph_calls if c["op"] == "remove_member"]
    assert len(removes) == 2


async def test_staff_write_sync_in_teams_and_the_class_channels_follow(
    teams_world: Any,
) -> None:
    """The whole path: a staff member's "synk" over /api/messages, then the outbox's Graph
    calls; the syncing staff member owns the channels, Kari (Slack only) is listed."""
    from tests.handlers.teams.conftest import card_of, card_text
    from tests.utils.assignments import build_programme

    world = teams_world
    state = world.connector.state
    state.add_team(TEAM)
    state.add_graph_user("stab", "staff@lederutdanning.no", "Stab")
    state.add_graph_user("per", "per@tromso.kommune.no", "Per Olsen")
    world.runtime.settings = world.runtime.settings.model_copy(update={"teams_team_id": TEAM})
    graph_client = TeamsGraph(world.http, base_url=f"{world.connector.url}/v1.0", mode="dev")
    world.runtime.notifiers["teams_channels"] = TeamsChannelSteps(graph_client)
    async with world.runtime.db.transaction() as session:
        await build_programme(session)
    chat = await world.install("stab", "staff@lederutdanning.no", "Stab")
    await world.install("per", "per@tromso.kommune.no", "Per Olsen")
    before = len(state.sent_to(chat))
    body = world.activity("message", user="stab", conversation=chat, text="synk kull-2026h")
    assert (await world.post(body))[0] in (200, 202)
    reply = card_text(card_of(state.sent_to(chat)[before]))
    assert "Bergen (kull-2026h)" in reply and "Tromsø (kull-2026h)" in reply
    assert "Kari Nordmann" in reply and "Ola Hansen" in reply  # no Entra id: listed
    assert "Per Olsen" not in reply
    for _ in range(5):
        await world.dispatcher.tick()
    made = {c["displayName"]: c for c in state.team_channels[TEAM]}
    assert set(made) == {"Bergen (kull-2026h)", "Tromsø (kull-2026h)", "Bodø (kull-2026h)"}
    assert members(made["Tromsø (kull-2026h)"]) == {"aad-stab", "aad-per"}
    assert members(made["Bergen (kull-2026h)"]) == {"aad-stab"}
    # A participant cannot sync.
    per_chat = "a:per"
    before = len(state.sent_to(per_chat))
    body = world.activity("message", user="per", conversation=per_chat, text="synk kull-2026h")
    assert (await world.post(body))[0] in (200, 202)
    from bot.messages import t

    assert t("error.not_allowed", "nb") in card_text(card_of(state.sent_to(per_chat)[before]))
    assert len(state.team_channels[TEAM]) == 3


async def test_a_standard_channel_of_the_same_name_is_not_adopted(
    db: Database,
    teams_settings: Settings,
    clock: FrozenClock,
    graph: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    """Staff made "Bergen (2026h)" as a standard channel, open to the whole team: the bot must
    not put the class's talk there; the create fails, saying why, and Tromsø is made."""
    graph.state.team_channels[TEAM].append(
        {
            "id": "19:staff-made@thread.tacv2",
            "displayName": BERGEN,
            "membershipType": "standard",
            "members": [],
        }
    )
    await decide(db, teams_settings, clock)
    await until_done(dispatcher(db, graph, http, clock, teams_settings), db, clock)
    rows = await all_deliveries(db)
    [create] = [r for r in rows if r.kind == "channel_create" and r.state == DeliveryState.FAILED]
    assert "standard channel named 'Bergen (2026h)' exists" in (create.error or "")
    # Its members' adds fail with the create's reason; nothing was added to the open channel.
    waiting = [r for r in rows if r.state == DeliveryState.FAILED and r.kind != "channel_create"]
    assert len(waiting) == 2  # Kari's and Ola's adds
    assert all("channel not created" in (r.error or "") for r in waiting)
    assert channels_in_graph(graph)[BERGEN]["members"] == []
    assert members(channels_in_graph(graph)[TROMSO]) == {OWNER, "aad-per", "aad-liv", "aad-siri"}
    assert [c.name for c in await stored_channels(db)] == [TROMSO]
    # Staff rename their channel; the next sync makes the class's and adds its members.
    channels_in_graph(graph)[BERGEN]["displayName"] = "Bergen (open)"
    clock.advance(timedelta(hours=1))
    async with db.session() as s:
        cohort_id = (await s.exec(select(CohortClass))).first().cohort_id  # type: ignore[union-attr]
    await sync(db, teams_settings, clock, cohort_id)
    await until_done(dispatcher(db, graph, http, clock, teams_settings), db, clock)
    made = channels_in_graph(graph)
    assert members(made[BERGEN]) == {OWNER, "aad-kari", "aad-ola"}
    assert {r.state for r in await all_deliveries(db)} == {DeliveryState.SENT}


async def test_a_member_not_in_the_team_fails_with_why_and_the_others_are_added(
    db: Database,
    teams_settings: Settings,
    clock: FrozenClock,
    graph: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    """Teams puts only the team's members in its private channels: Ola is not in the team, so
    his add fails with Graph's reason (for staff, in `cohortbot deliveries`); nobody else's."""
    graph.state.add_team(TEAM, members={OWNER, "aad-kari", "aad-per", "aad-liv", "aad-siri"})
    await decide(db, teams_settings, clock)
    await until_done(dispatcher(db, graph, http, clock, teams_settings), db, clock)
    [failed] = [r for r in await all_deliveries(db) if r.state == DeliveryState.FAILED]
    assert failed.kind == "channel_invite" and "http_400" in (failed.error or "")
    assert "member of the team" in (failed.error or "")
    made = channels_in_graph(graph)
    assert members(made[BERGEN]) == {OWNER, "aad-kari"}
    assert members(made[TROMSO]) == {OWNER, "aad-per", "aad-liv", "aad-siri"}


def archives(graph: ConnectorHandle) -> Counter[str]:
    return Counter(c["channel"] for c in graph.state.graph_calls if c["op"] == "archive_channel")


async def complete(db: Database, settings: Settings, clock: FrozenClock, cohort_id: int) -> None:
    async with db.transaction() as s:
        await nw.complete_cohort(s, settings, cohort_id=cohort_id, now=clock.now())


@pytest.fixture
def archiving(teams_settings: Settings) -> Settings:
    return teams_settings.model_copy(update={"class_channels_on_completion": "archive"})


async def completed_with_channels(
    db: Database,
    graph: ConnectorHandle,
    http: aiohttp.ClientSession,
    clock: FrozenClock,
    archiving: Settings,
) -> None:
    """A cohort whose class channels are made in Graph, then completed: their archives are
    decided, not yet sent."""
    cohort_id, _ = await decide(db, archiving, clock)
    await until_done(dispatcher(db, graph, http, clock, archiving), db, clock)
    await complete(db, archiving, clock, cohort_id)


def archive_rows(rows: list[Any]) -> list[Any]:
    return [r for r in rows if r.kind == "channel_archive"]


async def test_completing_a_cohort_archives_its_teams_channels_once(
    db: Database,
    other_db: Database,
    archiving: Settings,
    clock: FrozenClock,
    graph: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    cohort_id, _ = await decide(db, archiving, clock)
    await until_done(dispatcher(db, graph, http, clock, archiving), db, clock)
    made = channels_in_graph(graph)
    await complete(db, archiving, clock, cohort_id)
    assert archives(graph) == Counter()  # nothing before the outbox runs
    # Completing again (the job and staff both) decides nothing more.
    clock.advance(timedelta(minutes=5))
    await complete(db, archiving, clock, cohort_id)
    a = dispatcher(db, graph, http, clock, archiving)
    b = dispatcher(other_db, graph, http, clock, archiving)  # a second process
    await asyncio.gather(a.tick(), b.tick(), a.tick(), b.tick())
    await until_done(b, other_db, clock)
    assert archives(graph) == Counter({made[BERGEN]["id"]: 1, made[TROMSO]["id"]: 1})
    assert all(c["isArchived"] for c in channels_in_graph(graph).values())
    [call] = [c for c in graph.state.graph_calls if c["op"] == "archive_channel"][:1]
    assert call["body"] == {"shouldSetSpoSiteReadOnlyForMembers": True}
    rows = archive_rows(await all_deliveries(db))
    assert len(rows) == 2 and {r.state for r in rows} == {DeliveryState.SENT}
    assert {r.transport for r in rows} == {"teams_channels"}


async def test_a_crash_between_graphs_202_and_the_poll_neither_archives_twice_nor_hangs(
    db: Database,
    archiving: Settings,
    clock: FrozenClock,
    graph: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    """Graph accepted the archive (its operation runs) and the process died before it kept
    the operation: the next process starts no second archive and finishes once Graph has."""
    await completed_with_channels(db, graph, http, clock, archiving)
    hold = graph.state.hold_graph("/archive")
    one = archiving.model_copy(update={"dispatch_concurrency": 1})
    tick = asyncio.ensure_future(dispatcher(db, graph, http, clock, one).tick())
    await asyncio.wait_for(hold.reached.wait(), timeout=30)
    await crash(tick)
    hold.release()
    [(held, [operation])] = [
        (c["id"], graph.state.archive_operations(c["id"]))
        for c in graph.state.team_channels[TEAM]
        if graph.state.archive_operations(c["id"])
    ]
    assert operation.status == "inProgress"
    # The lease runs out; the next process finds the channel not archived yet, and Graph
    # refuses a second archive while the first runs: it follows the channel until it is.
    clock.advance(timedelta(seconds=archiving.dispatch_lease_seconds + 1))
    await until_done(dispatcher(db, graph, http, clock, archiving), db, clock)
    assert len(graph.state.archive_operations(held)) == 1  # one archive, not two
    assert operation.status == "succeeded"
    assert [r["status"] for r in graph.state.refused] == []  # refusals are Graph's, not faults
    assert all(c["isArchived"] for c in channels_in_graph(graph).values())
    rows = archive_rows(await all_deliveries(db))
    assert {r.state for r in rows} == {DeliveryState.SENT}


async def test_an_archive_whose_operation_fails_is_recorded_failed_with_graphs_reason(
    db: Database,
    archiving: Settings,
    clock: FrozenClock,
    graph: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    await completed_with_channels(db, graph, http, clock, archiving)
    graph.state.fail_next_archive("ChannelArchiveFailed", "SharePoint could not be made read-only")
    await until_done(dispatcher(db, graph, http, clock, archiving), db, clock)
    [failed] = [o for o in graph.state.operations.values() if o.status == "failed"]
    rows = archive_rows(await all_deliveries(db))
    [row] = [r for r in rows if r.state == DeliveryState.FAILED]
    # Graph's reason, for staff in `cohortbot deliveries`, as any failed step's.
    assert "ChannelArchiveFailed" in (row.error or "")
    assert "SharePoint could not be made read-only" in (row.error or "")
    assert failed.channel["id"] in (row.error or "")
    assert not failed.channel["isArchived"]
    # The other class's archive went through, and only it counts as done.
    assert [r.state for r in rows if r is not row] == [DeliveryState.SENT]
    assert archives(graph)[failed.channel["id"]] == 1  # a failed archive is not POSTed again


async def test_an_archive_in_progress_is_not_done_until_its_operation_succeeds(
    db: Database,
    other_db: Database,
    archiving: Settings,
    clock: FrozenClock,
    graph: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    """While Graph's operation runs the step waits (Graph's pace: >30 s apart, or its
    Retry-After), in any process, without a second archive; 503 on a check is retried."""
    await completed_with_channels(db, graph, http, clock, archiving)
    graph.state.archive_looks = 3
    a = dispatcher(db, graph, http, clock, archiving)
    b = dispatcher(other_db, graph, http, clock, archiving)  # a second process
    await a.tick()
    posted = archives(graph)
    assert sorted(posted.values()) == [1, 1]
    rows = archive_rows(await all_deliveries(db))
    assert {r.state for r in rows} == {DeliveryState.PENDING}  # accepted is not archived
    assert all(
        r.retry_at is not None and r.retry_at >= clock.now() + timedelta(seconds=30) for r in rows
    )
    assert not any(c["isArchived"] for c in channels_in_graph(graph).values())
    assert "(being archived)" in render_page(graph.state)
    # Not due before Graph's interval: nothing is asked meanwhile.
    clock.advance(timedelta(seconds=10))
    calls = len(graph.state.graph_calls)
    await b.tick()
    assert len(graph.state.graph_calls) == calls
    # The other process checks the operation the first one kept (inProgress: wait again, as
    # Graph's Retry-After says); a 503 on a check is retried.
    graph.state.operation_retry_after = 120
    clock.advance(timedelta(seconds=25))
    await b.tick()
    rows = archive_rows(await all_deliveries(other_db))
    assert {r.state for r in rows} == {DeliveryState.PENDING}
    assert all(r.retry_at == clock.now() + timedelta(seconds=120) for r in rows)
    graph.state.fail_next(503, path="/operations/", times=2)
    clock.advance(timedelta(seconds=121))
    await a.tick()
    assert len(graph.state.refused) == 2
    await until_done(b, other_db, clock)
    assert archives(graph) == posted  # never POSTed again
    assert all(o.status == "succeeded" for o in graph.state.operations.values())
    assert all(c["isArchived"] for c in channels_in_graph(graph).values())
    assert {r.state for r in archive_rows(await all_deliveries(db))} == {DeliveryState.SENT}
    page = render_page(graph.state)
    assert "(archived)" in page and "(being archived)" not in page


@pytest.mark.parametrize("lost", ["no_location", "operation_404"])
async def test_an_archive_whose_operation_is_lost_is_done_when_the_channel_is_archived(
    lost: str,
    db: Database,
    archiving: Settings,
    clock: FrozenClock,
    graph: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    await completed_with_channels(db, graph, http, clock, archiving)
    graph.state.archive_looks = 4
    d = dispatcher(db, graph, http, clock, archiving)
    if lost == "no_location":
        graph.state.archive_location = False
        await d.tick()
    else:
        await d.tick()
        graph.state.lose_archive_operations()
    posted = archives(graph)
    assert {r.state for r in archive_rows(await all_deliveries(db))} == {DeliveryState.PENDING}
    await until_done(d, db, clock)
    assert archives(graph) == posted  # followed through the channel, not archived again
    assert all(c["isArchived"] for c in channels_in_graph(graph).values())
    assert {r.state for r in archive_rows(await all_deliveries(db))} == {DeliveryState.SENT}


async def test_a_rolled_back_completion_archives_nothing_and_keep_archives_nothing(
    db: Database,
    teams_settings: Settings,
    archiving: Settings,
    clock: FrozenClock,
    graph: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    cohort_id, _ = await decide(db, archiving, clock)
    await until_done(dispatcher(db, graph, http, clock, archiving), db, clock)
    rows_before = len(await all_deliveries(db))
    with pytest.raises(RuntimeError):
        async with db.transaction() as s:
            await nw.complete_cohort(s, archiving, cohort_id=cohort_id, now=clock.now())
            raise RuntimeError("the completing transaction fails after the decision")
    assert len(await all_deliveries(db)) == rows_before
    # The default, "keep": completion leaves the channels open.
    await complete(db, teams_settings, clock, cohort_id)
    await until_done(dispatcher(db, graph, http, clock, archiving), db, clock)
    assert len(await all_deliveries(db)) == rows_before and archives(graph) == Counter()
    assert not any(c["isArchived"] for c in channels_in_graph(graph).values())
    # A channel staff already archived (or deleted) counts as archived.
    channels_in_graph(graph)[BERGEN]["isArchived"] = True
    graph.state.team_channels[TEAM].remove(channels_in_graph(graph)[TROMSO])
    await complete(db, archiving, clock, cohort_id)
    await until_done(dispatcher(db, graph, http, clock, archiving), db, clock)
    rows = archive_rows(await all_deliveries(db))
    assert len(rows) == 2 and {r.state for r in rows} == {DeliveryState.SENT}


async def test_a_burst_of_60_member_adds_keeps_to_graphs_limit_on_the_team(
    db: Database,
    teams_settings: Settings,
    clock: FrozenClock,
    graph: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    # Six classes of ten, all in the one team: six chains of adds run side by side.
    async with db.transaction() as s:
        cohort = await create_cohort(s, key="2027v", name="Kull 2027 vår")
        for k in range(6):
            klass = await create_class(s, cohort=cohort, key=f"k{k}", name=f"Klasse {k}")
            for n in range(10):
                user = f"u{k}x{n}"
                graph.state.add_graph_user(user, f"{user}@kommune.no", user)
                p = await create_person(s, email=f"{user}@kommune.no", name=user)
                await enrol(s, person=p, cohort=cohort, cls=klass)
                s.add(
                    PersonIdentity(
                        person_id=p.id,
                        platform="teams",
                        user_id=f"29:{user}",
                        aad_object_id=f"aad-{user}",
                    )
                )
        await s.flush()
        assert cohort.id is not None
        report = await nw.sync_cohort_channels(
            s, teams_settings, cohort_id=cohort.id, now=clock.now()
        )
    assert len(report.teams_added) == 60
    time = VirtualTime()
    starts: list[float] = []
    limiter = GraphRateLimiter(
        monotonic=time.monotonic,
        sleep=time.sleep,
        observe=lambda key, start: starts.append(start) if key == f"team:{TEAM}" else None,
    )
    wide = teams_settings.model_copy(update={"dispatch_concurrency": 8})
    await until_done(dispatcher(db, graph, http, clock, wide, limiter), db, clock)
    adds = [c for c in graph.state.graph_calls if c["op"] == "add_member"]
    assert len(adds) == 60 and len(graph.state.team_channels[TEAM]) == 6
    # Every call Graph saw went through the limiter, and no second held more than the limit.
    assert len(starts) == len(graph.state.graph_calls) == 66
    assert limiter.per_team == 4  # Graph: at most 4 requests a second per app on a team
    rate = int(limiter.per_team)
    starts.sort()
    tight = min(starts[i + rate] - starts[i] for i in range(len(starts) - rate))
    assert tight >= 1.0 - 1e-9, tight
    assert starts[-1] - starts[0] >= (len(starts) - 1) / rate - 1e-9
    assert limiter.waited > 0


async def test_a_429_holds_the_team_in_the_graph_limiter_for_retry_after() -> None:
    time = VirtualTime()
    starts: list[tuple[str, float]] = []
    limiter = GraphRateLimiter(
        monotonic=time.monotonic,
        sleep=time.sleep,
        observe=lambda key, start: starts.append((key, start)),
    )
    limiter.penalise(f"/teams/{TEAM}/channels/c/members", 17)
    await limiter.acquire("POST", "/teams/other/channels")
    await limiter.acquire("POST", f"/teams/{TEAM}/channels")
    assert starts[0] == ("team:other", 0.0)  # another team is not held
    assert starts[1][0] == f"team:{TEAM}" and starts[1][1] >= 17.0
    assert limiter.penalties == 1


async def test_two_classes_whose_names_become_one_channel_name_never_share_a_channel(
    db: Database,
    teams_settings: Settings,
    clock: FrozenClock,
    graph: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    """ "Tromsø?" and "Tromsø" are two classes, but Teams' rules make both "Tromsø (2026h)":
    the second create finds the first's private channel. It must not adopt it (one class in the
    other's private channel; before, the dispatcher died on the unique channel id): the create
    fails saying why, its adds wait on it, and once staff rename the class a sync makes its own
    channel."""
    cohort_id, _ = await decide(db, teams_settings, clock, bergen_name="Tromsø?")
    await until_done(dispatcher(db, graph, http, clock, teams_settings), db, clock)
    [made] = graph.state.team_channels[TEAM]
    assert made["displayName"] == TROMSO
    [holder] = await stored_channels(db)
    rows = await all_deliveries(db)
    [refused] = [r for r in rows if r.kind == "channel_create" and r.state == DeliveryState.FAILED]
    assert refused.target != f"network:{holder.network_id}"
    assert f"is network {holder.network_id}'s already" in (refused.error or "")
    assert "rename one class" in (refused.error or "")
    theirs = {"aad-kari", "aad-ola"} if members(made) & {"aad-per"} else {"aad-per", "aad-liv"}
    assert not members(made) & theirs
    # Staff rename the refused class; the next sync makes its channel with the new name.
    async with db.transaction() as s:
        for klass in (await s.exec(select(CohortClass))).all():
            if klass.name == ("Tromsø?" if "aad-kari" in theirs else "Tromsø"):
                klass.name = "Tromsø vest"
                s.add(klass)
    await sync(db, teams_settings, clock, cohort_id)
    await until_done(dispatcher(db, graph, http, clock, teams_settings), db, clock)
    made_now = channels_in_graph(graph)
    assert set(made_now) == {TROMSO, "Tromsø vest (2026h)"}
    assert members(made_now["Tromsø vest (2026h)"]) == {OWNER} | theirs | (
        {"aad-siri"} if "aad-per" in theirs else set()
    )
    assert not members(made_now[TROMSO]) & theirs
    assert len({c.channel_id for c in await stored_channels(db)}) == 2


async def test_two_syncs_at_once_on_postgresql_decide_each_channel_and_add_once(
    postgres_url: str,
    teams_settings: Settings,
    clock: FrozenClock,
    graph: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    """Two staff members' syncs (two processes' engines) in the same instant on PostgreSQL:
    one create per class, one add per person, and the channels come out as one sync's."""
    one, two = Database(postgres_url), Database(postgres_url)
    try:
        off = teams_settings.model_copy(update={"teams_team_id": None})
        cohort_id, _ = await decide(one, off, clock)  # the people, no Teams decision yet
        reports = await asyncio.gather(
            *(sync(db, teams_settings, clock, cohort_id) for db in (one, two, one, two))
        )
        assert sum(len(r.teams_channels) for r in reports) == 2
        await until_done(dispatcher(one, graph, http, clock, teams_settings), one, clock)
        assert_made_once(graph)
        assert all(n == 1 for n in creates(graph).values()), creates(graph)
        adds = Counter(
            (c["channel"], c.get("user") or str(c.get("body")))
            for c in graph.state.graph_calls
            if c["op"] == "add_member"
        )
        assert len(adds) == 5 and set(adds.values()) == {1}, adds
        assert {r.state for r in await all_deliveries(one)} == {DeliveryState.SENT}
    finally:
        await one.dispose()
        await two.dispose()


async def test_a_withdrawal_while_the_add_is_being_retried_leaves_the_person_out(
    db: Database,
    teams_settings: Settings,
    clock: FrozenClock,
    graph: ConnectorHandle,
    http: aiohttp.ClientSession,
) -> None:
    """The adds meet a 502 and wait for their retry; meanwhile Kari withdraws and a sync
    decides her removal, which goes first (it is due now). The add's retry must not put her
    back in Bergen's private channel."""
    cohort_id, _ = await decide(db, teams_settings, clock)
    d = dispatcher(db, graph, http, clock, teams_settings)
    graph.state.fail_next(502, path="/members", times=2)
    for _ in range(10):  # creates, then the adds' first try (502): retrying, not yet done
        await d.tick()
        if len([c for c in graph.state.graph_calls if c["op"] == "create_channel"]) == 2 and not (
            [f for f in graph.state.faults if f.remaining > 0]
        ):
            break
        clock.advance(timedelta(seconds=5))
    assert not [f for f in graph.state.faults if f.remaining > 0]
    assert not members(channels_in_graph(graph)[BERGEN]) & {"aad-kari"}
    async with db.transaction() as s:
        for enrolment, identity in (
            await s.exec(
                select(Enrolment, PersonIdentity).where(
                    Enrolment.person_id == PersonIdentity.person_id
                )
            )
        ).all():
            if identity.aad_object_id == "aad-kari":
                enrolment.status = EnrolmentStatus.WITHDRAWN
    await sync(db, teams_settings, clock, cohort_id)
    await until_done(d, db, clock)
    made = channels_in_graph(graph)
    assert members(made[BERGEN]) == {OWNER, "aad-ola"}
    assert members(made[TROMSO]) == {OWNER, "aad-per", "aad-liv", "aad-siri"}
    [cancelled] = [r for r in await all_deliveries(db) if r.state == DeliveryState.CANCELLED]
    assert cancelled.kind == "channel_invite" and cancelled.message["meta"]["step"]["users"] == [
        "aad-kari"
    ]
    assert cancelled.error == "left the network before the add went out"
