"""Networks in Teams from the outside: intros, check-ins, alumni consent and prompts and the
directory for people whose reach is Teams, over real HTTP against the local connector."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlmodel import select

from bot import networks as nw
from storage.models import (
    Consent,
    Delivery,
    Enrolment,
    MatchCheckin,
    MatchGroup,
    Network,
    NetworkKind,
    Person,
)
from tests.handlers.teams.conftest import TeamsWorld, card_actions, card_of, card_text
from tests.utils.factories import create_class, create_cohort, create_person, enrol, link_slack

PEOPLE = [
    ("anne", "anne@voss.kommune.no", "Anne Voss", "nb"),
    ("bjorn", "Bjorn@Askoy.kommune.no", "Bjørn Askøy", "en"),
    ("cecilie", "cecilie@stord.kommune.no", "Cecilie Stord", "nb"),
    ("dag", "dag@bomlo.kommune.no", "Dag Bømlo", "nb"),
]


async def teams_programme(world: TeamsWorld) -> tuple[int, dict[str, Person], dict[str, str]]:
    """A cohort of four people reached only in Teams (no Slack id), each with the app."""
    async with world.runtime.db.transaction() as s:
        cohort = await create_cohort(s, key="2026h", name="Kull 2026 høst")
        klass = await create_class(s, cohort=cohort, key="bergen", city="Bergen")
        people = {}
        for i, (user, email, name, locale) in enumerate(PEOPLE):
            person = await create_person(
                s,
                email=email.lower(),
                name=name,
                locale=locale,
                municipality=["Voss", "Askøy", "Stord", "Bømlo"][i],
                county="Vestland",
            )
            await enrol(s, person=person, cohort=cohort, cls=klass)
            people[user] = person
        # No Slack in this workspace: the networks live in the database only.
        await nw.sync_cohort_channels(
            s, world.runtime.settings, cohort_id=cohort.id, now=_now(world)
        )
        assert cohort.id is not None
        cohort_id = cohort.id
    chats = {}
    for user, email, name, _ in PEOPLE:
        chats[user] = await world.install(user, email, name)
    await world.dispatcher.tick()  # the welcome cards
    world.connector.state.activities.clear()
    return cohort_id, people, chats


def _now(world: TeamsWorld) -> Any:
    return world.runtime.clock.now()


def _cards(world: TeamsWorld, chat: str) -> list[dict[str, Any]]:
    return [card_of(r) for r in world.connector.state.sent_to(chat)]


def _links(card: dict[str, Any]) -> list[str]:
    return [a["url"] for a in card_actions(card) if a["type"] == "Action.OpenUrl"]


async def _network(world: TeamsWorld) -> Network:
    async with world.runtime.db.session() as s:
        return (await s.exec(select(Network).where(Network.kind == NetworkKind.COHORT))).one()


async def test_intros_in_teams_are_one_card_each_with_a_link_to_the_group_chat(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    _, people, chats = await teams_programme(world)
    network = await _network(world)
    assert network.slack_channel_id is None
    async with world.runtime.db.transaction() as s:
        result = await nw.run_matching_round(
            s, world.runtime.settings, network_id=network.id, now=_now(world)
        )
    assert sorted(len(g) for g in result.groups) == [2, 2]
    await world.dispatcher.tick()
    by_id = {p.id: (user, p) for user, p in people.items()}
    for group in result.groups:
        for pid in group:
            user, person = by_id[pid]
            [intro] = _cards(world, chats[user])
            others = [by_id[o][1] for o in group if o != pid]
            text = card_text(intro)
            assert all(o.name in text for o in others)
            # English for the one who reads English, bokmål for the others.
            assert ("You are matched" if person.locale == "en" else "Dere er satt sammen") in text
            [link] = _links(intro)
            parts = urlsplit(link)
            assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
                "https://teams.microsoft.com/l/chat/0/0"
            )
            assert parse_qs(parts.query)["users"] == [",".join(o.email for o in others)]
    async with world.runtime.db.session() as s:
        intros = (await s.exec(select(Delivery).where(Delivery.kind == "match_intro"))).all()
    assert len(intros) == 4 and {d.transport for d in intros} == {"teams"}


async def test_checkin_in_teams_a_burst_of_duplicate_invokes_records_one_answer(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    _, people, chats = await teams_programme(world)
    network = await _network(world)
    async with world.runtime.db.transaction() as s:
        result = await nw.run_matching_round(
            s, world.runtime.settings, network_id=network.id, now=_now(world)
        )
    world.runtime.clock.advance(timedelta(weeks=1, minutes=1))  # type: ignore[attr-defined]
    await world.dispatcher.tick()
    anne = people["anne"]
    checkin = next(c for c in _cards(world, chats["anne"]) if "Fikk du snakket" in card_text(c))
    yes = next(a for a in card_actions(checkin) if a["verb"] == "network_checkin:yes")
    # Teams retries an invoke it thinks was lost, and people double-click: eight at once.
    answers = await asyncio.gather(*(world.click("anne", chats["anne"], yes) for _ in range(8)))
    for status, body in answers:
        assert status == 200 and body["statusCode"] == 200
        text = card_text(body["value"])
        assert "✅ Takk! Svaret ditt er registrert." in text  # the card, updated in place
        assert "Fikk du snakket" in text
    async with world.runtime.db.session() as s:
        rows = (await s.exec(select(MatchCheckin))).all()
        later = (
            await s.exec(
                select(Delivery).where(Delivery.dedupe_key.startswith("match-checkin:"))  # type: ignore[attr-defined]
            )
        ).all()
    assert any(anne.id in g for g in result.groups)
    assert [(r.person_id, r.answer) for r in rows] == [(anne.id, "yes")]
    # The settled answer cancels Anne's later check-in, and only hers.
    anne_end = [d for d in later if d.person_id == anne.id and d.dedupe_key.endswith(":end")]
    assert [d.state for d in anne_end] == ["cancelled"]
    others_end = [d for d in later if d.person_id != anne.id and d.dedupe_key.endswith(":end")]
    assert others_end and all(d.state != "cancelled" for d in others_end)


async def test_a_forged_checkin_answer_changes_nothing(teams_world: TeamsWorld) -> None:
    world = teams_world
    _, people, chats = await teams_programme(world)
    network = await _network(world)
    async with world.runtime.db.transaction() as s:
        result = await nw.run_matching_round(
            s, world.runtime.settings, network_id=network.id, now=_now(world)
        )
    async with world.runtime.db.session() as s:
        groups = {tuple(g.member_ids): g.id for g in (await s.exec(select(MatchGroup))).all()}
    mine = next(gid for members, gid in groups.items() if people["anne"].id in members)
    theirs = next(gid for members, gid in groups.items() if people["anne"].id not in members)
    assert len(result.groups) == 2
    for value in (f"{theirs}:yes", "999999:yes", "x:yes", f"{mine}:maybe", f"{mine}:no", ""):
        forged = {"verb": "network_checkin:yes", "data": {"value": value}}
        status, body = await world.click("anne", chats["anne"], forged)
        assert status == 200
        assert "gikk galt" in card_text(body["value"]) or "wrong" in card_text(body["value"])
    async with world.runtime.db.session() as s:
        assert (await s.exec(select(MatchCheckin))).all() == []


async def test_alumni_in_teams_consent_once_and_get_the_monthly_prompt(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    cohort_id, people, chats = await teams_programme(world)
    async with world.runtime.db.transaction() as s:
        asked = await nw.complete_cohort(
            s, world.runtime.settings, cohort_id=cohort_id, now=_now(world)
        )
    assert len(asked) == 4
    await world.dispatcher.tick()
    consent = next(c for c in _cards(world, chats["bjorn"]) if "alumni" in card_text(c))
    yes = next(a for a in card_actions(consent) if a["verb"] == "alumni_consent:yes")
    answers = await asyncio.gather(*(world.click("bjorn", chats["bjorn"], yes) for _ in range(6)))
    assert {card_text(b["value"]).count("✅") for _, b in answers} == {1}
    assert all("Thanks! Your answer is recorded." in card_text(b["value"]) for _, b in answers)
    await world.dispatcher.tick()
    welcome = [c for c in _cards(world, chats["bjorn"]) if "Welcome to the alumni" in card_text(c)]
    assert len(welcome) == 1
    assert "your chat with me" in card_text(welcome[0])
    async with world.runtime.db.session() as s:
        decisions = (await s.exec(select(Consent).where(Consent.kind == "alumni"))).all()
        enrolment = (
            await s.exec(select(Enrolment).where(Enrolment.person_id == people["bjorn"].id))
        ).one()
    assert [(d.person_id, d.granted, d.via) for d in decisions] == [
        (people["bjorn"].id, True, "teams")
    ]
    assert enrolment.alumni_consent is True
    # Anne says no: she gets no alumni prompt; Bjørn gets it in English, in his chat.
    no = {"verb": "alumni_consent:no", "data": {"value": f"{cohort_id}:no"}}
    status, body = await world.click("anne", chats["anne"], no)
    assert status == 200 and "vi sender deg ikke alumnimeldinger" in card_text(body["value"])
    world.connector.state.activities.clear()
    async with world.runtime.db.transaction() as s:
        queued = await nw.schedule_alumni_prompts(s, world.runtime.settings, now=_now(world))
    assert queued == 1
    world.runtime.clock.advance(timedelta(days=40))  # type: ignore[attr-defined]
    await world.dispatcher.tick()
    [prompt] = _cards(world, chats["bjorn"])
    assert "Something to discuss" in card_text(prompt)
    assert _cards(world, chats["anne"]) == []


async def test_directory_in_teams_shows_only_the_findable_with_a_chat_link(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    _, people, chats = await teams_programme(world)
    async with world.runtime.db.transaction() as s:
        await nw.update_profile(
            s,
            person_id=people["cecilie"].id,
            now=_now(world),
            findable=True,
            via="teams",
            topics="turnus *og* [rekruttering](https://evil.example)",
        )
    for words in ("finn Vestland", "find Vestland"):
        world.connector.state.activities.clear()
        status, _ = await world.post(
            world.activity("message", user="anne", conversation=chats["anne"], text=words)
        )
        assert status in (200, 202)
        [answer] = _cards(world, chats["anne"])
        text = card_text(answer)
        assert "Cecilie Stord" in text and "Dag" not in text and "Bjørn" not in text
        # People's words are shown as written, never as a link or bold.
        assert "\\[rekruttering\\]\\(https://evil.example\\)" in text
        assert _links(answer) == [
            "https://teams.microsoft.com/l/chat/0/0?users=cecilie@stord.kommune.no"
        ]
    world.connector.state.activities.clear()
    await world.post(
        world.activity("message", user="anne", conversation=chats["anne"], text="finn")
    )
    [usage] = _cards(world, chats["anne"])
    assert "finn Vestland hjemmetjeneste" in card_text(usage)


async def _say(world: TeamsWorld, user: str, chat: str, text: str) -> dict[str, Any]:
    before = len(world.connector.state.sent_to(chat))
    status, _ = await world.post(world.activity("message", user=user, conversation=chat, text=text))
    assert status in (200, 202)
    [answer] = world.connector.state.sent_to(chat)[before:]
    return card_of(answer)


async def test_profile_in_teams_opts_in_to_the_directory_as_a_recorded_consent(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    _, people, chats = await teams_programme(world)
    form = await _say(world, "dag", chats["dag"], "profil")
    ids = [el.get("id") for el in form["body"] if el["type"].startswith("Input.")]
    assert ids == ["findable", "project_title", "topics", "bio"]
    [save] = [a for a in card_actions(form) if a.get("verb") == "profile.save"]
    # Over-long text (a forged form: the card's own inputs stop it) changes nothing.
    status, body = await world.click(
        "dag", chats["dag"], save, findable="true", topics="x" * 501, bio=""
    )
    assert status == 200 and "too long" in card_text(body["value"])
    async with world.runtime.db.session() as s:
        assert (await s.exec(select(Consent))).all() == []
    status, body = await world.click(
        "dag", chats["dag"], save, findable="true", topics="Turnus og rekruttering", bio=""
    )
    assert status == 200 and "✅ Profilen er lagret." in card_text(body["value"])
    toggle = next(el for el in body["value"]["body"] if el.get("id") == "findable")
    assert toggle["value"] == "true"
    async with world.runtime.db.session() as s:
        decisions = (await s.exec(select(Consent).where(Consent.kind == "directory"))).all()
    assert [(d.person_id, d.granted, d.via) for d in decisions] == [
        (people["dag"].id, True, "teams")
    ]
    found = await _say(world, "anne", chats["anne"], "finn rekruttering")
    assert "Dag Bømlo" in card_text(found) and _links(found) == [
        "https://teams.microsoft.com/l/chat/0/0?users=dag@bomlo.kommune.no"
    ]


async def test_matching_off_on_and_pause_in_teams(teams_world: TeamsWorld) -> None:
    world = teams_world
    _, people, chats = await teams_programme(world)
    anne = people["anne"]

    async def membership() -> Any:
        async with world.runtime.db.session() as s:
            from storage.models import NetworkMembership

            network = (
                await s.exec(select(Network).where(Network.kind == NetworkKind.COHORT))
            ).one()
            return (
                await s.exec(
                    select(NetworkMembership).where(
                        NetworkMembership.person_id == anne.id,
                        NetworkMembership.network_id == network.id,
                    )
                )
            ).one()

    assert "Du blir ikke matchet lenger" in card_text(
        await _say(world, "anne", chats["anne"], "matching av")
    )
    assert (await membership()).matching_opt_in is False
    assert "matchingen igjen" in card_text(await _say(world, "anne", chats["anne"], "matching på"))
    assert (await membership()).matching_opt_in is True
    today = world.runtime.clock.now().date()
    past = await _say(world, "anne", chats["anne"], f"matching pause {today.isoformat()}")
    assert "fram i tid" in card_text(past) and (await membership()).paused_until is None
    until = today + timedelta(days=30)
    paused = await _say(world, "anne", chats["anne"], f"matching pause {until:%d.%m.%Y}")
    assert "satt på pause til" in card_text(paused)
    assert (await membership()).paused_until == until
    assert "matching av" in card_text(await _say(world, "anne", chats["anne"], "matching tull"))


async def test_a_group_mixing_slack_and_teams_gets_one_intro_each_where_they_are(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    _, people, chats = await teams_programme(world)
    async with world.runtime.db.transaction() as s:
        cecilie = await s.get(Person, people["cecilie"].id)
        assert cecilie is not None
        await link_slack(s, cecilie, "UCECILIE")  # Cecilie is in Slack: Slack is her reach
        network = (await s.exec(select(Network).where(Network.kind == NetworkKind.COHORT))).one()
        result = await nw.run_matching_round(
            s, world.runtime.settings, network_id=network.id, now=_now(world)
        )
    await world.dispatcher.tick()
    async with world.runtime.db.session() as s:
        intros = (await s.exec(select(Delivery).where(Delivery.kind == "match_intro"))).all()
    by_person = {d.person_id: d for d in intros}
    assert len(intros) == 4 and None not in by_person  # one each, no group DM
    assert (by_person[cecilie.id].transport, by_person[cecilie.id].target) == ("slack", "UCECILIE")
    emails = {p.id: p.email for p in people.values()}
    for group in result.groups:
        for pid in group:
            user = next(u for u, p in people.items() if p.id == pid)
            if pid == cecilie.id:
                continue
            [card] = _cards(world, chats[user])
            expected = [emails[o] for o in group if o not in (pid, cecilie.id)]
            links = _links(card)
            if expected:
                assert parse_qs(urlsplit(links[0]).query)["users"] == [",".join(expected)]
            else:
                assert links == []  # her only partner is in Slack: no Teams chat to open


async def test_peer_groups_in_teams_welcome_each_member_with_a_link_to_the_group_chat(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    _, people, chats = await teams_programme(world)
    async with world.runtime.db.transaction() as s:
        klass = (await s.exec(select(Network).where(Network.kind == NetworkKind.CLASS))).one()
        [group] = await nw.form_class_peer_groups(
            s,
            world.runtime.settings,
            class_id=klass.class_id,
            now=_now(world),
            actor=None,
        )
    assert len(group.member_ids) == 4
    await world.dispatcher.tick()
    for user, person in people.items():
        [welcome] = _cards(world, chats[user])
        text = card_text(welcome)
        assert (
            "This is your peer group" if person.locale == "en" else "kollegagruppen din"
        ) in text
        assert all(p.name in text for p in people.values())
        [link] = _links(welcome)
        others = [p.email for p in people.values() if p.id != person.id]
        assert parse_qs(urlsplit(link).query)["users"] == [",".join(others)]


async def test_ghosted_in_teams_joins_again_in_one_click(teams_world: TeamsWorld) -> None:
    world = teams_world
    _, people, chats = await teams_programme(world)
    network = await _network(world)
    for _ in range(nw.IGNORED_LIMIT + 1):  # three ignored intros, closed by the fourth round
        async with world.runtime.db.transaction() as s:
            await nw.run_matching_round(
                s, world.runtime.settings, network_id=network.id, now=_now(world)
            )
        world.runtime.clock.advance(timedelta(weeks=2, minutes=1))  # type: ignore[attr-defined]
    await world.dispatcher.tick()
    ghosted = next(c for c in _cards(world, chats["anne"]) if "tre siste" in card_text(c))
    join = next(a for a in card_actions(ghosted) if a["verb"] == nw.ACTION_OPT_IN)
    answers = await asyncio.gather(*(world.click("anne", chats["anne"], join) for _ in range(3)))
    for status, body in answers:
        assert status == 200 and "✅ Du er med i matchingen igjen." in card_text(body["value"])
    async with world.runtime.db.session() as s:
        from storage.models import NetworkMembership

        m = (
            await s.exec(
                select(NetworkMembership).where(
                    NetworkMembership.person_id == people["anne"].id,
                    NetworkMembership.network_id == network.id,
                )
            )
        ).one()
    assert (m.ghosted, m.ignored_intros, m.matching_opt_in) == (False, 0, True)
    # A forged network id for a network she is not in changes nothing and says so.
    forged = {"verb": nw.ACTION_OPT_IN, "data": {"value": "999999"}}
    status, body = await world.click("anne", chats["anne"], forged)
    assert status == 200 and "gikk galt" in card_text(body["value"])
