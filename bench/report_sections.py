"""Benchmark: where the annual report's time goes, section by section, in CPU seconds.

Runs the report on the database `bench.report --keep` left behind (generate it first), once to
warm up and then `--runs` times in the same process (as the running bot does), and prints per
section the best wall time and the CPU time of the whole process (threads included: the
report's counting and solving run in worker threads), plus how many times the suppression
solver was asked for an interval. CPU time is what to compare on a shared machine: wall time
there mostly measures the other jobs.

    .venv/bin/python -m bench.report --db sqlite --keep      # once: builds the data
    .venv/bin/python -m bench.report_sections                 # SQLite
    .venv/bin/python -m bench.report_sections --url postgresql://127.0.0.1:5432/cohortbot_bench_report
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import time
from collections import defaultdict
from typing import Any

from bench.report import KEEP_SQLITE, _run_report

SECTIONS = (
    "summary",
    "enrolment",
    "dropout",
    "background",
    "geography",
    "evaluations",
    "results",
    "involvement",
    "networks",
)


def _instrument(wall: dict[str, float], cpu: dict[str, float], counts: dict[str, int]) -> None:
    from bot import suppression
    from bot.report import builder
    from bot.report import render as rendering

    def timed(owner: Any, name: str, label: str) -> None:
        real = getattr(owner, name)

        if asyncio.iscoroutinefunction(real):

            @functools.wraps(real)
            async def wrapped_async(*args: Any, **kw: Any) -> Any:
                w, c = time.perf_counter(), time.process_time()
                try:
                    return await real(*args, **kw)
                finally:
                    wall[label] += time.perf_counter() - w
                    cpu[label] += time.process_time() - c

            setattr(owner, name, wrapped_async)
            return

        @functools.wraps(real)
        def wrapped(*args: Any, **kw: Any) -> Any:
            w, c = time.perf_counter(), time.process_time()
            try:
                return real(*args, **kw)
            finally:
                wall[label] += time.perf_counter() - w
                cpu[label] += time.process_time() - c

        setattr(owner, name, wrapped)

    for section in SECTIONS:
        timed(builder._Builder, section, section)
    timed(rendering, "render", "render (html)")
    real_interval = suppression.LinearTable.interval

    def counted(self: Any, *args: Any, **kw: Any) -> Any:
        counts["intervals"] += 1
        return real_interval(self, *args, **kw)

    suppression.LinearTable.interval = counted  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=f"sqlite:///{KEEP_SQLITE}")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    wall: dict[str, float] = defaultdict(float)
    cpu: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    _instrument(wall, cpu, counts)
    asyncio.run(_run_report(args.url))  # warm: imports, caches, the first connection
    best: dict[str, tuple[float, float]] = {}
    totals = []
    for _ in range(args.runs):
        wall.clear()
        cpu.clear()
        counts.clear()
        c0 = time.process_time()
        seconds, _size = asyncio.run(_run_report(args.url))
        totals.append((seconds, time.process_time() - c0))
        for key in wall:
            if key not in best or wall[key] < best[key][0]:
                best[key] = (wall[key], cpu[key])
    out = {
        "report_wall_s_best": round(min(t for t, _ in totals), 3),
        "report_cpu_s_best": round(min(c for _, c in totals), 3),
        "intervals_per_report": counts["intervals"],
        "load_average_1min": round(os.getloadavg()[0], 2),
        "sections_wall_cpu_s": {k: [round(w, 3), round(c, 3)] for k, (w, c) in best.items()},
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
