"""Marking done, reflections, status per class and a participant's open assignments."""

from __future__ import annotations

import pytest

from bot.assignments import (
    NotParticipant,
    cancel_for_person,
    find_class,
    mark_done,
    open_for_person,
    save_reflection,
    status_by_class,
)
from bot.planner import plan_deliveries
from bot.settings import Settings
from storage.db import Database
from storage.models import AssignmentProgress, DeliveryState
from tests.utils.assignments import add_assignment, build_programme, deliveries, oslo


async def _world(db: Database, settings: Settings):  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        p = await build_programme(session)
        a1 = await add_assignment(
            session, p.cohort, release_at=oslo(2026, 9, 10, 16), due_at=oslo(2026, 9, 25, 23, 59)
        )
        a2 = await add_assignment(
            session,
            p.cohort,
            key="oppgave-2",
            release_at=oslo(2026, 10, 15, 16),
            due_at=oslo(2026, 10, 30, 23, 59),
        )
        await plan_deliveries(
            session=session, cohort_id=p.cohort.id, settings=settings, now=oslo(2026, 9, 1)
        )
    return p, a1, a2


async def test_status_by_class_counts_done_open_and_overdue(
    db: Database, settings: Settings
) -> None:
    p, a1, _a2 = await _world(db, settings)
    async with db.transaction() as session:
        await mark_done(session, a1.id, p.kari.id, oslo(2026, 9, 20, 12))
    async with db.session() as session:
        statuses = await status_by_class(session, cohort_id=p.cohort.id, now=oslo(2026, 9, 27, 12))
    by_key = {s.class_key: s for s in statuses}
    assert set(by_key) == {"bergen", "tromso", "bodo"}
    bergen = by_key["bergen"]
    first = bergen.assignments[0]
    assert (first.done, first.open, first.overdue) == (["Kari Nordmann"], [], ["Ola Hansen"])
    second = bergen.assignments[1]
    assert not second.released and sorted(second.open) == ["Kari Nordmann", "Ola Hansen"]
    assert by_key["tromso"].assignments[0].overdue == ["Per Olsen"]
    assert not by_key["bodo"].has_channel
    async with db.session() as session:
        only = await status_by_class(session, class_id=p.tromso.id, now=oslo(2026, 9, 27, 12))
    assert [s.class_key for s in only] == ["tromso"]


async def test_find_class_takes_the_cohort_slash_class_form_other_commands_use(
    db: Database, settings: Settings
) -> None:
    p, _a1, _a2 = await _world(db, settings)
    async with db.session() as session:
        assert await find_class(session, "Tromsø") == (p.tromso.id, p.cohort.id)
        assert await find_class(session, "kull-2026h/bergen") == (p.bergen.id, p.cohort.id)
        assert await find_class(session, " kull-2026h / Tromsø ") == (p.tromso.id, p.cohort.id)
        assert await find_class(session, "ukjent-kull/bergen") is None
        assert await find_class(session, "kull-2026h/oslo") is None


async def test_open_for_person_lists_released_not_done(db: Database, settings: Settings) -> None:
    p, a1, a2 = await _world(db, settings)
    async with db.session() as session:
        before = await open_for_person(session, p.ola.id, oslo(2026, 9, 9))
        during = await open_for_person(session, p.ola.id, oslo(2026, 9, 26, 9))
    assert before == []
    assert [(o.assignment.id, o.overdue) for o in during] == [(a1.id, True)]
    async with db.transaction() as session:
        await mark_done(session, a1.id, p.ola.id, oslo(2026, 9, 26, 10))
    async with db.session() as session:
        assert [
            o.assignment.id for o in await open_for_person(session, p.ola.id, oslo(2026, 10, 16))
        ] == [a2.id]


async def test_reflection_is_stored_with_consent(db: Database, settings: Settings) -> None:
    p, a1, _ = await _world(db, settings)
    async with db.transaction() as session:
        await save_reflection(
            session, a1.id, p.kari.id, "  Jeg lærte mye.  ", True, oslo(2026, 9, 20)
        )
        await save_reflection(
            session, a1.id, p.kari.id, "Jeg lærte enda mer.", False, oslo(2026, 9, 21)
        )
        with pytest.raises(ValueError):
            await save_reflection(session, a1.id, p.kari.id, "   ", True, oslo(2026, 9, 21))
    async with db.session() as session:
        from sqlmodel import select

        row = (await session.execute(select(AssignmentProgress))).scalars().one()
    assert (row.reflection, row.reflection_shareable, row.done_at) == (
        "Jeg lærte enda mer.",
        False,
        None,
    )


async def test_outsiders_cannot_mark_done(db: Database, settings: Settings) -> None:
    p, a1, _ = await _world(db, settings)
    async with db.transaction() as session:
        with pytest.raises(NotParticipant):
            await mark_done(session, a1.id, p.mona.id, oslo(2026, 9, 20))


async def test_withdrawal_cancels_pending_reminders(db: Database, settings: Settings) -> None:
    p, _a1, _a2 = await _world(db, settings)
    async with db.transaction() as session:
        cancelled = await cancel_for_person(
            session, person_id=p.per.id, cohort_id=p.cohort.id, now=oslo(2026, 9, 21)
        )
    assert cancelled == 8  # reminders and overdue notices, and both assignments by email
    rows = await deliveries(db, "assignment:")
    assert all(d.state == DeliveryState.CANCELLED for d in rows.values() if d.person_id == p.per.id)
    # Stamped with the caller's clock, not the machine's.
    assert {d.updated_at for d in rows.values() if d.person_id == p.per.id} == {oslo(2026, 9, 21)}
    assert any(d.state == DeliveryState.PENDING for d in rows.values() if d.person_id == p.ola.id)
