"""The report as one tidy long CSV table; its columns are a contract (docs/report-csv.md)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.export import csv_text
from bot.report.model import AnnualReport
from bot.text import plain

CSV_COLUMNS = (
    "period",
    "section",
    "table",
    "cohort",
    "group",
    "measure",
    "category",
    "unit",
    "value",
    "suppressed",
    "missing",
    "origin",
)


def tidy_rows(report: AnnualReport) -> Iterable[tuple[object, ...]]:
    """Yield the report's numbers as tidy rows (see CSV_COLUMNS)."""
    for section, table, cell in report.tidy():
        value = "" if cell.suppressed or cell.value is None else cell.value
        yield (
            report.period,
            section,
            table,
            cell.cohort,
            cell.group,
            cell.measure,
            cell.category,
            cell.unit,
            value,
            int(cell.suppressed),
            cell.missing,
            cell.origin,
        )


def render_csv(report: AnnualReport) -> str:
    """Render the report as one tidy long CSV table (UTF-8, comma-separated)."""
    return csv_text(
        CSV_COLUMNS, ([plain(v) if isinstance(v, str) else v for v in r] for r in tidy_rows(report))
    )
