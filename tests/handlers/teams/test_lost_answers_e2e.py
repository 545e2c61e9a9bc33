"""A Teams answer lost on the way back: the post arrived, the bot never heard. The connector
(like the real Bot Framework one) cannot be asked afterwards, so the retry sends again, and
the delivery figures say exactly which deliveries may have arrived twice."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.delivery import delivery_overview
from bot.identities import send_once
from bot.notifier import OutgoingMessage
from storage.models import Delivery, Person
from tests.handlers.teams.conftest import TeamsWorld, card_of, card_text
from tests.utils.assignments import build_programme


async def _queue(world: TeamsWorld, key: str, text: str) -> None:
    async with world.runtime.db.transaction() as session:
        person = (
            await session.exec(select(Person).where(Person.email == "per@tromso.kommune.no"))
        ).one()
        assert await send_once(
            session,
            key=key,
            person=person,
            message=OutgoingMessage(text=text, locale="nb"),
            settings=world.runtime.settings,
            now=world.runtime.clock.now(),
        )


async def _deliver_all(world: TeamsWorld) -> None:
    for _ in range(6):
        await world.dispatcher.tick()
        world.runtime.clock.advance(timedelta(minutes=10))  # type: ignore[attr-defined]


async def test_a_lost_answer_is_sent_again_and_counted_as_maybe_twice(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    async with world.runtime.db.transaction() as session:
        await build_programme(session)
    chat = await world.install("per", "per@tromso.kommune.no", "Per Olsen")
    await world.dispatcher.tick()  # the welcome
    world.connector.state.lose_next_answers(1)
    await _queue(world, "lost-1", "Første melding")
    await _queue(world, "kept-1", "Andre melding")
    # A 502 is an answer: the post was refused, so its retry cannot make a second copy.
    world.connector.state.fail_next(502, path="/activities")
    await _queue(world, "refused-1", "Tredje melding")
    await _deliver_all(world)
    records = world.connector.state.sent_to(chat)
    copies = {
        key: sum(text in card_text(card_of(r)) for r in records)
        for key, text in (("lost-1", "Første"), ("kept-1", "Andre"), ("refused-1", "Tredje"))
    }
    # The posts go out together, so which one lost its answer is the race's: exactly one.
    assert sorted(copies.values()) == [1, 1, 2]
    [twice] = [k for k, n in copies.items() if n == 2]
    [lost] = world.connector.state.lost
    async with world.runtime.db.session() as session:
        rows = {
            d.dedupe_key: d
            for d in (await session.exec(select(Delivery))).all()  # type: ignore[call-overload]
        }
        overview = await delivery_overview(session)
    assert {rows[k].state for k in copies} == {"sent"}
    # The activity id of the copy whose answer came back is kept on the delivery.
    answered = [r["id"] for r in records if r["id"] != lost]
    assert rows[twice].result_ref in answered
    # Exactly the one delivery that arrived twice is reported, with one extra copy at most.
    assert overview.possibly_duplicated == 1
    assert overview.extra_copies == 1
