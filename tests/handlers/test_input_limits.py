"""Limits hold on the server: a forged profile form or command cannot store what the modal
would never send (a 1.5 MB bio, a 1,000-character project title in a 300-character column)."""

# The `bot` fixture is shared with the networks end-to-end tests; test arguments shadow it.
# ruff: noqa: F811

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from bot.limits import MAX_COMMAND_TEXT
from storage.db import Database
from storage.lengths import ValueTooLong
from storage.models import Person
from tests.handlers.test_networks_e2e import PARTICIPANTS, Bot, bot, rows  # noqa: F401
from tests.utils.factories import create_person, has_slack_id
from tests.utils.poison import FIXED
from tests.utils.slack import interaction_body, sign
from tests.utils.workspace import eventually


def _profile_submission(user: str, **values: str) -> dict[str, object]:
    state = {
        name: {"value": {"type": "plain_text_input", "value": value}}
        for name, value in values.items()
    }
    return {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": user},
        "api_app_id": "A1",
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "profile_edit",
            "state": {"values": state},
        },
    }


@pytest.mark.parametrize(
    ("field", "size"), [("project_title", 1000), ("topics", 501), ("bio", 1001)]
)
async def test_a_forged_profile_form_over_the_limit_is_refused_and_saves_nothing(
    bot: Bot, field: str, size: int
) -> None:
    body, ctype = interaction_body(_profile_submission(PARTICIPANTS[0], **{field: "x" * size}))
    resp = await bot.http.post(
        "/slack/events", data=body, headers={"Content-Type": ctype, **sign(bot.secret, body)}
    )
    assert resp.status == 200
    answer = json.loads(await resp.text())
    assert answer["response_action"] == "errors" and "høyst" in answer["errors"][field]
    [person] = await rows(bot, Person, has_slack_id(PARTICIPANTS[0]))
    assert getattr(person, field) in (None, "turnus")


async def test_a_one_and_a_half_megabyte_bio_is_refused_at_the_door(bot: Bot) -> None:
    body, ctype = interaction_body(_profile_submission(PARTICIPANTS[0], bio="x" * 1_500_000))
    resp = await bot.http.post(
        "/slack/events", data=body, headers={"Content-Type": ctype, **sign(bot.secret, body)}
    )
    assert resp.status == 413
    [person] = await rows(bot, Person, has_slack_id(PARTICIPANTS[0]))
    assert person.bio is None


async def test_a_command_over_the_limit_does_nothing_and_says_why(bot: Bot) -> None:
    assert await bot.command(PARTICIPANTS[0], "find " + "x" * (MAX_COMMAND_TEXT + 1)) == 200

    async def answered() -> bool:
        return len(bot.ephemerals(PARTICIPANTS[0])) == 1

    await eventually(answered)
    assert "for lang" in bot.ephemerals(PARTICIPANTS[0])[0]


async def test_no_column_takes_more_than_it_holds_even_on_sqlite(db: Database) -> None:
    with pytest.raises(ValueTooLong, match=r"person\.project_title holds at most 300"):
        async with db.transaction() as session:
            await create_person(session, email="a@example.no", project_title="x" * 1000)
    async with db.session() as session:
        assert (await session.exec(select(Person))).all() == []


async def test_a_forged_reflection_over_the_limit_saves_nothing(db: Database) -> None:
    from bot.assignments import save_reflection
    from bot.limits import MAX_REFLECTION

    with pytest.raises(ValueError, match="at most"):
        async with db.transaction() as session:
            await save_reflection(session, 1, 1, "x" * (MAX_REFLECTION + 1), False, FIXED)
