"""The planner writes only what changed, in short transactions, and refuses plans too large;
dry runs do not lock the database."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, update
from sqlmodel import select

from bot import planner
from bot.planner import PlanTooLarge, plan_deliveries, replan_cohort
from bot.settings import Settings
from storage.db import Database
from storage.models import Assignment, Cohort, Delivery, DeliveryState, Person
from tests.utils.assignments import add_assignment, build_programme, oslo

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
RELEASE = oslo(2026, 9, 10, 16, 0)
DUE = oslo(2026, 9, 25, 23, 59)


async def _planned(db: Database, settings: Settings) -> tuple[int, int]:
    async with db.transaction() as session:
        p = await build_programme(session)
        a = await add_assignment(session, p.cohort, release_at=RELEASE, due_at=DUE)
        await plan_deliveries(session=session, cohort_id=p.cohort.id, settings=settings, now=NOW)
        return p.cohort.id, a.id


def _count_writes(db: Database) -> list[int]:
    """Statements that wrote, per committed transaction (appended at each commit)."""
    per_tx: list[int] = [0]

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def seen(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            per_tx[-1] += len(params) if executemany else 1

    @event.listens_for(db.engine.sync_engine, "commit")
    def committed(conn):  # type: ignore[no-untyped-def]
        per_tx.append(0)

    return per_tx


async def test_an_unchanged_cohort_replans_without_writing(
    db: Database, settings: Settings
) -> None:
    cohort_id, _ = await _planned(db, settings)
    async with db.session() as s:
        before = {d.dedupe_key: d.updated_at for d in (await s.exec(select(Delivery))).all()}
    writes = _count_writes(db)
    written = await replan_cohort(db, cohort_id=cohort_id, settings=settings, now=NOW)
    assert written == 0
    async with db.session() as s:
        after = {d.dedupe_key: d.updated_at for d in (await s.exec(select(Delivery))).all()}
    assert after == before
    # Only the nudge planner's own bookkeeping may write; no delivery row was touched.
    assert sum(writes) <= 1


async def test_a_moved_due_date_rewrites_only_that_assignments_rows_in_short_transactions(
    db: Database, settings: Settings
) -> None:
    cohort_id, assignment_id = await _planned(db, settings)
    async with db.transaction() as s:
        other = await add_assignment(
            s,
            await s.get(Cohort, cohort_id),
            key="a-other",
            release_at=RELEASE,
            due_at=DUE + timedelta(days=20),
        )
    await replan_cohort(db, cohort_id=cohort_id, settings=settings, now=NOW)
    async with db.transaction() as s:
        await s.execute(
            update(Assignment)
            .where(Assignment.id == assignment_id)  # type: ignore[arg-type]
            .values(due_at=DUE + timedelta(days=2))
        )
    async with db.session() as s:
        untouched = {
            d.dedupe_key: d.updated_at
            for d in (
                await s.exec(select(Delivery).where(Delivery.source == f"assignment:{other.id}"))
            ).all()
        }
    writes = _count_writes(db)
    written = await replan_cohort(db, cohort_id=cohort_id, settings=settings, now=NOW, chunk=2)
    assert written > 2
    assert max(writes) <= 2 + 1  # each transaction: one chunk (plus the nudge bookkeeping)
    async with db.session() as s:
        rows = (
            await s.exec(select(Delivery).where(Delivery.source == f"assignment:{other.id}"))
        ).all()
        moved = (
            await s.exec(
                select(Delivery).where(
                    Delivery.source == f"assignment:{assignment_id}",
                    Delivery.kind == "assignment_overdue",
                )
            )
        ).all()
    assert {d.dedupe_key: d.updated_at for d in rows} == untouched
    assert moved and all(d.send_at.date() == (DUE + timedelta(days=3)).date() for d in moved)


async def test_a_sent_delivery_is_never_rescheduled(db: Database, settings: Settings) -> None:
    cohort_id, assignment_id = await _planned(db, settings)
    async with db.transaction() as s:
        await s.execute(
            update(Delivery)
            .where(Delivery.source == f"assignment:{assignment_id}")  # type: ignore[arg-type]
            .values(state=DeliveryState.SENT)
        )
        await s.execute(
            update(Assignment)
            .where(Assignment.id == assignment_id)  # type: ignore[arg-type]
            .values(due_at=DUE + timedelta(days=2))
        )
    assert await replan_cohort(db, cohort_id=cohort_id, settings=settings, now=NOW) == 0


async def test_a_plan_beyond_the_size_limit_is_refused_with_a_clear_error(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    cohort_id, _ = await _planned(db, settings)
    monkeypatch.setattr(planner, "MAX_DELIVERIES_PER_COHORT", 3)
    async with db.session() as s:
        count = len((await s.exec(select(Delivery))).all())
    with pytest.raises(PlanTooLarge, match="at most 3 per cohort"):
        await replan_cohort(db, cohort_id=cohort_id, settings=settings, now=NOW)
    async with db.session() as s:
        assert len((await s.exec(select(Delivery))).all()) == count


async def test_an_import_dry_run_does_not_lock_the_database(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    from bot.people_import import run_import
    from tests.utils.factories import create_class, create_cohort

    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")
    async with db.transaction() as s:
        cohort = await create_cohort(s, key="2027v")
        await create_class(s, cohort=cohort, key="bergen")
    path = tmp_path / "people.csv"
    header = "email,name,class,municipality,county,service_area,position,gender,education,"
    header += "line_manager_email,line_manager_name\n"
    lines = [
        f"p{i}@k.no,P {i},bergen,Bergen,Vestland,Helse,Leder,kvinne,Master,m{i}@k.no,M {i}\n"
        for i in range(300)
    ]
    path.write_text(header + "".join(lines), encoding="utf-8")
    file = db.url.split("///", 1)[1]
    blocked: list[str] = []

    def write_meanwhile(done: int) -> None:
        # Another process writing while the dry run is busy: with no wait allowed, it fails
        # at once if the dry run holds the write lock.
        other = sqlite3.connect(file, timeout=0)
        try:
            other.execute("UPDATE cohort SET name = name WHERE id = ?", (cohort.id,))
            other.commit()
        except sqlite3.OperationalError as exc:
            blocked.append(str(exc))
        finally:
            other.close()

    report = await run_import(
        db,
        path,
        cohort_ref="2027v",
        today=NOW.date(),
        dry_run=True,
        progress=write_meanwhile,
        settings=settings,
        now=NOW,
    )
    assert report.dry_run and len(report.created) == 300
    assert blocked == []
    async with db.session() as s:
        assert (await s.exec(select(Person))).all() == []
