"""The report as plain data: sections of tables of cells with tidy coordinates, and charts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SCALE_KINDS = ("scale5", "nps")

# Why a figure has no value (the tidy CSV's `missing` column; rendered as words, never "0 %").
NO_DENOMINATOR = "no_denominator"
NOT_SENT = "not_sent"
NOT_OPENED = "not_opened"
WITHHELD = "withheld"


@dataclass(frozen=True)
class Cell:
    """One number of the report with its tidy coordinates; `suppressed` hides the value."""

    value: float | int | None
    suppressed: bool = False
    cohort: str = ""
    group: str = ""
    measure: str = ""
    category: str = ""
    unit: str = "count"  # count | percent | mean | score | hours | credits
    missing: str = ""  # why there is no value: NO_DENOMINATOR, NOT_SENT, NOT_OPENED
    origin: str = ""  # "directorate": a figure of a question the Directorate proposed

    def shown(self) -> float | int | None:
        return None if self.suppressed else self.value


@dataclass
class Table:
    """A table: `columns[0]` labels the row headers; each row is (header, cells)."""

    key: str
    caption: str
    columns: list[str]
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)
    note: str | None = None
    withheld: bool = False  # too few people to show any breakdown

    @property
    def has_suppressed(self) -> bool:
        return any(c.suppressed for _, cells in self.rows for c in cells)


@dataclass
class Chart:
    """Data for one bar chart; rendered by `bot.report.render` (the tables hold the same numbers)."""

    key: str
    title: str
    categories: list[str]
    series: list[tuple[str, list[float | None]]]
    value_label: str
    horizontal: bool = False
    value_max: float | None = None  # fixed axis end, e.g. 5 for a 1–5 scale


@dataclass
class ReportSection:
    key: str
    title: str
    intro: str = ""
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


@dataclass
class AnnualReport:
    year: int
    locale: str
    generated_at: datetime
    min_group_size: int
    title: str
    cohorts: list[Any]
    sections: list[ReportSection]
    last_year: int | None = None  # the final report covers year..last_year

    @property
    def period(self) -> str:
        return f"{self.year}–{self.last_year}" if self.last_year else str(self.year)

    def tidy(self) -> Iterator[tuple[str, str, Cell]]:
        """Yield (section key, table key, cell) for every number in the report."""
        seen: set[tuple[str, str, str, str, str]] = set()
        for section in self.sections:
            for table in section.tables:
                for _, cells in table.rows:
                    for cell in cells:
                        key = (section.key, cell.cohort, cell.group, cell.measure, cell.category)
                        if key in seen:  # a figure repeated in two tables appears once
                            continue
                        seen.add(key)
                        yield section.key, table.key, cell
