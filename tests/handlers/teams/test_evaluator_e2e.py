"""The Directorate's evaluator in Teams: not imported, recognised on first contact by the email
Teams gives (as Slack recognises them), and `resultater` / `results` answers with the closed
pulses' aggregates only — what Slack's `/cohort results` shows them. Over real HTTP against the
local connector."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.settings import Settings
from storage.models import AuditEvent, PersonIdentity, PulseQuestion
from tests.handlers.teams.conftest import TeamsWorld, card_text
from tests.utils.evaluator import EVALUATOR, SECRET_NAMES, EvalWorld, build_world

HOSTILE = "<at>Stab</at> **fet** <script>alert(1)</script>"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"evaluator_emails": (EVALUATOR,)})


@pytest.fixture
async def evaluation(teams_world: TeamsWorld) -> EvalWorld:
    return await build_world(teams_world.runtime.db, teams_world.runtime.settings)


async def _say(
    world: TeamsWorld, user: str, email: str, text: str, *, locale: str = "nb-NO"
) -> dict:
    chat = world.personal(user, email, user.title())
    before = len(world.connector.state.sent_to(chat))
    body = world.activity("message", user=user, conversation=chat, text=text, locale=locale)
    assert (await world.post(body))[0] in (200, 202)
    replies = world.connector.state.sent_to(chat)[before:]
    assert len(replies) == 1, replies
    return replies[0]["activity"]


async def test_the_evaluator_is_recognised_in_teams_and_sees_aggregates_only(
    teams_world: TeamsWorld, evaluation: EvalWorld
) -> None:
    world = teams_world
    async with world.runtime.db.transaction() as session:
        question = await session.get(PulseQuestion, evaluation.questions[0].id)
        assert question is not None
        question.text = HOSTILE  # a question's words are shown as written
        session.add(question)
    sent = await _say(world, "dina", EVALUATOR.upper(), "resultater")
    card = sent["attachments"][0]["content"]
    text = card_text(card)
    assert "Evaluering: avsluttede pulsmålinger" in text
    assert "Etter samling 1 (Kull E): 9 av 9 svarte" in text
    assert "Fritekst: svarene vises ikke." in text
    # The whole cohort's row only; no person, no free text, no class under five.
    assert "Hele kullet: n 9, " in text and "Gjennomsnitt 3,56" in text
    assert "Tromsø" not in text
    for name in SECRET_NAMES:
        assert name not in str(card)
    assert "synes alt var bra" not in str(card) and "hemmelig" not in str(card)
    assert "\\*\\*fet\\*\\*" in text and "<script\\>" in text and not sent.get("entities")
    async with world.runtime.db.session() as session:
        [identity] = (
            await session.exec(select(PersonIdentity).where(PersonIdentity.platform == "teams"))  # type: ignore[call-overload]
        ).all()
        recognised = [
            e
            for e in (await session.exec(select(AuditEvent))).all()  # type: ignore[call-overload]
            if e.action == "staff.recognised"
        ]
    assert identity.user_id == "29:dina"
    assert [(e.subject, e.detail["via"], e.detail["platform"]) for e in recognised] == [
        (f"person:{identity.person_id}", "COHORTBOT_EVALUATOR_EMAILS", "teams")
    ]
    # Asked again: the stored identity answers, nobody is recognised twice.
    again = await _say(world, "dina", EVALUATOR, "results")
    assert "9 av 9 svarte" in card_text(again["attachments"][0]["content"])
    help_card = (await _say(world, "dina", EVALUATOR, "hjelp"))["attachments"][0]["content"]
    assert "For Helsedirektoratet" in card_text(help_card)
    assert "For programstaben" not in card_text(help_card)


async def test_the_evaluator_in_english(teams_world: TeamsWorld, evaluation: EvalWorld) -> None:
    sent = await _say(teams_world, "dina", EVALUATOR, "results", locale="en-US")
    text = card_text(sent["attachments"][0]["content"])
    assert "Evaluation: closed pulses" in text
    assert "Etter samling 1 (Kull E): 9 of 9 answered" in text
    assert "Free text: the answers are not shown." in text


async def test_a_participant_who_is_no_evaluator_gets_no_results(
    teams_world: TeamsWorld, evaluation: EvalWorld
) -> None:
    world = teams_world
    sent = await _say(world, "hemmelig", "hemmelig0@kommune.no", "resultater")
    text = card_text(sent["attachments"][0]["content"])
    assert "Dette kan bare programstaben gjøre." in text
    assert "Etter samling 1" not in text and "svarte" not in text
    # Someone nobody imported and no setting lists is not recognised either.
    stranger = await _say(world, "nils", "nils@kommune.no", "results")
    assert "Etter samling 1" not in str(stranger)
    async with world.runtime.db.session() as session:
        rows = (await session.exec(select(AuditEvent))).all()  # type: ignore[call-overload]
    assert not [e for e in rows if e.action == "staff.recognised"]


async def test_taking_the_address_out_of_the_setting_takes_the_role_away(
    teams_world: TeamsWorld, evaluation: EvalWorld
) -> None:
    world = teams_world
    first = await _say(world, "dina", EVALUATOR, "resultater")
    assert "9 av 9 svarte" in card_text(first["attachments"][0]["content"])
    world.runtime.settings = world.runtime.settings.model_copy(update={"evaluator_emails": ()})
    after = await _say(world, "dina", EVALUATOR, "resultater")
    text = card_text(after["attachments"][0]["content"])
    assert "Dette kan bare programstaben gjøre." in text and "svarte" not in text
