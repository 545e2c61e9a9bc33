"""Count tables as linear equations (for `bot.suppression`) and their rendering into `Table`s."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from bot.messages import t
from bot.report.model import Cell, Table
from bot.report.rules import Window
from bot.suppression import LinearTable


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _label(value: str | None, locale: str) -> str:
    return value.strip() if value and value.strip() else t("report.unknown", locale)


@dataclass(frozen=True)
class Column:
    """One column of figures: a cohort in the year, or a year in the final report."""

    label: str
    cohort_ids: frozenset[int]
    window: Window


def _fmt_credits(value: float, locale: str) -> str:
    text = f"{value:g}"
    return text.replace(".", ",") if locale == "nb" else text


class _Grid:
    """A count table (categories x columns) as linear equations, for suppression."""

    def __init__(
        self,
        row_keys: Sequence[str],
        columns: Sequence[str],
        counts: dict[tuple[str, int], int],
        *,
        column_totals: Sequence[int] | None,
        total_column: bool,
        fixed_totals: bool,
    ) -> None:
        self.lt = LinearTable(network=True)
        self.rows = list(row_keys)
        self.cols = list(columns)
        self.ids = [
            [self.lt.atom(counts.get((r, j), 0)) for j in range(len(self.cols))] for r in self.rows
        ]
        for i in range(len(self.rows)):
            for j in range(len(self.cols)):
                self.lt.publish(("cell", i, j), [self.ids[i][j]])
        self.total_column = total_column and len(self.cols) > 1
        if self.total_column:
            for i in range(len(self.rows)):
                self.lt.publish(("row", i), self.ids[i])
        for j in range(len(self.cols)):
            members = [self.ids[i][j] for i in range(len(self.rows))]
            value = column_totals[j] if column_totals is not None else None
            self.lt.publish(("col", j), members, fixed=fixed_totals, value=value)
        if self.total_column:
            self.lt.publish("grand", [a for r in self.ids for a in r], fixed=fixed_totals)
        self.hidden: set[Hashable] = set()

    def solve(self, min_n: int) -> set[Hashable]:
        self.hidden = self.lt.solve(min_n=min_n)
        return self.hidden

    def value(self, key: Hashable) -> float:
        return next(i.value for i in self.lt.items if i.key == key)


def grid_table(
    grid: _Grid,
    *,
    key: str,
    caption: str,
    row_label: str,
    row_names: Sequence[str],
    measure: str,
    total_label: str,
    extra: Sequence[tuple[str, list[Cell]]] = (),
    note: str | None = None,
) -> Table:
    """Render a solved grid: cells, a total column (several columns only), a total row."""
    cols = grid.cols
    header = [row_label, *cols] + ([total_label] if grid.total_column else [])
    table = Table(key=key, caption=caption, columns=header, note=note, withheld=grid.lt.withheld)
    h = grid.hidden
    for i, (code, name) in enumerate(zip(grid.rows, row_names, strict=True)):
        cells = [
            Cell(int(grid.value(("cell", i, j))), ("cell", i, j) in h, c, name, measure, code)
            for j, c in enumerate(cols)
        ]
        if grid.total_column:
            cells.append(
                Cell(int(grid.value(("row", i))), ("row", i) in h, total_label, name, measure, code)
            )
        table.rows.append((name, cells))
    totals = [
        Cell(int(grid.value(("col", j))), ("col", j) in h, c, total_label, measure, "")
        for j, c in enumerate(cols)
    ]
    if grid.total_column:
        totals.append(
            Cell(int(grid.value("grand")), "grand" in h, total_label, total_label, measure)
        )
    table.rows.append((total_label, totals))
    table.rows.extend(extra)
    return table
