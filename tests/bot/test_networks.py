"""Networks against a real database: channels, peer groups, matching rounds, alumni, directory."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import networks as nw
from bot.clock import FrozenClock
from bot.notifier import group_target
from bot.people import Actor, NotAllowed
from bot.settings import Settings
from storage.db import Database
from storage.models import (
    AuditEvent,
    Cohort,
    Delivery,
    DeliveryState,
    Enrolment,
    EnrolmentStatus,
    MatchRound,
    Network,
    NetworkKind,
    NetworkMembership,
    Person,
)
from tests.utils.channels import FakeChannelAdmin, run_steps
from tests.utils.factories import (
    create_class,
    create_cohort,
    create_person,
    enrol,
    has_slack_id,
)
from tests.utils.factories import slack_ids as stored_slack_ids

MUNICIPALITIES = ["Bergen", "Voss", "Askøy", "Stord", "Bømlo"]


def staff(person: Person | None = None) -> Actor:
    return Actor("USTAFF", person, frozenset({"staff"}))


def participant(person: Person, slack_user_id: str) -> Actor:
    return Actor(slack_user_id, person, frozenset({"participant"}))


async def deliveries(session: AsyncSession, kind: str | None = None) -> list[Delivery]:
    stmt = select(Delivery).order_by(Delivery.id)  # type: ignore[arg-type]
    if kind:
        stmt = stmt.where(Delivery.kind == kind)
    return list((await session.exec(stmt)).all())


async def programme(
    session: AsyncSession, *, per_class: int = 5, cities: tuple[str, ...] = ("Bergen", "Tromsø")
) -> tuple[Cohort, list[Person]]:
    cohort = await create_cohort(session, key="2026h", name="Kull 2026 høst")
    people: list[Person] = []
    for c, city in enumerate(cities):
        klass = await create_class(session, cohort=cohort, key=city.lower(), city=city)
        for i in range(per_class):
            n = len(people) + 1
            person = await create_person(
                session,
                name=f"Leder {n}",
                slack_user_id=f"U{n:03d}",
                municipality=MUNICIPALITIES[(i + c) % len(MUNICIPALITIES)],
                county="Vestland" if c == 0 else "Troms",
                workplace=f"Sted {n}",
                service_area="hjemmetjeneste" if n % 2 else "sykehjem",
            )
            await enrol(session, person=person, cohort=cohort, cls=klass)
            people.append(person)
    return cohort, people


@examples(max_examples=200)
@given(st.lists(st.text(max_size=60), max_size=4))
def test_slack_names_are_always_valid(parts: list[str]) -> None:
    name = nw.slack_name("lu", *parts)
    assert re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,79}", name)
    assert not name.endswith(("-", "_"))


def test_slack_names() -> None:
    assert nw.slack_name("lu", "2026H", "Tromsø") == "lu-2026h-tromso"
    assert nw.slack_name("lu", "Ålesund / Ørsta", "Bærum") == "lu-alesund-orsta-baerum"
    long = nw.slack_name("lu", "x" * 200)
    assert len(long) <= 80 and long.startswith("lu-x")


async def test_sync_creates_adopts_and_invites(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    admin = FakeChannelAdmin()
    # A class channel made by hand earlier is adopted, not duplicated.
    existing = await admin.create_channel("lu-2026h-bergen", False)
    async with db.transaction() as s:
        cohort, people = await programme(s, per_class=2)
        report = await nw.sync_cohort_channels(
            s, settings, cohort_id=cohort.id, now=clock.now(), actor=staff()
        )
        # Decided, not done: nothing reaches Slack before the commit.
        assert set(admin.names) == {"lu-2026h-bergen"}
    await run_steps(db, admin, settings, clock)
    assert set(admin.names) == {"lu-2026h", "lu-2026h-bergen", "lu-2026h-tromso"}
    async with db.session() as s:
        bergen = (await s.exec(select(Network).where(Network.key == "class:2026h:bergen"))).one()
    assert report.channels["class:2026h:bergen"] == f"network:{bergen.id}"
    assert bergen.slack_channel_id == existing
    assert admin.members[admin.channel("lu-2026h")] == {"U001", "U002", "U003", "U004"}
    assert admin.members[existing] == {"U001", "U002"}

    # Again: nobody new to invite. Then one withdraws: left in the channel, no longer a member.
    async with db.transaction() as s:
        again = await nw.sync_cohort_channels(s, settings, cohort_id=cohort.id, now=clock.now())
        assert again.invited == []
        network = (await s.exec(select(Network).where(Network.kind == NetworkKind.COHORT))).one()
        await nw.run_matching_round(s, settings, network_id=network.id, now=clock.now())
        enrolment = (
            await s.exec(select(Enrolment).where(Enrolment.person_id == people[0].id))
        ).one()
        enrolment.status = EnrolmentStatus.WITHDRAWN
    async with db.transaction() as s:
        after = await nw.sync_cohort_channels(s, settings, cohort_id=cohort.id, now=clock.now())
        left = (
            await s.exec(
                select(NetworkMembership).where(NetworkMembership.person_id == people[0].id)
            )
        ).all()
    await run_steps(db, admin, settings, clock)
    assert after.left == [people[0].id] and after.removed == []
    assert all(m.left_at is not None for m in left)
    assert "U001" in admin.members[existing]
    async with db.transaction() as s:
        theirs = [d for d in await deliveries(s, "match_checkin") if d.person_id == people[0].id]
        assert theirs and {d.state for d in theirs} == {DeliveryState.CANCELLED}
        clock.advance(timedelta(weeks=2))
        later = await nw.run_matching_round(s, settings, network_id=network.id, now=clock.now())
    assert people[0].id not in {i for g in later.groups for i in g}


async def test_a_participant_back_from_a_withdrawal_gets_the_check_ins_still_ahead_once(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    admin = FakeChannelAdmin()
    async with db.transaction() as s:
        cohort, people = await programme(s, per_class=2, cities=("Bergen",))
        await nw.sync_cohort_channels(
            s, settings, cohort_id=cohort.id, now=clock.now(), actor=staff()
        )
        network = (await s.exec(select(Network).where(Network.kind == NetworkKind.COHORT))).one()
        await nw.run_matching_round(s, settings, network_id=network.id, now=clock.now())
    await run_steps(db, admin, settings, clock)

    async def theirs() -> dict[str, Delivery]:
        async with db.session() as s:
            return {
                d.dedupe_key.rsplit(":", 1)[1]: d
                for d in await deliveries(s, "match_checkin")
                if d.person_id == people[0].id
            }

    async def set_status(status: EnrolmentStatus) -> None:
        async with db.transaction() as s:
            enrolment = (
                await s.exec(select(Enrolment).where(Enrolment.person_id == people[0].id))
            ).one()
            enrolment.status = status
            await nw.sync_cohort_channels(s, settings, cohort_id=cohort.id, now=clock.now())

    planned = await theirs()
    assert set(planned) == {"mid", "end"}
    await set_status(EnrolmentStatus.WITHDRAWN)
    assert {d.state for d in (await theirs()).values()} == {DeliveryState.CANCELLED}
    # Back after the midpoint check-in's time, before the final one; the sync runs twice.
    clock.set(planned["mid"].send_at.replace(tzinfo=UTC) + timedelta(hours=1))
    for _ in range(2):
        await set_status(EnrolmentStatus.ACTIVE)
    back = await theirs()
    assert back["end"].state == DeliveryState.PENDING
    assert back["mid"].state == DeliveryState.CANCELLED  # passed while away: not sent late
    assert {k: d.id for k, d in back.items()} == {k: d.id for k, d in planned.items()}
    # Withdrawn and back once more: still the one final check-in, pending.
    await set_status(EnrolmentStatus.WITHDRAWN)
    await set_status(EnrolmentStatus.ACTIVE)
    again = await theirs()
    assert (again["end"].state, len(again)) == (DeliveryState.PENDING, 2)


async def test_withdrawn_removed_under_remove_policy(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    admin = FakeChannelAdmin()
    strict = settings.model_copy(update={"withdrawn_policy": "remove"})
    async with db.transaction() as s:
        cohort, people = await programme(s, per_class=2, cities=("Bergen",))
        await nw.sync_cohort_channels(s, strict, cohort_id=cohort.id, now=clock.now())
        enrolment = (
            await s.exec(select(Enrolment).where(Enrolment.person_id == people[1].id))
        ).one()
        enrolment.status = EnrolmentStatus.WITHDRAWN
        report = await nw.sync_cohort_channels(s, strict, cohort_id=cohort.id, now=clock.now())
    await run_steps(db, admin, strict, clock)
    assert sorted(report.removed) == ["U002", "U002"]
    assert "U002" not in admin.members[admin.channel("lu-2026h-bergen")]


async def test_staff_only_paths_refuse_participants(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    admin = FakeChannelAdmin()
    async with db.transaction() as s:
        cohort, people = await programme(s, per_class=4, cities=("Bergen",))
        someone = participant(people[0], "U001")
        with pytest.raises(NotAllowed):
            await nw.sync_cohort_channels(
                s, settings, cohort_id=cohort.id, now=clock.now(), actor=someone
            )
        with pytest.raises(NotAllowed):
            await nw.form_class_peer_groups(s, settings, class_id=1, now=clock.now(), actor=someone)
        with pytest.raises(NotAllowed):
            await nw.run_matching_round(s, settings, network_id=1, now=clock.now(), actor=someone)
        with pytest.raises(NotAllowed):
            await nw.complete_cohort(
                s, settings, cohort_id=cohort.id, now=clock.now(), actor=someone
            )
    assert admin.names == {}
    async with db.session() as s:
        assert await deliveries(s) == []


async def test_peer_groups_mix_municipalities_and_regroup(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    admin = FakeChannelAdmin()
    async with db.transaction() as s:
        cohort = await create_cohort(s, key="2026h")
        klass = await create_class(s, cohort=cohort, key="bergen", city="Bergen")
        people = []
        for i in range(10):  # five municipalities, two from each: two groups can separate them
            p = await create_person(
                s, slack_user_id=f"U{i:03d}", municipality=MUNICIPALITIES[i % 5]
            )
            await enrol(s, person=p, cohort=cohort, cls=klass)
            people.append(p)
        groups = await nw.form_class_peer_groups(
            s, settings, class_id=klass.id, now=clock.now(), actor=staff(), seed=3
        )
    assert admin.names == {}  # decided; made by the outbox after the commit
    await run_steps(db, admin, settings, clock)
    made = await channel_ids(db, groups)
    by_id = {p.id: p for p in people}
    async with db.session() as s:
        accounts = await stored_slack_ids(s)
    assert sorted(accounts.values()) == [f"U{i:03d}" for i in range(10)]
    assert sorted(len(g.member_ids) for g in groups) == [5, 5]
    for g in groups:
        munis = [by_id[i].municipality for i in g.member_ids]
        assert len(set(munis)) == len(munis)
        assert admin.private[made[g.network_id]]
        assert admin.members[made[g.network_id]] == {accounts[i] for i in g.member_ids}
    assert set(admin.names) >= {"lu-2026h-bergen-gruppe-1", "lu-2026h-bergen-gruppe-2"}
    async with db.session() as s:
        welcomes = await deliveries(s, "peer_group_welcome")
        assert sorted(d.target for d in welcomes) == sorted(g.channel_id for g in groups)
        assert "Første oppgave" in welcomes[0].message["text"]
        audit = (
            await s.exec(select(AuditEvent).where(AuditEvent.action == "networks.form_peer_groups"))
        ).all()
        assert len(audit) == 1

    async with db.transaction() as s:
        regrouped = await nw.form_class_peer_groups(
            s, settings, class_id=klass.id, now=clock.now(), actor=staff(), seed=3
        )
    await run_steps(db, admin, settings, clock)
    assert set(made.values()) <= admin.archived
    assert "lu-2026h-bergen-gruppe-1-r2" in admin.names
    assert {g.member_ids for g in regrouped} != {g.member_ids for g in groups}


async def channel_ids(db: Database, groups: list[nw.PeerGroup]) -> dict[int, str]:
    """Network id -> the channel the outbox made for it."""
    async with db.session() as s:
        found = {}
        for g in groups:
            network = await s.get(Network, g.network_id)
            assert network is not None and network.slack_channel_id
            found[g.network_id] = network.slack_channel_id
    return found


async def network_ids(db: Database, *keys: str) -> list[int]:
    async with db.session() as s:
        return [
            _id((await s.exec(select(Network).where(Network.key == key))).one()) for key in keys
        ]


async def _cohort_network(
    db: Database, admin: FakeChannelAdmin, settings: Settings, clock: FrozenClock, **kw: int
) -> tuple[Cohort, list[Person], Network]:
    async with db.transaction() as s:
        cohort, people = await programme(s, **kw)
        await nw.sync_cohort_channels(s, settings, cohort_id=cohort.id, now=clock.now())
        network = (await s.exec(select(Network).where(Network.kind == NetworkKind.COHORT))).one()
    await run_steps(db, admin, settings, clock)
    return cohort, people, network


async def test_matching_round_sends_intros_and_checkins(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    admin = FakeChannelAdmin()
    _, people, network = await _cohort_network(
        db, admin, settings, clock, per_class=3, cities=("Bergen", "Tromsø")
    )
    people = people[:5]
    async with db.transaction() as s:
        # Five of six take part: the sixth opted out.
        await nw.set_matching(s, person_id=_id(await _person(s, "U006")), opt_in=False)
        result = await nw.run_matching_round(
            s, settings, network_id=network.id, now=clock.now(), actor=staff()
        )
    assert sorted(len(g) for g in result.groups) == [2, 3]
    assert sorted(i for g in result.groups for i in g) == [p.id for p in people]
    async with db.session() as s:
        intros = await deliveries(s, "match_intro")
        assert len(intros) == 2
        # The group DMs are opened by the outbox when the intros go, not inside the round.
        assert admin.group_dms == {}
        slack_ids = await stored_slack_ids(s)
        assert {d.target for d in intros} == {
            group_target([slack_ids[i] for i in g]) for g in result.groups
        }
        assert "Å snakke om" in intros[0].message["text"]
        checkins = await deliveries(s, "match_checkin")
        assert len(checkins) == 10  # five people, mid-round and near the end
        round_ = (await s.exec(select(MatchRound))).one()
        assert round_.ends_at == clock.now() + timedelta(weeks=2)
        net = await s.get(Network, network.id)
        assert net is not None and net.next_match_at == round_.ends_at
        # Cross-class pairs are preferred (different cities) where possible.
        classes = {p.id: ("Bergen" if slack_ids[_id(p)] <= "U003" else "Tromsø") for p in people}
        assert any(len({classes[i] for i in g}) > 1 for g in result.groups)


async def _person(s: AsyncSession, slack_id: str) -> Person:
    return (await s.exec(select(Person).where(has_slack_id(slack_id)))).one()


def _id(p: Person) -> int:
    assert p.id is not None
    return p.id


async def test_checkin_answers_and_bad_input(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    admin = FakeChannelAdmin()
    _, people, network = await _cohort_network(
        db, admin, settings, clock, per_class=2, cities=("Bergen",)
    )
    async with db.transaction() as s:
        result = await nw.run_matching_round(s, settings, network_id=network.id, now=clock.now())
    async with db.transaction() as s:
        from storage.models import MatchGroup

        group = (await s.exec(select(MatchGroup))).one()
        a = people[0].id
        await nw.record_checkin(s, group_id=group.id, person_id=a, answer="yes", now=clock.now())
        with pytest.raises(nw.InvalidRequest):
            await nw.record_checkin(
                s, group_id=group.id, person_id=a, answer="maybe", now=clock.now()
            )
        with pytest.raises(nw.InvalidRequest):
            await nw.record_checkin(
                s, group_id=group.id + 99, person_id=a, answer="yes", now=clock.now()
            )
    async with db.session() as s:
        mine = [d for d in await deliveries(s, "match_checkin") if d.person_id == a]
        assert {d.state for d in mine} == {DeliveryState.CANCELLED}
        activity = await nw.network_activity(s, network.cohort_id or 0)
    assert (
        result.groups and activity.intros == 1 and activity.met == 1 and activity.share_met == 1.0
    )


async def test_pause_and_block_rules(db: Database, settings: Settings, clock: FrozenClock) -> None:
    admin = FakeChannelAdmin()
    _, people, network = await _cohort_network(
        db, admin, settings, clock, per_class=5, cities=("Bergen",)
    )
    ids = [_id(p) for p in people]
    async with db.transaction() as s:
        await nw.pause_matching(s, person_id=ids[4], until=date(2026, 4, 1))
        await nw.block_person(s, person_id=ids[0], blocked_person_id=ids[1])
        await nw.block_person(s, person_id=ids[2], blocked_person_id=ids[0])
        with pytest.raises(nw.InvalidRequest):
            await nw.block_person(s, person_id=ids[0], blocked_person_id=ids[0])
        result = await nw.run_matching_round(s, settings, network_id=network.id, now=clock.now())
    placed = [i for g in result.groups for i in g]
    assert ids[4] not in placed and sorted(placed) == sorted(ids[:4])
    pairs = {frozenset(p) for g in result.groups for p in combinations(g, 2)}
    assert frozenset((ids[0], ids[1])) not in pairs and frozenset((ids[0], ids[2])) not in pairs
    assert result.groups == [(ids[0], ids[3]), (ids[1], ids[2])]


async def test_ghosted_after_three_ignored_intros_until_opt_in(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    admin = FakeChannelAdmin()
    _, people, network = await _cohort_network(
        db, admin, settings, clock, per_class=2, cities=("Bergen",)
    )
    ids = [_id(p) for p in people]
    for _ in range(3):
        async with db.transaction() as s:
            result = await nw.run_matching_round(
                s, settings, network_id=network.id, now=clock.now()
            )
            assert result.groups == [tuple(ids)] and result.ghosted == []
        clock.advance(timedelta(weeks=2))
    async with db.transaction() as s:
        fourth = await nw.run_matching_round(s, settings, network_id=network.id, now=clock.now())
    assert sorted(fourth.ghosted) == ids and fourth.groups == []
    async with db.session() as s:
        told = await deliveries(s, "match_ghosted")
        assert sorted(d.target for d in told) == ["U001", "U002"]
        assert told[0].message["sections"][0]["buttons"][0]["action_id"] == nw.ACTION_OPT_IN
    async with db.transaction() as s:
        await nw.set_matching(s, person_id=ids[0], opt_in=True)
        await nw.set_matching(s, person_id=ids[1], opt_in=True)
        clock.advance(timedelta(weeks=2))
        fifth = await nw.run_matching_round(s, settings, network_id=network.id, now=clock.now())
    assert fifth.groups == [tuple(ids)]


async def test_an_answer_keeps_people_from_being_ghosted(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    admin = FakeChannelAdmin()
    _, people, network = await _cohort_network(
        db, admin, settings, clock, per_class=2, cities=("Bergen",)
    )
    from storage.models import MatchGroup

    for n in range(4):
        async with db.transaction() as s:
            result = await nw.run_matching_round(
                s, settings, network_id=network.id, now=clock.now()
            )
            assert result.ghosted == []
            if n == 1:
                group = (await s.exec(select(MatchGroup).order_by(MatchGroup.id.desc()))).first()  # type: ignore[union-attr]
                assert group is not None
                await nw.record_checkin(
                    s,
                    group_id=group.id,
                    person_id=_id(people[1]),
                    answer="could_not",
                    now=clock.now(),
                )
        clock.advance(timedelta(weeks=2))


async def test_alumni_transition_with_consent(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    admin = FakeChannelAdmin()
    archiving = settings.model_copy(update={"class_channels_on_completion": "archive"})
    cohort, people, _ = await _cohort_network(
        db, admin, archiving, clock, per_class=2, cities=("Bergen", "Tromsø")
    )
    async with db.transaction() as s:
        asked = await nw.complete_cohort(
            s, archiving, cohort_id=cohort.id, now=clock.now(), actor=staff()
        )
    await run_steps(db, admin, archiving, clock)
    assert sorted(asked) == sorted(_id(p) for p in people)
    assert {admin.channel("lu-2026h-bergen"), admin.channel("lu-2026h-tromso")} <= admin.archived
    async with db.transaction() as s:
        consent = await deliveries(s, "alumni_consent")
        assert len(consent) == 4
        buttons = consent[0].message["sections"][0]["buttons"]
        assert [b["value"] for b in buttons] == [f"{cohort.id}:yes", f"{cohort.id}:no"]
        yes = await nw.record_alumni_consent(
            s,
            settings,
            person_id=_id(people[0]),
            cohort_id=cohort.id,
            consent=True,
            now=clock.now(),
        )
        await nw.record_alumni_consent(
            s,
            settings,
            person_id=_id(people[1]),
            cohort_id=cohort.id,
            consent=False,
            now=clock.now(),
        )
        with pytest.raises(nw.InvalidRequest):
            await nw.record_alumni_consent(
                s,
                settings,
                person_id=_id(people[0]),
                cohort_id=cohort.id + 9,
                consent=True,
                now=clock.now(),
            )
    # Channels made by the outbox after the commit are named by their networks until then.
    assert yes == [
        f"network:{n}" for n in await network_ids(db, "alumni:national", "alumni:region:vestland")
    ]
    await run_steps(db, admin, settings, clock)
    async with db.session() as s:
        assert await nw.alumni_not_in_network(s, person_id=_id(people[0])) == []
        [pending] = await nw.alumni_not_in_network(s, person_id=_id(people[1]))
        assert pending.id == cohort.id
    assert admin.members[admin.channel("lu-alumni")] == {"U001"}
    async with db.session() as s:
        rows = (await s.exec(select(Enrolment).order_by(Enrolment.person_id))).all()  # type: ignore[arg-type]
        assert [r.alumni_consent for r in rows] == [True, False, None, None]
        # Alumni now, but the cohort ending completes nobody: completion is recorded, not assumed.
        assert all(r.is_alumnus and r.status == EnrolmentStatus.ACTIVE for r in rows)
        national = (
            await s.exec(select(Network).where(Network.kind == NetworkKind.ALUMNI_NATIONAL))
        ).one()
        assert national.match_every_weeks == 6
        cohort_net = (await s.exec(select(Network).where(Network.kind == NetworkKind.COHORT))).one()
        assert cohort_net.next_match_at is None
        assert cohort_net.match_every_weeks is None  # Home shows no matching controls there


async def test_cohorts_complete_after_their_end_date(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    async with db.transaction() as s:
        old = await create_cohort(s, key="2025v", end_date=date(2026, 2, 1))
        await create_cohort(s, key="2026h", end_date=date(2026, 12, 1))
        done = await nw.complete_due_cohorts(s, settings, now=clock.now())
    assert done == [old.id]


async def test_directory_shows_only_findable_people(db: Database, clock: FrozenClock) -> None:
    async with db.transaction() as s:
        viewer = await create_person(
            s, name="Meg", slack_user_id="UME", findable=True, municipality="Bergen"
        )
        await create_person(
            s, name="Synlig", findable=True, municipality="Ålesund", topics="Turnus, rekruttering"
        )
        await create_person(s, name="Skjult", findable=False, municipality="Ålesund")
        person = await create_person(s, name="Ny", municipality="Ålesund")
        await nw.update_profile(
            s,
            person_id=_id(person),
            now=clock.now(),
            findable=True,
            project_title="Heltidskultur i ÅLESUND",
        )
        with pytest.raises(nw.InvalidRequest):
            await nw.update_profile(s, person_id=_id(person), now=clock.now(), is_staff="yes")
    async with db.session() as s:
        me = participant(viewer, "UME")
        found = await nw.search_directory(s, "ålesund", me)
        assert [p.name for p in found] == ["Ny", "Synlig"]
        assert [p.name for p in await nw.search_directory(s, "ÅLESUND turnus", me)] == ["Synlig"]
        assert await nw.search_directory(s, "bergen", me) == []  # not yourself
        stranger = Actor("UX", None, frozenset())
        assert await nw.search_directory(s, "ålesund", stranger) == []


async def test_monthly_alumni_prompts(db: Database, settings: Settings, clock: FrozenClock) -> None:
    admin = FakeChannelAdmin()
    cohort, people, _ = await _cohort_network(
        db, admin, settings, clock, per_class=1, cities=("Bergen",)
    )
    async with db.transaction() as s:
        await nw.complete_cohort(s, settings, cohort_id=cohort.id, now=clock.now())
        await nw.record_alumni_consent(
            s,
            settings,
            person_id=_id(people[0]),
            cohort_id=cohort.id,
            consent=True,
            now=clock.now(),
        )
        # Monday 2 March: the first Tuesday of March is still ahead.
        assert await nw.schedule_alumni_prompts(s, settings, now=clock.now()) == 2
        assert await nw.schedule_alumni_prompts(s, settings, now=clock.now()) == 0
        prompts = await deliveries(s, "network_prompt")
    assert {d.send_at for d in prompts} == {datetime(2026, 3, 3, 8, 0, tzinfo=UTC)}
    # Queued with the consent, before the outbox made the channels: addressed by network.
    assert {d.target for d in prompts} == {
        f"network:{n}" for n in await network_ids(db, "alumni:national", "alumni:region:vestland")
    }
    assert nw.first_tuesday(2026, 9) == date(2026, 9, 1)
    assert nw.first_tuesday(2026, 4) == date(2026, 4, 7)


async def test_rounds_cut_short_by_staff_do_not_count_as_ignored(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    admin = FakeChannelAdmin()
    _, _people, network = await _cohort_network(
        db, admin, settings, clock, per_class=2, cities=("Bergen",)
    )
    for _ in range(4):  # four rounds started back to back, nobody answering
        async with db.transaction() as s:
            result = await nw.run_matching_round(
                s, settings, network_id=network.id, now=clock.now(), actor=staff()
            )
        assert result.ghosted == [] and len(result.groups) == 1
        clock.advance(timedelta(hours=1))
    async with db.session() as s:
        memberships = (
            await s.exec(
                select(NetworkMembership).where(NetworkMembership.network_id == network.id)
            )
        ).all()
    assert {m.ignored_intros for m in memberships} == {0}


async def test_two_classes_in_one_city_never_share_a_slack_class_channel(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    """Two Oslo classes (keys oslo-1 and oslo-2, city Oslo): their Slack channel names come
    from the city, so both asked for lu-2026h-oslo and the second adopted the first's: one
    class's people in the other's channel. A city two classes share is named by the key."""
    admin = FakeChannelAdmin()
    async with db.transaction() as s:
        cohort = await create_cohort(s, key="2026h", name="Kull 2026 høst")
        ids: dict[str, set[str]] = {}
        for key in ("oslo-1", "oslo-2"):
            klass = await create_class(s, cohort=cohort, key=key, city="Oslo")
            ids[key] = set()
            for i in range(2):
                uid = f"U{key[-1]}{i}"
                p = await create_person(s, name=uid, slack_user_id=uid)
                await enrol(s, person=p, cohort=cohort, cls=klass)
                ids[key].add(uid)
        await nw.sync_cohort_channels(s, settings, cohort_id=cohort.id, now=clock.now())
    await run_steps(db, admin, settings, clock)
    assert set(admin.names) == {"lu-2026h", "lu-2026h-oslo-1", "lu-2026h-oslo-2"}
    for key in ("oslo-1", "oslo-2"):
        assert admin.members[admin.channel(f"lu-2026h-{key}")] == ids[key]
