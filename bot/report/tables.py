"""Count tables as linear equations (for `bot.suppression`) and their rendering into `Table`s."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

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
    """A count table (categories x columns) as linear equations, for suppression.

    Several grids can share one `LinearTable` (`lt`, each with its own `prefix`) when their
    cells are linked — the counties and the municipalities in them — so they are solved as one
    system. `listed`: every row is printed only because someone is in it, so its total is at
    least 1 (the attacker knows that too).
    """

    def __init__(
        self,
        row_keys: Sequence[str],
        columns: Sequence[str],
        counts: dict[tuple[str, int], int],
        *,
        column_totals: Sequence[int] | None,
        total_column: bool,
        fixed_totals: bool,
        lt: LinearTable | None = None,
        prefix: str = "",
        listed: bool = False,
    ) -> None:
        self.lt = lt if lt is not None else LinearTable(network=True)
        self.prefix = prefix
        self.rows = list(row_keys)
        self.cols = list(columns)
        self.ids = [
            [self.lt.atom(counts.get((r, j), 0)) for j in range(len(self.cols))] for r in self.rows
        ]
        k = self.k
        for i in range(len(self.rows)):
            for j in range(len(self.cols)):
                self.lt.publish(k("cell", i, j), [self.ids[i][j]])
        self.total_column = total_column and len(self.cols) > 1
        if self.total_column:
            for i in range(len(self.rows)):
                self.lt.publish(k("row", i), self.ids[i])
        for j in range(len(self.cols)):
            members = [self.ids[i][j] for i in range(len(self.rows))]
            value = column_totals[j] if column_totals is not None else None
            self.lt.publish(k("col", j), members, fixed=fixed_totals, value=value)
        if self.total_column:
            self.lt.publish(k("grand"), [a for r in self.ids for a in r], fixed=fixed_totals)
        if listed:
            for i in range(len(self.rows)):
                self.lt.publish(k("listed", i), self.ids[i], count=False, fixed=True, lower=1)
        self.hidden: set[Hashable] = set()
        self._values: dict[Hashable, float] | None = None

    def k(self, *parts: object) -> Hashable:
        """This grid's key for an item: ("cell", i, j), ("row", i), ("col", j), "grand"."""
        if self.prefix:
            return (self.prefix, *parts)
        return parts[0] if len(parts) == 1 else tuple(parts)

    def solve(self, min_n: int) -> set[Hashable]:
        self.hidden = self.lt.solve(min_n=min_n)
        return self.hidden

    def value(self, key: Hashable) -> float:
        if self._values is None:
            self._values = {i.key: i.value for i in self.lt.items}
        return self._values[key]


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
    h, k = grid.hidden, grid.k
    for i, (code, name) in enumerate(zip(grid.rows, row_names, strict=True)):
        cells = [
            Cell(int(grid.value(k("cell", i, j))), k("cell", i, j) in h, c, name, measure, code)
            for j, c in enumerate(cols)
        ]
        if grid.total_column:
            cells.append(
                Cell(
                    int(grid.value(k("row", i))), k("row", i) in h, total_label, name, measure, code
                )
            )
        table.rows.append((name, cells))
    totals = [
        Cell(int(grid.value(k("col", j))), k("col", j) in h, c, total_label, measure, "")
        for j, c in enumerate(cols)
    ]
    if grid.total_column:
        totals.append(
            Cell(int(grid.value(k("grand"))), k("grand") in h, total_label, total_label, measure)
        )
    table.rows.append((total_label, totals))
    table.rows.extend(extra)
    return table


@dataclass
class Shares:
    """One group of people split into categories, published as counts and percentages.

    `parts` are the unknowns an attacker solves for (people per category); `counts` are
    printed sums of parts, `rates` printed percentages (sum of parts over all, one decimal),
    and `groups` sums of parts that are never printed but are people all the same (those who
    answered, those who did not): a small one must not follow from the rest. `extra` are
    printed counts of other people, unrelated to the parts (the managers asked).
    After `solve`, `hidden` holds the keys of what to hide.
    """

    parts: dict[str, int]
    counts: dict[str, Sequence[str]]
    rates: dict[str, Sequence[str]]
    groups: dict[str, Sequence[str]]
    extra: dict[str, int] = field(default_factory=dict)
    hidden: set[Hashable] = field(default_factory=set)
    withheld: bool = False

    def total(self) -> int:
        return sum(self.parts.values())

    def size(self, key: str) -> int:
        return sum(self.parts[p] for p in self.groups.get(key) or self.counts[key])

    def solve(self, min_n: int) -> set[Hashable]:
        lt = LinearTable()
        ids = {name: lt.atom(v) for name, v in self.parts.items()}
        every = list(ids.values())
        for key, members in self.counts.items():
            lt.publish(key, [ids[m] for m in members])
        whole = self.total()
        for key, members in self.rates.items():
            part = sum(self.parts[m] for m in members)
            lt.publish(
                key,
                {ids[m]: 100.0 for m in members},
                den=every,
                value=_pct(part, whole) or 0.0,
                tol=0.05,
                count=False,
            )
        for key, members in self.groups.items():
            lt.publish(key, [ids[m] for m in members])
        for key, value in self.extra.items():
            lt.publish(key, [lt.atom(value)])
        self.hidden = lt.solve(min_n=min_n, initial=list(self.groups))
        self.withheld = lt.withheld
        return self.hidden
