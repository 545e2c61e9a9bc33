"""The planner re-plans only what changed, in pieces that stay correct when cut off or raced;
size limits refuse and change nothing; dry runs write nothing (both databases)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select, text, update
from sqlmodel import SQLModel

from bot import plan_changes, planner
from bot.people_import import ImportFileError, run_import
from bot.plan import load_plan
from bot.plan_apply import apply_plan_to
from bot.planner import PlanTooLarge, replan_cohort
from bot.settings import Settings
from storage.db import Database
from storage.models import (
    Assignment,
    CohortClass,
    Delivery,
    DeliveryState,
    Enrolment,
    EnrolmentStatus,
    Nudge,
    Person,
)
from storage.queries import deliveries as dq
from tests.utils.assignments import add_assignment, build_programme, oslo

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "examples" / "plan.yaml"
OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 8, 3, 8, 0, tzinfo=UTC)  # a month before the example cohort starts
LATER = NOW + timedelta(hours=1)
HEADER = (
    "email,name,class,municipality,county,service_area,position,gender,education,"
    "line_manager_email,line_manager_name\n"
)
CLASSES = ("bergen", "trondheim", "tromso", "oslo")


def people_file(path: Path, n: int, *, offset: int = 0) -> Path:
    lines = [
        f"p{i}@kommune.no,Deltaker {i},{CLASSES[i % 4]},Bergen,Vestland,Helse,Leder,"
        f"kvinne,Master,leder{i // 3}@kommune.no,Leder {i // 3}\n"
        for i in range(offset, offset + n)
    ]
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def moved_plan(path: Path) -> Path:
    """The example plan with session 2 one day later (27 → 28 October, after the clocks go
    back on 25 October): a1's deadline, a2's release and the 'prosjekt' nudge's answer-by move."""
    text_ = PLAN.read_text(encoding="utf-8")
    text_ = text_.replace("start: 2026-10-27 09:00", "start: 2026-10-28 09:00", 1)
    text_ = text_.replace("end: 2026-10-28 15:00", "end: 2026-10-29 15:00", 1)
    path.write_text(text_, encoding="utf-8")
    return path


async def outbox(db: Database) -> dict[str, tuple[Any, ...]]:
    async with db.session() as s:
        rows = (await s.execute(select(Delivery))).scalars().all()
        return {
            d.dedupe_key: (d.state, d.send_at, d.target, d.message, d.updated_at, d.source)
            for d in rows
        }


async def everything(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, for 'nothing changed' checks."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with db.session() as s:
        for table in SQLModel.metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = (await s.execute(select(table))).all()
            out[table.name] = sorted((tuple(map(repr, r)) for r in rows), key=repr)
    return out


def write_statements(db: Database) -> list[str]:
    """Every statement that writes (or opens a write transaction) from now on."""
    seen: list[str] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def watch(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        verb = statement.lstrip().split(" ", 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE") or "IMMEDIATE" in statement.upper():
            seen.append(statement)

    return seen


async def example_cohort(db: Database, settings: Settings, tmp_path: Path, people: int) -> int:
    report = await apply_plan_to(db, load_plan(PLAN), settings=settings, now=NOW)
    assert report.cohort_id is not None
    async with db.transaction() as s:
        await s.execute(
            update(CohortClass)
            .where(CohortClass.cohort_id == report.cohort_id)  # type: ignore[arg-type]
            .values(slack_channel_id="CCLASS")
        )
    await run_import(
        db,
        people_file(tmp_path / "people.csv", people),
        cohort_ref="2026h",
        today=NOW.date(),
        now=NOW,
        settings=settings,
    )
    return report.cohort_id


async def ids_by_key(db: Database, model: Any, cohort_id: int) -> dict[str, int]:
    async with db.session() as s:
        rows = (await s.execute(select(model).where(model.cohort_id == cohort_id))).scalars()
        return {r.key: r.id for r in rows}


def local(moment: datetime) -> datetime:
    return (
        moment.replace(tzinfo=UTC).astimezone(OSLO)
        if moment.tzinfo is None
        else (moment.astimezone(OSLO))
    )


# --- incremental: exactly what the change implies ------------------------------------------


async def test_moving_one_session_rewrites_exactly_its_deliveries_across_the_dst_change(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    cohort_id = await example_cohort(db, settings, tmp_path, people=24)
    before = await outbox(db)
    assignments = await ids_by_key(db, Assignment, cohort_id)
    nudges = await ids_by_key(db, Nudge, cohort_id)
    a1 = f"assignment:{assignments['a1']}"
    touched_sources = {a1, f"assignment:{assignments['a2']}", f"nudge:{nudges['prosjekt']}"}

    report = await apply_plan_to(
        db, load_plan(moved_plan(tmp_path / "moved.yaml")), settings=settings, now=LATER
    )
    after = await outbox(db)

    assert set(after) == set(before)  # nothing added, nothing cancelled: the same keys
    changed = {k for k in after if after[k] != before[k]}
    assert changed and report.deliveries_planned == len(changed)
    assert {after[k][5] for k in changed} <= touched_sources
    untouched = {k for k in after if after[k][5] not in touched_sources}
    assert all(after[k] == before[k] for k in untouched)  # same row, same updated_at
    # Every personal message about a1 moved a day on the local wall clock, across the change
    # from summer time (UTC+2) to winter time (UTC+1) on 25 October.
    personal = [
        k for k in after if k.startswith(a1 + ":") and ":person:" in k and ":post:" not in k
    ]
    assert personal and set(personal) <= changed
    # The assignment by email to those only email reaches goes at its release, as before, but
    # says the new deadline: rewritten, same time.
    by_email = [k for k in after if k.startswith(a1 + ":post:person:")]
    assert by_email and set(by_email) <= changed
    assert all(after[k][1] == before[k][1] for k in by_email)
    for key in personal:
        old, new = local(before[key][1]), local(after[key][1])
        assert new.date() == old.date() + timedelta(days=1), key
        assert new.time() == old.time(), key  # 08:00 stays 08:00 local, not 07:00
    overdue = next(k for k in personal if ":overdue:" in k)
    assert local(after[overdue][1]) == datetime(2026, 10, 28, 8, 0, tzinfo=OSLO)
    assert after[overdue][1].utcoffset() == timedelta(0)
    assert after[overdue][1] == datetime(2026, 10, 28, 7, 0, tzinfo=UTC)  # winter time
    # The apply re-planned only a1, a2 and 'prosjekt'; a full re-plan finds nothing it missed.
    assert await replan_cohort(db, cohort_id=cohort_id, settings=settings, now=LATER) == 0


async def test_a_national_holiday_is_skipped_and_moving_one_due_date_touches_only_it(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as s:
        world = await build_programme(s)
        # 17 May (Grunnlovsdag) and Kristi himmelfartsdag (6 May 2027) fall on reminders.
        may = await add_assignment(
            s,
            world.cohort,
            key="mai",
            release_at=oslo(2027, 4, 20, 9, 0),
            due_at=oslo(2027, 5, 18, 12, 0),
            offsets=[12 * 24 * 60, 24 * 60],  # 6 May and 17 May, both at 12:00
        )
        other = await add_assignment(
            s,
            world.cohort,
            key="annen",
            release_at=oslo(2027, 4, 20, 9, 0),
            due_at=oslo(2027, 6, 1, 12, 0),
        )
    now = datetime(2027, 4, 1, 8, 0, tzinfo=UTC)
    await replan_cohort(db, cohort_id=world.cohort.id, settings=settings, now=now)
    before = await outbox(db)
    reminders = {
        k: local(v[1]) for k, v in before.items() if k.startswith(f"assignment:{may.id}:reminder")
    }
    assert reminders
    for key, when in reminders.items():
        assert when.date() not in (datetime(2027, 5, 6).date(), datetime(2027, 5, 17).date())
        assert when in (
            datetime(2027, 5, 7, 8, 0, tzinfo=OSLO),  # the morning after Ascension Day
            datetime(2027, 5, 18, 8, 0, tzinfo=OSLO),  # the morning after 17 May
        ), key

    async with db.transaction() as s:
        await s.execute(
            update(Assignment)
            .where(Assignment.id == may.id)  # type: ignore[arg-type]
            .values(due_at=oslo(2027, 5, 19, 12, 0))
        )
    written = await replan_cohort(
        db, cohort_id=world.cohort.id, settings=settings, now=now + timedelta(minutes=5)
    )
    after = await outbox(db)
    changed = {k for k in after if after.get(k) != before.get(k)}
    assert written == len(changed) > 0
    assert all(k.startswith(f"assignment:{may.id}:") for k in changed)
    assert all(after[k] == before[k] for k in after if k.startswith(f"assignment:{other.id}:"))
    one_day = [k for k in after if k.startswith(f"assignment:{may.id}:reminder:1440:")]
    assert one_day and all(
        local(after[k][1]) == datetime(2027, 5, 18, 12, 0, tzinfo=OSLO) for k in one_day
    )


# --- cut off part-way, and raced by the dispatcher -----------------------------------------


async def test_a_replan_cut_off_between_pieces_is_completed_by_the_next_run(
    db: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cohort_id = await example_cohort(db, settings, tmp_path, people=12)
    # Withdraw two people, add five and move a session: cancellations, updates and inserts to write.
    async with db.transaction() as s:
        await s.execute(
            update(Enrolment)
            .where(
                Enrolment.cohort_id == cohort_id,  # type: ignore[arg-type]
                Enrolment.person_id.in_(  # type: ignore[attr-defined]
                    select(Person.id).where(Person.email.in_(["p0@kommune.no", "p1@kommune.no"]))  # type: ignore[attr-defined]
                ),
            )
            .values(status=EnrolmentStatus.WITHDRAWN)
        )
    await run_import(
        db,
        people_file(tmp_path / "more.csv", 5, offset=100),
        cohort_ref="2026h",
        today=NOW.date(),
        now=NOW,
    )  # five more people, not planned yet (no settings)
    plan = load_plan(moved_plan(tmp_path / "moved.yaml"))
    real_write = plan_changes.write_changes
    calls = 0

    async def crashing(session: Any, changes: Any, *, now: datetime) -> int:
        nonlocal calls
        calls += 1
        if calls == 2:  # after the cancellations, before the updates and inserts
            raise RuntimeError("killed mid-run")
        return await real_write(session, changes, now=now)

    monkeypatch.setattr(planner, "write_changes", crashing)
    with pytest.raises(RuntimeError, match="killed"):
        await apply_plan_to(db, plan, settings=settings, now=LATER)
    monkeypatch.setattr(planner, "write_changes", real_write)
    partial = await outbox(db)

    # The next run (the planner job) completes it; a third run has nothing left to do.
    await replan_cohort(db, cohort_id=cohort_id, settings=settings, now=LATER, chunk=5)
    assert await replan_cohort(db, cohort_id=cohort_id, settings=settings, now=LATER) == 0
    done = await outbox(db)
    assert set(partial) < set(done)  # the cut-off run had inserts left to write
    assert any(partial[k] != done[k] for k in partial)  # and updates

    # The same as a database that was never cut off.
    async with db.session() as s:
        left = await planner.plan_changes(
            session=s, cohort_id=cohort_id, settings=settings, now=LATER
        )
    assert left.rows == 0
    async with db.session() as s:
        gone = list(
            await s.execute(
                select(Person.id).where(Person.email.in_(["p0@kommune.no", "p1@kommune.no"]))  # type: ignore[attr-defined]
            )
        )
    ends = tuple(f":person:{i}" for (i,) in gone)
    withdrawn = [k for k in done if k.endswith(ends)]
    assert withdrawn and all(done[k][0] != DeliveryState.PENDING for k in withdrawn)


async def test_two_planners_at_once_write_each_delivery_once(
    db: Database,
    database_url: str,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two processes plan the same new people at once (each its own engine): both read before
    either writes, then both write every insert (COPY pieces on PostgreSQL). Each delivery and
    answer row is there once, and a third run finds nothing to do."""
    cohort_id = await example_cohort(db, settings, tmp_path, people=6)
    await run_import(
        db,
        people_file(tmp_path / "more.csv", 9, offset=100),
        cohort_ref="2026h",
        today=NOW.date(),
        now=NOW,
    )  # nine more people, not planned yet (no settings)
    async with db.session() as s:
        expected = await planner.plan_changes(
            session=s, cohort_id=cohort_id, settings=settings, now=NOW
        )
    assert len(expected.inserts) > 30
    before = set(await outbox(db))
    real_write = planner.write_changes
    arrived: list[int] = []
    both_read = asyncio.Event()

    async def after_both_read(session: Any, changes: Any, *, now: datetime) -> int:
        arrived.append(1)
        if len(arrived) == 2:
            both_read.set()
        if db.dialect == "postgresql":  # SQLite's second writer waits for the lock instead
            await asyncio.wait_for(both_read.wait(), timeout=60)
        return await real_write(session, changes, now=now)

    monkeypatch.setattr(planner, "write_changes", after_both_read)
    other = Database(database_url)
    try:
        written = await asyncio.gather(
            replan_cohort(db, cohort_id=cohort_id, settings=settings, now=NOW, chunk=7),
            replan_cohort(other, cohort_id=cohort_id, settings=settings, now=NOW, chunk=7),
        )
    finally:
        await other.dispose()
    monkeypatch.setattr(planner, "write_changes", real_write)
    async with db.session() as s:
        keys = [k for (k,) in (await s.execute(select(Delivery.dedupe_key))).all()]
        answer_rows = (
            await s.execute(text("SELECT nudge_id, participant_id FROM nudge_answer"))
        ).all()
    assert len(keys) == len(set(keys))
    new = set(keys) - before
    assert {r["dedupe_key"] for r in expected.inserts} <= new
    # The race was real: each run inserted every row it had read as missing, and each row is
    # there once.
    assert written == [len(new), len(new)]
    async with db.session() as s:
        nudges = len((await s.execute(select(Nudge.id))).all())  # type: ignore[call-overload]
    assert len(answer_rows) == len(set(answer_rows)) == 15 * nudges
    assert await replan_cohort(db, cohort_id=cohort_id, settings=settings, now=NOW) == 0


async def test_the_dispatcher_claiming_between_the_read_and_the_write_wins(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as s:
        world = await build_programme(s)
        assignment = await add_assignment(
            s,
            world.cohort,
            release_at=oslo(2026, 9, 10, 16, 0),
            due_at=oslo(2026, 9, 25, 23, 59),
        )
    start = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    await replan_cohort(db, cohort_id=world.cohort.id, settings=settings, now=start)
    source = f"assignment:{assignment.id}"
    kari = world.kari.id
    # Time passes: Kari's first reminder is due. She withdraws and the due date moves.
    async with db.session() as s:
        rows = (
            await s.execute(
                select(Delivery).where(
                    Delivery.source == source,  # type: ignore[arg-type]
                    Delivery.person_id == kari,  # type: ignore[arg-type]
                )
            )
        ).scalars()
        first = min(rows, key=lambda d: d.send_at)
    now = first.send_at + timedelta(minutes=1)
    async with db.transaction() as s:
        await s.execute(
            update(Enrolment)
            .where(Enrolment.person_id == kari, Enrolment.cohort_id == world.cohort.id)  # type: ignore[arg-type]
            .values(status=EnrolmentStatus.WITHDRAWN)
        )
        await s.execute(
            update(Assignment)
            .where(Assignment.id == assignment.id)  # type: ignore[arg-type]
            .values(due_at=oslo(2026, 9, 28, 23, 59))
        )
    async with db.session() as s:
        changes = await planner.plan_changes(
            session=s, cohort_id=world.cohort.id, settings=settings, now=now
        )
    assert first.dedupe_key in {k for k, _ in changes.cancels}
    # The dispatcher claims the due reminder after the planner read, before it writes.
    async with db.transaction() as s:
        claimed = await dq.claim_due_deliveries(
            session=s,
            now=now,
            limit=100,
            claimed_by="dispatcher-1",
            lease_until=now + timedelta(minutes=5),
        )
    assert first.dedupe_key in {c.dedupe_key for c in claimed}
    for piece in changes.chunks(2):
        async with db.transaction() as s:
            await plan_changes.write_changes(s, piece, now=now)
    after = await outbox(db)
    # Neither cancelled nor changed under the dispatcher: it is sent as it was claimed.
    assert after[first.dedupe_key][0] == DeliveryState.CLAIMED
    assert after[first.dedupe_key][1] == first.send_at
    kari_rest = [k for k in after if k.endswith(f":person:{kari}") and k != first.dedupe_key]
    assert kari_rest and all(after[k][0] == DeliveryState.CANCELLED for k in kari_rest)
    # Sent; the next re-plan neither sends it again nor brings the cancelled ones back.
    async with db.transaction() as s:
        await s.execute(
            update(Delivery)
            .where(Delivery.dedupe_key == first.dedupe_key)  # type: ignore[arg-type]
            .values(state=DeliveryState.SENT, sent_at=now)
        )
    assert await replan_cohort(db, cohort_id=world.cohort.id, settings=settings, now=now) == 0
    final = await outbox(db)
    assert final[first.dedupe_key][0] == DeliveryState.SENT
    assert all(final[k][0] == DeliveryState.CANCELLED for k in kari_rest)


# --- limits and dry runs --------------------------------------------------------------------


async def test_an_import_that_would_make_the_plan_too_large_is_refused_and_changes_nothing(
    db: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await example_cohort(db, settings, tmp_path, people=6)
    monkeypatch.setattr(planner, "MAX_DELIVERIES_PER_COHORT", 100)  # 4 × (4 + 3 × 6) = 88
    state = await everything(db)
    for dry_run in (True, False):
        with pytest.raises(ImportFileError, match=r"takes at most 100 per cohort.*too large"):
            await run_import(
                db,
                people_file(tmp_path / "big.csv", 5, offset=50),
                cohort_ref="2026h",
                today=NOW.date(),
                now=LATER,
                settings=settings,
                dry_run=dry_run,
            )
    assert await everything(db) == state


async def test_a_plan_too_large_is_refused_before_anything_is_applied(
    db: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await example_cohort(db, settings, tmp_path, people=6)
    state = await everything(db)
    monkeypatch.setattr(planner, "MAX_DELIVERIES_PER_COHORT", 50)
    for dry_run in (True, False):
        with pytest.raises(PlanTooLarge, match="implies about 88 deliveries"):
            await apply_plan_to(
                db,
                load_plan(moved_plan(tmp_path / "moved.yaml")),
                settings=settings,
                now=LATER,
                dry_run=dry_run,
            )
    assert await everything(db) == state


async def test_dry_runs_never_write_nor_open_a_write_transaction(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    await example_cohort(db, settings, tmp_path, people=9)
    state = await everything(db)
    writes = write_statements(db)
    report = await run_import(
        db,
        people_file(tmp_path / "more.csv", 30, offset=5),  # 4 known people, 26 new
        cohort_ref="2026h",
        today=NOW.date(),
        now=LATER,
        settings=settings,
        dry_run=True,
    )
    assert writes == []  # no write statement, no write transaction, on either database
    assert (len(report.created), len(report.unchanged)) == (26, 4)
    # 26 new people × 4 assignments × their reminders and overdue notices, as a real import
    assert report.deliveries_planned > 26 * 4
    plan = await apply_plan_to(
        db,
        load_plan(moved_plan(tmp_path / "moved.yaml")),
        settings=settings,
        now=LATER,
        dry_run=True,
    )
    assert plan.dry_run and plan.deliveries_planned > 0
    assert writes == []  # the plan's dry run too: it only reads, on either database
    assert await everything(db) == state

    # The dry run's counts are what the real import then does.
    real = await run_import(
        db,
        people_file(tmp_path / "more.csv", 30, offset=5),
        cohort_ref="2026h",
        today=NOW.date(),
        now=LATER,
        settings=settings,
    )
    assert (real.created, real.updated, real.unchanged) == (
        report.created,
        report.updated,
        report.unchanged,
    )
    # Who only email reaches (no SMTP configured here), worked out in memory by the dry run.
    assert report.unreachable_participants is not None
    assert (real.unreachable_participants, real.unreachable_managers) == (
        report.unreachable_participants,
        report.unreachable_managers,
    )
    async with db.session() as s:
        assert (await s.execute(text("SELECT count(*) FROM person"))).scalar() == 9 + 3 + 26 + 9
