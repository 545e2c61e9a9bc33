"""The whole-database snapshot attack of tests/test_anonymity_click.py, through Teams: an
anonymous pulse answered by Action.Execute changes nothing but the sealed receipt."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from storage.models import PersonIdentity
from tests.handlers.teams.conftest import TeamsWorld, anonymous_pulse_to_per, card_actions
from tests.utils.snapshot import changed, snapshot


async def test_a_teams_click_changes_nothing_but_the_sealed_receipt(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    _w, _pulse, conversation, card = await anonymous_pulse_to_per(world)
    async with world.runtime.db.session() as session:
        identity = (
            await session.exec(select(PersonIdentity).where(PersonIdentity.platform == "teams"))
        ).one()  # type: ignore[call-overload]
    # Later, as people answer: hours after the invitation, a click.
    world.runtime.clock.advance(timedelta(hours=3))  # type: ignore[attr-defined]
    before = await snapshot(world.runtime.db)
    four = next(a for a in card_actions(card) if a["title"] == "4")
    status, _body = await world.click("per", conversation, four)
    assert status == 200
    assert changed(before, await snapshot(world.runtime.db)) == {"pulse_receipt"}
    async with world.runtime.db.session() as session:
        after = (
            await session.exec(select(PersonIdentity).where(PersonIdentity.platform == "teams"))
        ).one()  # type: ignore[call-overload]
    assert after.updated_at == identity.updated_at  # no trace of when Per clicked
