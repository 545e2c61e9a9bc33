"""Applying a plan: created by key, idempotent, exactly one row changed per edited date."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot import planner
from bot.plan import load_plan, parse_plan
from bot.plan_apply import apply_plan_to
from bot.settings import Settings
from storage.db import Database
from storage.models import (
    Assignment,
    AuditEvent,
    CohortClass,
    Nudge,
    ProgrammeSession,
    Pulse,
    PulseAnswer,
    PulseQuestion,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "plan.yaml"
MINIMAL = ROOT / "tests" / "fixtures" / "plans" / "minimal.yaml"
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def planner_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record the planner hook instead of running the features' planner."""
    calls: list[dict[str, Any]] = []

    async def record(*_db: Any, **kwargs: Any) -> int:
        calls.append(kwargs)
        return 3

    # In a transaction of its own (plan_deliveries) or after the commit (replan_cohort).
    monkeypatch.setattr(planner, "plan_deliveries", record)
    monkeypatch.setattr(planner, "replan_cohort", record)
    return calls


async def rows(db: Database, model: Any) -> list[Any]:
    async with db.session() as session:
        return list((await session.execute(select(model))).scalars().all())


async def test_first_apply_creates_everything_and_second_changes_nothing(
    db: Database, settings: Settings, planner_calls: list[dict[str, Any]]
) -> None:
    plan = load_plan(EXAMPLE)
    first = await apply_plan_to(db, plan, settings=settings, now=NOW)
    assert first.changes == 1 + 1 + 4 + 5 + 4 + 5 + 7
    assert first.kinds["sessions"].created == ["s1", "s2", "s3", "s4", "s5"]
    assert first.deliveries_planned == 3
    assert planner_calls[0]["cohort_id"] == first.cohort_id
    assert planner_calls[0]["now"] == NOW

    second = await apply_plan_to(db, load_plan(EXAMPLE), settings=settings, now=NOW)
    assert second.changes == 0
    assert second.kinds["pulses"].unchanged == [p.key for p in plan.pulses]
    assert len(await rows(db, ProgrammeSession)) == 5
    assert len(await rows(db, PulseQuestion)) == sum(len(p.questions) for p in plan.pulses)

    stored = {a.key: a for a in await rows(db, Assignment)}
    a1 = stored["a1"]
    assert a1.due_at == datetime(2026, 10, 26, 22, 59, tzinfo=UTC)
    assert a1.reminder_offsets == [7 * 24 * 60, 24 * 60]
    sessions = {s.id: s.key for s in await rows(db, ProgrammeSession)}
    assert sessions[a1.session_id] == "s1"
    nudge = next(n for n in await rows(db, Nudge) if n.key == "prosjekt")
    assert nudge.assignment_id == a1.id


async def test_changing_one_date_changes_exactly_that_row(db: Database, settings: Settings) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    await apply_plan_to(db, parse_plan(text), settings=settings, now=NOW)
    before = {a.key: a for a in await rows(db, Assignment)}

    edited = text.replace("due: 2027-01-22 23:59", "due: 2027-01-25 23:59")
    report = await apply_plan_to(db, parse_plan(edited), settings=settings, now=NOW)

    assert report.changes == 1
    assert report.kinds["assignments"].updated == {"a3": ["due_at"]}
    after = {a.key: a for a in await rows(db, Assignment)}
    assert after["a3"].due_at == datetime(2027, 1, 25, 22, 59, tzinfo=UTC)
    for key in ("a1", "a2", "a4"):
        assert after[key].due_at == before[key].due_at


async def test_moving_a_session_moves_what_is_relative_to_it(
    db: Database, settings: Settings
) -> None:
    text = MINIMAL.read_text(encoding="utf-8")
    await apply_plan_to(db, parse_plan(text), settings=settings, now=NOW)
    moved = text.replace("end: 2026-03-25 15:00", "end: 2026-03-25 16:00")
    report = await apply_plan_to(db, parse_plan(moved), settings=settings, now=NOW)
    assert report.kinds["sessions"].updated == {"s1": ["ends_at"]}
    assert report.kinds["assignments"].updated == {"a1": ["release_at"]}
    assert report.kinds["pulses"].updated == {"p1": ["opens_at"]}
    assert report.kinds["nudges"].updated == {}


async def test_rows_removed_from_the_file_are_reported_and_kept(
    db: Database, settings: Settings
) -> None:
    text = MINIMAL.read_text(encoding="utf-8")
    await apply_plan_to(db, parse_plan(text), settings=settings, now=NOW)
    without = text.replace("  - key: tromso\n    name: Klasse Tromsø\n    city: Tromsø\n", "")
    report = await apply_plan_to(db, parse_plan(without), settings=settings, now=NOW)
    assert report.changes == 0
    assert report.kinds["classes"].not_in_file == ["tromso"]
    assert {c.key for c in await rows(db, CohortClass)} == {"bergen", "trondheim", "tromso"}


async def test_dry_run_writes_nothing(db: Database, settings: Settings) -> None:
    report = await apply_plan_to(db, load_plan(MINIMAL), settings=settings, now=NOW, dry_run=True)
    assert report.dry_run and report.changes > 0
    assert await rows(db, ProgrammeSession) == []
    assert await rows(db, AuditEvent) == []


async def test_apply_is_audited(db: Database, settings: Settings) -> None:
    report = await apply_plan_to(
        db, load_plan(MINIMAL), settings=settings, now=NOW, source="minimal.yaml"
    )
    (event,) = await rows(db, AuditEvent)
    assert event.action == "plan.apply"
    assert event.actor == "cli"
    assert event.subject == f"cohort:{report.cohort_id}"
    assert event.detail["source"] == "minimal.yaml"
    assert event.detail["counts"]["sessions"]["created"] == 3


async def test_pulse_questions_follow_the_file_but_answered_ones_are_kept(
    db: Database, settings: Settings
) -> None:
    text = MINIMAL.read_text(encoding="utf-8")
    await apply_plan_to(db, parse_plan(text), settings=settings, now=NOW)
    one_question = text.replace(
        "      - kind: choice\n        text: Arbeidsmengde?\n"
        "        choices: [For lav, Passe, For høy]\n",
        "",
    )
    report = await apply_plan_to(db, parse_plan(one_question), settings=settings, now=NOW)
    assert report.kinds["pulses"].updated == {"p1": ["questions"]}
    assert [q.position for q in await rows(db, PulseQuestion)] == [1]

    # Put the second question back, answer it, then remove it again: it stays.
    await apply_plan_to(db, parse_plan(text), settings=settings, now=NOW)
    async with db.session() as session:
        pulse = (await session.execute(select(Pulse))).scalar_one()
        question = (
            await session.execute(select(PulseQuestion).where(col(PulseQuestion.position) == 2))
        ).scalar_one()
        session.add(
            PulseAnswer(pulse_id=pulse.id, question_id=question.id, respondent_token="t1", value=2)
        )
        await session.commit()
    report = await apply_plan_to(db, parse_plan(one_question), settings=settings, now=NOW)
    assert len(await rows(db, PulseQuestion)) == 2
    assert any("question 2 is no longer in the file but has answers" in n for n in report.notes)
