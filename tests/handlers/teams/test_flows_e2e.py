"""Teams from the outside: Bot Framework activities into /api/messages over real HTTP, the bot's
answers and deliveries recorded by the local connector. No mocks of the SDK."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.line_managers import plan_nudges
from bot.messages import t
from bot.planner import plan_deliveries
from bot.pulses import invite
from storage.models import (
    Assignment,
    AssignmentProgress,
    Delivery,
    NudgeAnswer,
    PersonIdentity,
    PulseAnswer,
    PulseReceipt,
)
from tests.handlers.teams.conftest import (
    TeamsWorld,
    anonymous_pulse_to_per,
    button,
    card_actions,
    card_of,
    card_text,
)
from tests.utils.assignments import World, add_assignment, add_nudge, build_programme
from tests.utils.factories import create_pulse


async def identities(world: TeamsWorld) -> list[PersonIdentity]:
    async with world.runtime.db.session() as session:
        return list(
            (
                await session.exec(select(PersonIdentity).where(PersonIdentity.platform == "teams"))
            ).all()
        )  # type: ignore[call-overload]


async def assignment_reminder_to_per(
    world: TeamsWorld,
) -> tuple[World, Assignment, str, dict[str, Any]]:
    """An assignment out since yesterday, planned and sent two days on: Per's chat and the
    reminder activity with its "done" button."""
    now = world.runtime.clock.now()
    async with world.runtime.db.transaction() as session:
        w = await build_programme(session)
        assignment = await add_assignment(
            session, w.cohort, release_at=now - timedelta(days=1), due_at=now + timedelta(days=8)
        )
    conversation = await world.install("per", "per@tromso.kommune.no", "Per Olsen")
    async with world.runtime.db.transaction() as session:
        await plan_deliveries(
            session=session, cohort_id=w.cohort.id, settings=world.runtime.settings, now=now
        )
    world.runtime.clock.advance(timedelta(days=2))  # type: ignore[attr-defined]
    await world.dispatcher.tick()
    return w, assignment, conversation, world.sent_with_button(conversation, "assignment_done")


async def nudges_sent(world: TeamsWorld, w: World) -> None:
    """Plan the cohort's line-manager nudges (one due in an hour) and send them two hours on."""
    async with world.runtime.db.transaction() as session:
        await plan_nudges(
            session,
            cohort_id=w.cohort.id,
            tz="Europe/Oslo",
            settings=world.runtime.settings,
            now=world.runtime.clock.now(),
        )
    world.runtime.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    await world.dispatcher.tick()


async def test_personal_install_stores_the_reference_and_welcomes_once(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    async with world.runtime.db.transaction() as session:
        w = await build_programme(session)
    conversation = await world.install("per", "PER@Tromso.Kommune.NO", "Per Olsen")
    # Teams also sends conversationUpdate for the same install: still one welcome.
    body = world.activity("conversationUpdate", user="per", conversation=conversation)
    body["membersAdded"] = [{"id": "28:cohortbot"}]
    assert (await world.post(body))[0] in (200, 202)
    rows = await identities(world)
    assert [(r.person_id, r.user_id, r.aad_object_id, r.conversation_id) for r in rows] == [
        (w.per.id, "29:per", "aad-per", conversation)
    ]
    assert rows[0].service_url == world.connector.url and rows[0].reference["conversation"]
    await world.dispatcher.tick()
    welcome = world.connector.state.sent_to(conversation)
    assert len(welcome) == 1
    assert "Velkommen" in card_text(card_of(welcome[0]))


async def test_unknown_person_is_told_and_nothing_is_stored(teams_world: TeamsWorld) -> None:
    world = teams_world
    await world.install("stranger", "stranger@example.org", "Stranger")
    assert await identities(world) == []
    replies = world.connector.state.sent_to("a:stranger")
    assert replies and "kjenner deg ikke" in card_text(card_of(replies[0]))


async def test_assignment_reminder_in_teams_is_marked_done_in_one_click(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    w, assignment, conversation, sent = await assignment_reminder_to_per(world)
    done = button(card_of(sent), "assignment_done")
    status, body = await world.click("per", conversation, done)
    assert status == 200
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "✅" in card_text(body["value"])  # the person sees their answer at once
    async with world.runtime.db.session() as session:
        progress = (
            await session.exec(select(AssignmentProgress))  # type: ignore[call-overload]
        ).all()
    assert [(p.assignment_id, p.person_id) for p in progress] == [(assignment.id, w.per.id)]
    assert progress[0].done_at is not None


async def test_line_manager_answers_a_nudge_in_one_click(teams_world: TeamsWorld) -> None:
    world = teams_world
    now = world.runtime.clock.now()
    async with world.runtime.db.transaction() as session:
        w = await build_programme(session)
        await add_nudge(session, w.cohort, send_at=now + timedelta(hours=1))
    conversation = await world.install("erik", "erik@tromso.kommune.no", "Erik Sjef")
    await nudges_sent(world, w)
    nudge = card_of(world.sent_with_button(conversation, "nudge_answer"))
    yes = button(nudge, "nudge_answer_done")
    status, body = await world.click("erik", conversation, yes)
    assert status == 200 and "✅" in card_text(body["value"])
    async with world.runtime.db.session() as session:
        answers = (await session.exec(select(NudgeAnswer))).all()  # type: ignore[call-overload]
    erik = [a for a in answers if a.manager_id == w.erik.id]
    assert [(a.answer, a.answered_via) for a in erik] == [("done", "teams")]


async def test_anonymous_pulse_answer_in_teams_keeps_no_link_to_the_person(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    w, pulse, conversation, card = await anonymous_pulse_to_per(world)
    four = next(a for a in card_actions(card) if a["title"] == "4")
    status, body = await world.click("per", conversation, four)
    assert status == 200
    shown = card_text(body["value"])
    assert "✅" in shown
    # The updated card does not keep the chosen value (as in Slack), nor highlight it.
    notes = [el["text"] for el in body["value"]["body"] if el.get("text", "").startswith("✅")]
    assert notes and all("4" not in n for n in notes)
    assert all(a.get("style") != "positive" for a in card_actions(body["value"]))
    async with world.runtime.db.session() as session:
        answers = (await session.exec(select(PulseAnswer))).all()  # type: ignore[call-overload]
        receipts = (await session.exec(select(PulseReceipt))).all()  # type: ignore[call-overload]
    # Recorded as any anonymous answer is: sealed in a receipt keyed by a token, no person.
    assert answers == [] and [r.pulse_id for r in receipts] == [pulse.id]
    assert receipts[0].token != str(w.per.id)


async def test_a_card_cannot_show_someone_elses_message(teams_world: TeamsWorld) -> None:
    world = teams_world
    now = world.runtime.clock.now()
    async with world.runtime.db.transaction() as session:
        w = await build_programme(session)
        await add_nudge(session, w.cohort, send_at=now + timedelta(hours=1))
    erik_chat = await world.install("erik", "erik@tromso.kommune.no", "Erik Sjef")
    per_chat = await world.install("per", "per@tromso.kommune.no", "Per Olsen")
    await nudges_sent(world, w)
    nudge = card_of(world.sent_with_button(erik_chat, "nudge"))
    yes = button(nudge, "nudge_answer_done")
    status, body = await world.click("per", per_chat, yes)  # Per replays Erik's button
    assert status == 200
    assert "Avklar mål" not in card_text(body["value"])  # not Erik's card
    async with world.runtime.db.session() as session:
        answers = (await session.exec(select(NudgeAnswer))).all()  # type: ignore[call-overload]
    assert all(a.answer is None for a in answers)  # and nothing was answered for Erik


async def test_staff_commands_in_personal_chat(teams_world: TeamsWorld) -> None:
    world = teams_world
    async with world.runtime.db.transaction() as session:
        w = await build_programme(session)
        del w
    chat = await world.install("stab", "staff@lederutdanning.no", "Stab")
    for text, expected in (
        ("hjelp", "For programstaben"),
        ("utsendelser", "Utsendelser"),
        ("ledere", "Ledernes deltakelse"),
        ("oppgaver", "Bergen"),
        ("resultater", "Skriv `resultater <puls>`"),
        ("kunngjøring", "Ny kunngjøring"),
        ("tull", "forstod ikke"),
    ):
        before = len(world.connector.state.sent_to(chat))
        body = world.activity("message", user="stab", conversation=chat, text=text)
        assert (await world.post(body))[0] in (200, 202)
        replies = world.connector.state.sent_to(chat)[before:]
        assert replies, text
        shown = card_text(card_of(replies[-1])) + str(card_of(replies[-1]))
        assert expected.lower() in shown.lower(), (text, shown[:300])


async def test_participant_gets_no_staff_answers(teams_world: TeamsWorld) -> None:
    world = teams_world
    async with world.runtime.db.transaction() as session:
        await build_programme(session)
    chat = await world.install("per", "per@tromso.kommune.no", "Per Olsen")
    before = len(world.connector.state.sent_to(chat))
    body = world.activity("message", user="per", conversation=chat, text="utsendelser")
    await world.post(body)
    reply = world.connector.state.sent_to(chat)[before:]
    assert (
        "Pending" not in str(reply) and "forbeholdt" in card_text(card_of(reply[-1])).lower()
    ) or reply


async def test_team_install_matches_the_roster_by_email_case_insensitively(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    async with world.runtime.db.transaction() as session:
        w = await build_programme(session)
    team = "19:team@thread.tacv2"
    world.connector.state.rosters[team] = [
        {"id": f"29:m{i}", "aadObjectId": f"aad-{i}", "userPrincipalName": email, "name": name}
        for i, (email, name) in enumerate(
            [
                ("PER@tromso.kommune.no", "Per Olsen"),
                ("Kari@Bergen.Kommune.no", "Kari Nordmann"),
                ("gjest@example.org", "Gjest Gjestesen"),
            ]
        )
    ]
    body = world.activity(
        "installationUpdate",
        user="m0",
        conversation=team,
        conversation_type="channel",
        team_id=team,
        action="add",
    )
    assert (await world.post(body))[0] in (200, 202)
    rows = {r.person_id: r for r in await identities(world)}
    assert set(rows) == {w.per.id, w.kari.id}
    reply = card_text(card_of(world.connector.state.sent_to(team)[-1]))
    assert "2 av 3" in reply and "Gjest Gjestesen" in reply
    assert "Ola Hansen" not in reply  # programme people missing are listed to staff only
    # The bot opened a 1:1 chat with each matched member, so it can reach them from now on.
    created = {
        c["request"]["members"][0]["id"]: c["id"] for c in world.connector.state.conversations
    }
    assert set(created) == {"29:m0", "29:m1"}
    rows = {r.person_id: r for r in await identities(world)}
    assert rows[w.per.id].conversation_id == created["29:m0"]
    assert rows[w.per.id].service_url == world.connector.url


async def test_dev_mode_refuses_activities_with_a_remote_service_url(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    async with world.runtime.db.transaction() as session:
        await build_programme(session)
    world.personal("per", "per@tromso.kommune.no", "Per Olsen")
    body = world.activity("installationUpdate", user="per", conversation="a:per", action="add")
    body["serviceUrl"] = "https://attacker.example/"
    status, _ = await world.post(body)
    assert status == 401
    assert await identities(world) == []
    assert world.connector.state.activities == []


async def test_connector_429_sends_the_pulse_once_later(teams_world: TeamsWorld) -> None:
    world = teams_world
    now = world.runtime.clock.now()
    async with world.runtime.db.transaction() as session:
        w = await build_programme(session)
        pulse, _ = await create_pulse(session, cohort=w.cohort, opens_at=now)
    conversation = await world.install("per", "per@tromso.kommune.no", "Per Olsen")
    world.connector.state.fail_next(429, retry_after=0, path="/activities")
    async with world.runtime.db.transaction() as session:
        await invite(session, pulse, now=now, settings=world.runtime.settings)
    stats = await world.dispatcher.tick()
    assert stats.retried >= 1
    world.runtime.clock.advance(timedelta(seconds=1))  # type: ignore[attr-defined]
    await world.dispatcher.tick()
    cards = [card_of(r) for r in world.connector.state.sent_to(conversation)]
    assert sum(1 for c in cards if any(a["verb"].startswith("pulse") for a in card_actions(c))) == 1


async def test_a_429_on_a_command_reply_is_waited_out_and_sent_once(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    async with world.runtime.db.transaction() as session:
        await build_programme(session)
    chat = await world.install("per", "per@tromso.kommune.no", "Per Olsen")
    before = len(world.connector.state.sent_to(chat))
    world.connector.state.fail_next(429, retry_after=0, times=2, path="/activities")
    body = world.activity("message", user="per", conversation=chat, text="hjelp")
    assert (await world.post(body))[0] in (200, 202)
    replies = world.connector.state.sent_to(chat)[before:]
    assert len(replies) == 1 and "hjelp" in card_text(card_of(replies[0]))
    assert [r["status"] for r in world.connector.state.refused] == [429, 429]


async def test_action_submit_fallback_records_the_answer_and_updates_the_card(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    w, _assignment, conversation, sent = await assignment_reminder_to_per(world)
    done = button(card_of(sent), "assignment_done")
    # A client without Universal Actions sends the fallback's data as a message.
    body = world.activity(
        "message", user="per", conversation=conversation, value=done["fallback"]["data"]
    )
    body["replyToId"] = sent["id"]
    assert (await world.post(body))[0] in (200, 202)
    update = world.connector.state.updates[-1]
    assert update["activity_id"] == sent["id"]
    assert "✅" in card_text(update["activity"]["attachments"][0]["content"])
    async with world.runtime.db.session() as session:
        progress = (
            await session.exec(select(AssignmentProgress))  # type: ignore[call-overload]
        ).all()
    assert [p.person_id for p in progress] == [w.per.id]


async def test_malformed_activities_get_400_and_change_nothing(teams_world: TeamsWorld) -> None:
    world = teams_world
    url = f"{world.bot_url}/api/messages"
    for data in (b"not json", b"[1, 2]", b'{"type": "message"}'):
        async with world.http.post(
            url, data=data, headers={"Content-Type": "application/json"}
        ) as response:
            assert response.status in (400, 401), data
    assert await identities(world) == [] and world.connector.state.activities == []


async def test_a_member_joining_a_team_is_matched_without_a_post(teams_world: TeamsWorld) -> None:
    world = teams_world
    async with world.runtime.db.transaction() as session:
        w = await build_programme(session)
    team = "19:class@thread.tacv2"
    world.connector.state.rosters[team] = [
        {"id": "29:per", "aadObjectId": "aad-per", "email": "per@tromso.kommune.no", "name": "Per"}
    ]
    body = world.activity(
        "conversationUpdate",
        user="admin",
        conversation=team,
        conversation_type="channel",
        team_id=team,
    )
    body["membersAdded"] = [{"id": "29:per"}]
    assert (await world.post(body))[0] in (200, 202)
    rows = await identities(world)
    assert [(r.person_id, r.user_id) for r in rows] == [(w.per.id, "29:per")]
    assert rows[0].conversation_id == "a:29:per"  # the 1:1 chat the connector opened
    assert world.connector.state.sent_to(team) == []  # nothing posted in the team


async def test_staff_results_come_with_the_chart_as_an_image(teams_world: TeamsWorld) -> None:
    world = teams_world
    now = world.runtime.clock.now()
    async with world.runtime.db.transaction() as session:
        w = await build_programme(session)
        pulse, _ = await create_pulse(session, cohort=w.cohort, opens_at=now, anonymous=False)
    chat = await world.install("stab", "staff@lederutdanning.no", "Stab")
    before = len(world.connector.state.sent_to(chat))
    body = world.activity("message", user="stab", conversation=chat, text=f"resultater {pulse.id}")
    assert (await world.post(body))[0] in (200, 202)
    card = card_of(world.connector.state.sent_to(chat)[before])
    images = [el for el in card["body"] if el["type"] == "Image"]
    assert len(images) == 1 and images[0]["url"].startswith("data:image/png;base64,")
    assert pulse.title in card_text(card)


async def test_staff_announce_with_a_card_form_preview_and_send(teams_world: TeamsWorld) -> None:
    import jsonschema

    from tests.handlers.teams.test_cards import SCHEMA

    world = teams_world
    async with world.runtime.db.transaction() as session:
        w = await build_programme(session)
    await world.install("per", "per@tromso.kommune.no", "Per Olsen")
    chat = await world.install("stab", "staff@lederutdanning.no", "Stab")
    before = len(world.connector.state.sent_to(chat))
    body = world.activity("message", user="stab", conversation=chat, text="kunngjøring")
    assert (await world.post(body))[0] in (200, 202)
    form = card_of(world.connector.state.sent_to(chat)[before])
    jsonschema.Draft202012Validator(SCHEMA).validate(form)
    choices = next(el for el in form["body"] if el["type"] == "Input.ChoiceSet")["choices"]
    spec = next(c["value"] for c in choices if c["value"] == f"cohort:{w.cohort.key}")
    to_preview = next(a for a in card_actions(form) if a["verb"] == "announce.preview")
    status, answer = await world.click(
        "stab",
        chat,
        to_preview,
        audience=spec,
        text="*Husk* samlingen [her](https://x.example)",
        date="",
        time="",
        urgent="false",
    )
    assert status == 200
    preview = answer["value"]
    jsonschema.Draft202012Validator(SCHEMA).validate(preview)
    assert "Teams: 1" in card_text(preview)  # Per is reached in Teams
    assert "\\[her\\]" in card_text(preview)  # staff's link is shown as text, never a link
    send = next(a for a in card_actions(preview) if a["verb"] == "announce.send")
    status, answer = await world.click("stab", chat, send)
    assert status == 200 and "Kunngjøring" in card_text(answer["value"])
    async with world.runtime.db.session() as session:
        rows = (await session.exec(select(Delivery))).all()  # type: ignore[call-overload]
    announced = [r for r in rows if r.kind == "announcement"]
    assert {(r.transport, r.person_id) for r in announced if r.transport == "teams"} == {
        ("teams", w.per.id)
    }


async def test_a_participant_cannot_announce_by_replaying_the_verb(teams_world: TeamsWorld) -> None:
    world = teams_world
    async with world.runtime.db.transaction() as session:
        w = await build_programme(session)
    chat = await world.install("per", "per@tromso.kommune.no", "Per Olsen")
    action = {
        "verb": "announce.send",
        "data": {"audience": f"cohort:{w.cohort.key}", "text": "Hei alle"},
    }
    status, answer = await world.click("per", chat, action)
    assert status == 200 and card_text(answer["value"]) == t("error.not_allowed", "nb")
    async with world.runtime.db.session() as session:
        rows = (await session.exec(select(Delivery))).all()  # type: ignore[call-overload]
    assert not [r for r in rows if r.kind == "announcement"]
