"""Planner and import benchmark: plan a new cohort, re-plan after one session moves, import and
dry-run a large people file, and the longest write transaction meanwhile.

    .venv/bin/python -m bench.planner                        # SQLite, then PostgreSQL if it answers
    .venv/bin/python -m bench.planner --db sqlite --people 5000 --import-rows 20000

Each figure is wall time of the real code path (`apply_plan_to`, `run_import`, the planner job's
`replan_current_cohorts`) on a fresh database. "Longest write transaction" is the longest time any
transaction that wrote held its connection between its first write and its commit (SQLite's write
lock is held exactly that long).
"""

from __future__ import annotations

import argparse
import asyncio
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

    def attach(self, engine: Any) -> None:
        sync = engine.sync_engine

        @event.listens_for(sync, "before_cursor_execute")
        def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            verb = statement.lstrip().split(" ", 1)[0].upper()
            if verb in ("INSERT", "UPDATE", "DELETE") and id(conn) not in self.started:
                self.started[id(conn)] = time.perf_counter()

        def end(conn: Any) -> None:
            began = self.started.pop(id(conn), None)
            if began is not None:
                held = time.perf_counter() - began
                if held > self.longest:
                    self.longest, self.longest_what = held, self.current

        event.listen(sync, "commit", end)
        event.listen(sync, "rollback", end)

    current: str = ""


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


def moved_plan(path: Path) -> Path:
    """The example plan with session 2 one day later (its assignment moves with it)."""
    text = PLAN.read_text(encoding="utf-8")
    text = text.replace("start: 2026-10-27 09:00", "start: 2026-10-28 09:00", 1)
    text = text.replace("end: 2026-10-28 15:00", "end: 2026-10-29 15:00", 1)
    path.write_text(text, encoding="utf-8")
    return path


async def run(url: str, people: int, import_rows: int, work: Path) -> dict[str, Any]:
    from bot.clock import FrozenClock
    from bot.people_import import run_import
    from bot.plan import load_plan
    from bot.plan_apply import apply_plan_to
    from bot.runtime import Runtime
    from bot.settings import Settings
    from schedules.planner import replan_current_cohorts
    from storage.db import Database
    from storage.migrate import upgrade

    upgrade(url)
    settings = Settings(database_url=url, secret_key="bench-secret-key-0123456789abcdef")
    db = Database(url)
    watch = WriteLockWatch()
    watch.attach(db.engine)
    out: dict[str, Any] = {"database": db.dialect, "people": people, "import_rows": import_rows}

    async def timed(name: str, coro: Any) -> Any:
        watch.current = name
        began = time.perf_counter()
        result = await coro
        out[name] = round(time.perf_counter() - began, 2)
        print(f"  {name}: {out[name]} s", flush=True)
        return result

    plan = load_plan(PLAN)
    await timed("plan_apply_empty_cohort", apply_plan_to(db, plan, settings=settings, now=NOW))
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
    out["longest_write_transaction_s"] = round(watch.longest, 2)
    out["longest_write_transaction_in"] = watch.longest_what
    await db.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--import-rows", type=int, default=20000)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.db in ("sqlite", "both"):
            print("SQLite", flush=True)
            url = f"sqlite:///{work}/bench-planner.db"
            results.append(asyncio.run(run(url, args.people, args.import_rows, work)))
        if args.db in ("postgresql", "both"):
            from tests.conftest import create_postgres_database, drop_postgres_database

            url = create_postgres_database(args.postgres_url)
            print("PostgreSQL", flush=True)
            try:
                results.append(asyncio.run(run(url, args.people, args.import_rows, work)))
            finally:
                drop_postgres_database(url, args.postgres_url)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
