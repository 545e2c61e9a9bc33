"""Rotating COHORTBOT_SECRET_KEY while pulses are open and links are out (docs/operations.md).

The old key goes to COHORTBOT_SECRET_KEY_PREVIOUS: receipts sealed under it still open at close,
a click after the rotation carries the person's earlier answers over to the new key (one
receipt per person, never two), named answers are replaced rather than counted twice, erasure
finds receipts under either key, and without the previous key the old receipts are not counted.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.rights import erase_person
from bot.settings import Settings
from storage.db import Database
from storage.models import PulseAnswer, PulseReceipt, PulseResponseCount
from tests.bot.test_pulses import OPENS, answer, close_pulse, setup_pulse

NEW_KEY = "rotated-secret-key-9876543210fedcba"


def rotated(settings: Settings, *, keep_previous: bool = True) -> Settings:
    return settings.model_copy(
        update={
            "secret_key": NEW_KEY,
            "secret_key_previous": settings.secret_key if keep_previous else None,
        }
    )


async def _rows(db: Database, model: type) -> list:  # type: ignore[type-arg]
    async with db.session() as s:
        return list((await s.exec(select(model))).all())


async def test_an_open_anonymous_pulse_survives_a_key_rotation(
    db: Database, settings: Settings
) -> None:
    ctx = await setup_pulse(db, settings)
    pulse, q1, q2 = ctx["pulse"], ctx["questions"][0], ctx["questions"][1]
    people = ctx["people"]
    for i, p in enumerate(people[:5]):
        await answer(db, settings, pulse.id, p.id, q1.id, 1 + i)
    before = {r.token for r in await _rows(db, PulseReceipt)}
    new = rotated(settings)
    # After the rotation: one person changes an answer, one answers the second question only,
    # a sixth answers for the first time.
    await answer(db, new, pulse.id, people[0].id, q1.id, 5, now=OPENS + timedelta(days=1))
    await answer(db, new, pulse.id, people[1].id, q2.id, text="Flere pauser")
    await answer(db, new, pulse.id, people[5].id, q1.id, 3)
    receipts = await _rows(db, PulseReceipt)
    assert len(receipts) == 6  # one per person: the old receipt of a re-clicker is gone
    assert len(before & {r.token for r in receipts}) == 3  # three untouched since the rotation
    assert len({len(r.sealed) for r in receipts}) == 1
    await close_pulse(db, new, ctx)
    answers = await _rows(db, PulseAnswer)
    assert sorted(a.value for a in answers if a.value) == [2, 3, 3, 4, 5, 5]
    assert [a.text for a in answers if a.text] == ["Flere pauser"]
    assert sum(c.answered for c in await _rows(db, PulseResponseCount)) == 6
    assert await _rows(db, PulseReceipt) == []


async def test_without_the_previous_key_old_receipts_are_not_counted(
    db: Database, settings: Settings
) -> None:
    ctx = await setup_pulse(db, settings)
    pulse, q1 = ctx["pulse"], ctx["questions"][0]
    for p in ctx["people"][:5]:
        await answer(db, settings, pulse.id, p.id, q1.id, 4)
    await close_pulse(db, rotated(settings, keep_previous=False), ctx)
    assert await _rows(db, PulseAnswer) == []  # counted as unopened, never guessed
    assert await _rows(db, PulseReceipt) == []


async def test_a_named_answer_changed_after_the_rotation_replaces_the_old_one(
    db: Database, settings: Settings
) -> None:
    ctx = await setup_pulse(db, settings, anonymous=False)
    pulse, q1, person = ctx["pulse"], ctx["questions"][0], ctx["people"][2]
    first = await answer(db, settings, pulse.id, person.id, q1.id, 2)
    again = await answer(db, rotated(settings), pulse.id, person.id, q1.id, 2)
    changed = await answer(db, rotated(settings), pulse.id, person.id, q1.id, 4)
    assert (first.status, again.status, changed.status) == ("recorded", "unchanged", "changed")
    rows = await _rows(db, PulseAnswer)
    assert [(r.person_id, r.value) for r in rows] == [(person.id, 4)]


async def test_erasure_finds_a_receipt_sealed_under_the_previous_key(
    db: Database, settings: Settings
) -> None:
    ctx = await setup_pulse(db, settings)
    pulse, q1, person = ctx["pulse"], ctx["questions"][0], ctx["people"][3]
    await answer(db, settings, pulse.id, person.id, q1.id, 4)
    async with db.transaction() as s:
        report = await erase_person(
            s, rotated(settings), email=person.email, now=OPENS + timedelta(days=1), actor="test"
        )
    assert report.counts["sealed pulse receipts"] == 1
    assert await _rows(db, PulseReceipt) == []
