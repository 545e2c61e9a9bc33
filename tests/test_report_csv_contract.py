"""The tidy CSV's columns and measure names are the ones docs/report-csv.md promises."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from bot.report import build_annual_report, build_final_report
from bot.report.render import CSV_COLUMNS, render_csv
from bot.settings import Settings
from storage.db import Database
from tests.bot.test_report import NOW, build_fixture

DOC = Path(__file__).resolve().parents[1] / "docs" / "report-csv.md"


def documented() -> tuple[list[str], list[tuple[str, re.Pattern[str]]]]:
    text = DOC.read_text(encoding="utf-8")
    columns_part = text.split("## Columns", 1)[1].split("##", 1)[0]
    columns = re.findall(r"^\| `([a-z_]+)` \|", columns_part, re.M)
    measures_part = text.split("## Measures", 1)[1]
    measures = []
    for section, measure in re.findall(r"^\| `([a-z]+)` \| `([^`]+)` \|", measures_part, re.M):
        pattern = re.escape(measure).replace(r"\{key\}", "[^:]+").replace(r"\{n\}", r"\d+")
        pattern = pattern.replace(r"\{id\}", r"\d+")
        measures.append((section, re.compile(pattern + "$")))
    return columns, measures


async def test_columns_and_every_measure_written_are_documented(
    db: Database, settings: Settings
) -> None:
    columns, measures = documented()
    assert tuple(columns) == CSV_COLUMNS
    await build_fixture(db, settings)
    async with db.session() as s:
        annual = await build_annual_report(s, year=2026, settings=settings, now=NOW)
        final = await build_final_report(
            s, first_year=2025, last_year=2026, settings=settings, now=NOW
        )
    written: set[tuple[str, str]] = set()
    for report in (annual, final):
        rows = list(csv.DictReader(io.StringIO(render_csv(report))))
        assert tuple(rows[0]) == CSV_COLUMNS
        written |= {(r["section"], r["measure"]) for r in rows}
        assert {r["origin"] for r in rows} <= {"", "directorate"}
    undocumented = [
        (sec, m) for sec, m in written if not any(s == sec and p.match(m) for s, p in measures)
    ]
    assert not undocumented, undocumented
    # And the fixture exercises most of the contract: a documented name nobody writes is stale.
    unused = [
        (s, p.pattern) for s, p in measures if not any(s == w and p.match(m) for w, m in written)
    ]
    assert not unused, unused
