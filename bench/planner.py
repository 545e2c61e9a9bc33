"""Planner and import benchmark: plan a new cohort, re-plan after one session moves, import and
dry-run a large people file, plan a new 5,000-person cohort, and the write lock meanwhile.

    .venv/bin/python -m bench.planner                        # SQLite, then PostgreSQL if it answers
    .venv/bin/python -m bench.planner --db sqlite --people 2000 --import-rows 20000 --new-cohort 5000

Each figure is wall time (and the process's CPU time) of the real code path (`apply_plan_to`,
`run_import`, the planner job's `replan_current_cohorts`) on a fresh database. Two write-lock
figures:
- "longest write transaction": the longest time any transaction of the bot's engine held its
  connection between its first write and its end (on SQLite that is how long the write lock
  was held), overall and per step;
- "probe": a separate process, standing in for the dispatcher's "sent" marks, updates an
  outbox row (a sent delivery of its own) every 20 ms throughout and records how long each
  write took: on SQLite its wait for the write lock, on PostgreSQL any lock the planner's
  writes to the same table make it wait for, plus the machine's own delay. Its longest write
  is the longest a dispatcher's mark (and so its next send) was held up.

`--profile DIR` writes each step's cProfile stats (slower; for finding where a step's time
goes: `python -m pstats DIR/sqlite-new_cohort_import_and_plan.pstats`).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import csv
import json
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bot.people_import.columns import REQUIRED_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "examples" / "plan.yaml"
POSTGRES_URL = "postgresql://127.0.0.1:5432/test"
NOW = datetime(2026, 8, 3, 8, 0, tzinfo=UTC)  # a month before the example cohort starts
CLASSES = ("bergen", "trondheim", "tromso", "oslo")


@dataclass
class WriteLockWatch:
    """Times each transaction from its first write to its end."""

    longest: float = 0.0
    longest_what: str = ""
    started: dict[int, float] = field(default_factory=dict)
    first_write: dict[int, str] = field(default_factory=dict)
    per_step: dict[str, float] = field(default_factory=dict)
    transactions: int = 0

    def attach(self, engine: Any) -> None:
        sync = engine.sync_engine

        @event.listens_for(sync, "before_cursor_execute")
        def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            words = statement.split(None, 3)
            verb = words[0].upper() if words else ""
            if verb in ("INSERT", "UPDATE", "DELETE") and id(conn) not in self.started:
                self.started[id(conn)] = time.perf_counter()
                table = words[2] if verb != "UPDATE" and len(words) > 2 else words[1]
                self.first_write[id(conn)] = f"{verb} {table.strip(chr(34))}"

        def end(conn: Any) -> None:
            began = self.started.pop(id(conn), None)
            first = self.first_write.pop(id(conn), "")
            if began is not None:
                held = time.perf_counter() - began
                self.transactions += 1
                self.per_step[self.current] = max(self.per_step.get(self.current, 0.0), held)
                if held > self.longest:
                    self.longest, self.longest_what = held, f"{self.current} ({first} …)"

        event.listen(sync, "commit", end)
        event.listen(sync, "rollback", end)

    current: str = ""


# The probe's row: a delivery already sent, of a source the planner does not own, so the
# probe's writes are the dispatcher's own kind (an UPDATE of the outbox, beside the planner's
# inserts, updates and cancellations of the same table) and nothing ever sends it.
PROBE_ROW = (
    "INSERT INTO delivery (dedupe_key, transport, kind, target, message, send_at, urgent, "
    "state, attempts, unknown_attempts, found_sent, created_at, updated_at, source) VALUES "
    "('bench:probe', 'slack', 'bench', 'CPROBE', '{}', '2026-08-03 08:00:00.000000', FALSE, "
    "'sent', 0, 0, FALSE, '2026-08-03 08:00:00.000000', '2026-08-03 08:00:00.000000', "
    "'bench:probe')"
)
PROBE_WRITE = "UPDATE delivery SET attempts = attempts + 1 WHERE dedupe_key = 'bench:probe'"


def _probe_main(url: str, stop: Any, ready: Any, results: Any) -> None:
    """The probe process: one small write transaction every 20 ms, each timed (monotonic start,
    seconds), sent back when told to stop."""
    from storage.db import make_sync_engine

    engine = make_sync_engine(url)
    seen: list[tuple[float, float]] = []
    with engine.connect() as conn:
        while not stop.is_set():
            began = time.monotonic()
            conn.exec_driver_sql(PROBE_WRITE)
            conn.commit()
            seen.append((began, time.monotonic() - began))
            ready.set()
            stop.wait(0.02)
    engine.dispose()
    results.put(seen)


class Probe:
    """Another process's writer, standing in for the dispatcher's "sent" marks: a separate
    process (its own interpreter, so the planner's CPU does not hold it up through the GIL)
    updates its outbox row every 20 ms on its own connection and times each write. On SQLite
    each waits for the write lock (`busy_timeout` as the bot's); on PostgreSQL for whatever
    lock the planner's COPY, inserts, updates and cancellations of the outbox would make it
    wait for (none should: they take row locks on other rows)."""

    def __init__(self, url: str) -> None:
        import multiprocessing

        from storage.db import make_sync_engine

        engine = make_sync_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(PROBE_ROW)
        engine.dispose()
        context = multiprocessing.get_context("spawn")
        self.stop = context.Event()
        self.ready = context.Event()
        self.results: Any = context.Queue()
        self.process = context.Process(
            target=_probe_main, args=(url, self.stop, self.ready, self.results), daemon=True
        )
        self.steps: list[tuple[str, float]] = []
        self.longest: dict[str, float] = {}
        self.writes = 0

    def start(self) -> None:
        self.process.start()
        if not self.ready.wait(120):
            raise RuntimeError("the probe process did not start writing")

    def mark(self, step: str) -> None:
        self.steps.append((step, time.monotonic()))

    def finish(self) -> None:
        self.mark("")
        self.stop.set()
        seen = self.results.get(timeout=120)
        self.process.join(timeout=60)
        self.writes = len(seen)
        for began, took in seen:
            step = ""
            for name, at in self.steps:
                if at <= began:
                    step = name
            if step:
                self.longest[step] = max(self.longest.get(step, 0.0), took)


def out_probe(probe: Probe) -> str:
    return ", ".join(f"{k} {v:.3f} s" for k, v in probe.longest.items())


def people_csv(path: Path, rows: int, *, offset: int = 0) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(REQUIRED_COLUMNS)
        for i in range(offset, offset + rows):
            w.writerow(
                [
                    f"deltaker{i}@kommune{i % 350}.no",
                    f"Deltaker {i}",
                    CLASSES[i % len(CLASSES)],
                    f"Kommune {i % 350}",
                    f"Fylke {i % 11}",
                    "Helse og omsorg",
                    "Avdelingsleder",
                    ("kvinne", "mann")[i % 2],
                    "Bachelor",
                    f"leder{i // 3}@kommune{i % 350}.no",
                    f"Leder {i // 3}",
                ]
            )
    return path


def other_cohort_plan(path: Path) -> Path:
    """The example plan as another cohort (key 2027v), for planning a new cohort from scratch."""
    text = PLAN.read_text(encoding="utf-8").replace("key: 2026h", "key: 2027v", 1)
    path.write_text(text, encoding="utf-8")
    return path


def moved_plan(path: Path) -> Path:
    """The example plan with session 2 one day later (its assignment moves with it)."""
    text = PLAN.read_text(encoding="utf-8")
    text = text.replace("start: 2026-10-27 09:00", "start: 2026-10-28 09:00", 1)
    text = text.replace("end: 2026-10-28 15:00", "end: 2026-10-29 15:00", 1)
    path.write_text(text, encoding="utf-8")
    return path


async def run(
    url: str,
    people: int,
    import_rows: int,
    new_cohort: int,
    work: Path,
    profile: Path | None = None,
) -> dict[str, Any]:
    from sqlalchemy import update

    from bot.clock import FrozenClock
    from bot.people_import import run_import
    from bot.plan import load_plan
    from bot.plan_apply import apply_plan_to
    from bot.runtime import Runtime
    from bot.settings import Settings
    from schedules.planner import replan_current_cohorts
    from storage.db import Database
    from storage.migrate import upgrade
    from storage.models import CohortClass

    upgrade(url)
    settings = Settings(database_url=url, secret_key="bench-secret-key-0123456789abcdef")
    db = Database(url)
    watch = WriteLockWatch()
    watch.attach(db.engine)
    probe = Probe(url)
    probe.start()
    out: dict[str, Any] = {
        "database": db.dialect,
        "people": people,
        "import_rows": import_rows,
        "new_cohort_people": new_cohort,
    }

    async def timed(name: str, coro: Any) -> Any:
        watch.current = name
        probe.mark(name)
        profiler = cProfile.Profile() if profile else None
        began, cpu = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        result = await coro
        if profiler is not None and profile is not None:
            profiler.disable()
            profiler.dump_stats(str(profile / f"{db.dialect}-{name}.pstats"))
        out[name] = round(time.perf_counter() - began, 2)
        out[f"{name}_cpu"] = round(time.process_time() - cpu, 2)
        print(
            f"  {name}: {out[name]} s, CPU {out[f'{name}_cpu']} s (longest write transaction "
            f"{watch.per_step.get(name, 0.0):.3f} s)",
            flush=True,
        )
        return result

    async def with_channels(cohort_id: int | None) -> None:
        async with db.transaction() as session:
            await session.execute(
                update(CohortClass)
                .where(CohortClass.cohort_id == cohort_id)  # type: ignore[arg-type]
                .values(slack_channel_id="CBENCH")
            )

    plan = load_plan(PLAN)
    report = await timed(
        "plan_apply_empty_cohort", apply_plan_to(db, plan, settings=settings, now=NOW)
    )
    await with_channels(report.cohort_id)
    csv_path = people_csv(work / "people.csv", people)
    await timed(
        "import_people",
        run_import(db, csv_path, cohort_ref="2026h", today=NOW.date(), settings=settings, now=NOW),
    )
    await timed(
        "replan_unchanged",
        replan_current_cohorts(Runtime(settings=settings, db=db, clock=FrozenClock(NOW)), NOW),
    )
    moved = load_plan(moved_plan(work / "moved.yaml"))
    await timed("plan_apply_session_moved", apply_plan_to(db, moved, settings=settings, now=NOW))
    big = people_csv(work / "big.csv", import_rows, offset=people)
    await timed(
        "import_dry_run",
        run_import(
            db,
            big,
            cohort_ref="2026h",
            today=NOW.date(),
            settings=settings,
            now=NOW,
            dry_run=True,
        ),
    )
    await timed(
        "plan_dry_run",
        apply_plan_to(db, plan, settings=settings, now=NOW, dry_run=True),
    )
    if new_cohort:
        # A new cohort from nothing: apply its plan, give the classes channels, import and plan
        # everyone (reminders, overdue notices, class posts, every manager's nudges).
        began = time.perf_counter()
        other = load_plan(other_cohort_plan(work / "other.yaml"))
        report = await timed(
            "new_cohort_plan_apply", apply_plan_to(db, other, settings=settings, now=NOW)
        )
        await with_channels(report.cohort_id)
        fresh = people_csv(work / "fresh.csv", new_cohort, offset=people + import_rows)
        imported = await timed(
            "new_cohort_import_and_plan",
            run_import(db, fresh, cohort_ref="2027v", today=NOW.date(), settings=settings, now=NOW),
        )
        out["new_cohort_total"] = round(time.perf_counter() - began, 2)
        out["new_cohort_deliveries"] = imported.deliveries_planned
    # The 20,000-row file for real, people, enrolments and links only (the planner's share is
    # what the new cohort above measures): the import's own writes, in pieces.
    await timed(
        "import_rows_without_planning",
        run_import(db, big, cohort_ref="2026h", today=NOW.date(), now=NOW),
    )
    probe.finish()
    out["longest_write_transaction_s"] = round(watch.longest, 3)
    out["longest_write_transaction_in"] = watch.longest_what
    out["longest_write_transaction_per_step_s"] = {
        k: round(v, 3) for k, v in watch.per_step.items()
    }
    out["write_transactions"] = watch.transactions
    print(
        f"  longest write transaction: {watch.longest:.3f} s in {watch.longest_what} "
        f"({watch.transactions} write transactions)",
        flush=True,
    )
    print(f"  probe's longest write per step: {out_probe(probe)}", flush=True)
    out["probe_writes"] = probe.writes
    out["probe_longest_write_s"] = round(max(probe.longest.values(), default=0.0), 3)
    out["probe_longest_write_per_step_s"] = {k: round(v, 3) for k, v in probe.longest.items()}
    await db.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--import-rows", type=int, default=20000)
    parser.add_argument("--new-cohort", type=int, default=5000, help="people; 0 skips the step")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--profile",
        type=Path,
        help="a folder: each step's cProfile stats as <database>-<step>.pstats (slower)",
    )
    args = parser.parse_args()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.db in ("sqlite", "both"):
            print("SQLite", flush=True)
            url = f"sqlite:///{work}/bench-planner.db"
            results.append(
                asyncio.run(
                    run(url, args.people, args.import_rows, args.new_cohort, work, args.profile)
                )
            )
        if args.db in ("postgresql", "both"):
            from tests.conftest import create_postgres_database, drop_postgres_database

            url = create_postgres_database(args.postgres_url)
            print("PostgreSQL", flush=True)
            try:
                results.append(
                    asyncio.run(
                        run(url, args.people, args.import_rows, args.new_cohort, work, args.profile)
                    )
                )
            finally:
                drop_postgres_database(url, args.postgres_url)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
