"""`utsendelser` / `deliveries` in Teams lists who nothing reaches, as Slack's Home does: ten
at a time with "… and N more", the read audited with exactly the people shown. Over real HTTP
against the local connector."""

from __future__ import annotations

from sqlmodel import select

from bot.reach import unreachable_people
from storage.models import AuditEvent, Person
from tests.handlers.teams.conftest import TeamsWorld, card_of, card_text
from tests.utils.assignments import build_programme
from tests.utils.factories import enrol

HOSTILE = "<at>Stab</at> **Fet** <script>alert(1)</script>"


async def _say(world: TeamsWorld, user: str, chat: str, text: str) -> list[dict]:
    before = len(world.connector.state.sent_to(chat))
    body = world.activity("message", user=user, conversation=chat, text=text)
    assert (await world.post(body))[0] in (200, 202)
    return [card_of(r) for r in world.connector.state.sent_to(chat)[before:]]


async def _seed(world: TeamsWorld, n: int) -> None:
    from tests.utils.factories import create_person

    async with world.runtime.db.transaction() as session:
        w = await build_programme(session)
        for i in range(n):
            name = HOSTILE if i == 0 else f"Aaa Utenfor {i:02d}"  # sorted first: shown
            person = await create_person(session, email=f"ute{i}@hemsedal.no", name=name)
            await enrol(session, person=person, cohort=w.cohort, cls=w.bodo)


async def _audits(world: TeamsWorld) -> list[AuditEvent]:
    async with world.runtime.db.session() as session:
        rows = (await session.exec(select(AuditEvent))).all()  # type: ignore[call-overload]
    return [r for r in rows if r.action == "reach.unreachable.view"]


async def test_staff_see_who_nothing_reaches_ten_at_a_time_and_the_read_is_audited(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    await _seed(world, 12)
    chat = await world.install("stab", "staff@lederutdanning.no", "Stab")
    async with world.runtime.db.session() as session:
        everyone = await unreachable_people(session, settings=world.runtime.settings)
    assert len(everyone) > 12  # the twelve, and Per and others without a chat account
    [card] = await _say(world, "stab", chat, "utsendelser")
    text = card_text(card)
    assert f"Kan ikke nås ({len(everyone)})" in text
    assert f"… og {len(everyone) - 10} til" in text
    assert text.count("e-post er ikke satt opp (SMTP_URL)") == 10
    shown = everyone[:10]
    for person in shown:
        assert person.email in text
    for person in everyone[10:]:
        assert person.email not in text
    [entry] = await _audits(world)
    assert entry.detail["person_ids"] == sorted(u.person_id for u in shown)
    assert entry.detail["total"] == len(everyone) and entry.subject == "teams:deliveries"
    # The hostile name is shown as written: its markdown escaped, no mention, no HTML.
    assert "\\*\\*Fet\\*\\*" in text and "**Fet**" not in text
    assert "<script\\>alert\\(1\\)</script\\>" in text and "<at>" not in text
    activity = world.connector.state.sent_to(chat)[-1]["activity"]
    assert not activity.get("entities")  # "<at>" in a name mentions nobody


async def test_deliveries_in_english_and_nobody_unreachable(teams_world: TeamsWorld) -> None:
    world = teams_world
    async with world.runtime.db.transaction() as session:
        await build_programme(session)
        staff = (
            await session.exec(select(Person).where(Person.email == "staff@lederutdanning.no"))
        ).one()
        staff.locale = "en"
        session.add(staff)
    world.runtime.settings = world.runtime.settings.model_copy(
        update={"smtp_url": "smtp://127.0.0.1:2525"}
    )
    chat = await world.install("stab", "staff@lederutdanning.no", "Stab")
    [card] = await _say(world, "stab", chat, "deliveries")
    text = card_text(card)
    assert "Cannot be reached (0)" in text
    assert "Every participant can be reached on Slack, Teams or by email." in text
    assert await _audits(world) == []  # nobody shown, nobody read


async def test_a_participant_asking_for_deliveries_is_refused_and_sees_nobody(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    await _seed(world, 3)
    chat = await world.install("per", "per@tromso.kommune.no", "Per Olsen")
    [card] = await _say(world, "per", chat, "utsendelser")
    text = card_text(card)
    assert "Kan ikke nås" not in text and "hemsedal" not in text
    assert "Dette kan bare programstaben gjøre." in text
    assert await _audits(world) == []


async def test_listed_staff_not_imported_are_recognised_by_their_teams_email(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    await _seed(world, 2)
    world.runtime.settings = world.runtime.settings.model_copy(
        update={"staff_emails": ("leder@lederutdanning.no",)}
    )
    chat = world.personal("leder", "Leder@LederUtdanning.no", "Lise Leder")
    [card] = await _say(world, "leder", chat, "utsendelser")
    assert "Kan ikke nås (" in card_text(card)
    async with world.runtime.db.session() as session:
        person = (
            await session.exec(select(Person).where(Person.email == "leder@lederutdanning.no"))
        ).one()
    assert person.name == "Lise Leder" and not person.is_staff  # the role stays with the setting
    [entry] = await _audits(world)
    assert entry.actor_id == person.id
