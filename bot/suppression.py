"""Small-group suppression for results and the annual report. Pure functions, no I/O.

Two shapes of table occur:

- **Cross-tables of counts** (background, geography, withdrawal reasons): every cell is a count
  of people. A cell with 0 < n < `min_n` is suppressed (primary suppression). Because the table
  shows row and column totals, a lone suppressed cell in a row or column could be worked out by
  subtraction, so the smallest other cell of that row or column is suppressed as well
  (complementary suppression), repeated until every row and column has either no suppressed
  member or at least two. Zero cells are not sensitive on their own: "nobody" identifies nobody.
- **Partitions of respondents** (classes within a cohort, for pulse results): a group with fewer
  than `min_n` answers is hidden as a whole. If the hidden groups together still hold fewer than
  `min_n` answers, the cohort total minus the shown groups would reveal them, so the next-smallest
  groups are hidden too until the hidden ones together reach `min_n` (or all are hidden, and then
  the total is hidden if it is itself too small).

Suppressed cells are marked (`Masked.suppressed`), never replaced by zeros, so a reader can tell
"hidden" from "none".

Residual risk, said honestly: this is the standard row/column heuristic. It does not solve the
full linear-programming attack across several published tables of the same people (for example a
gender table and a position table of one cohort); the report keeps such tables one-dimensional
(category x cohort) to keep that risk small.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SuppressedTable:
    """Which cells of a count table to hide. All masks are True where the value is hidden."""

    cells: tuple[tuple[bool, ...], ...]
    row_totals: tuple[bool, ...]
    column_totals: tuple[bool, ...]
    grand_total: bool

    @property
    def any(self) -> bool:
        return (
            any(any(row) for row in self.cells)
            or any(self.row_totals)
            or any(self.column_totals)
            or self.grand_total
        )


def is_small(n: int, min_n: int) -> bool:
    """True if a count is too small to show (zero is shown: it identifies nobody)."""
    return 0 < n < min_n


def _complete_relation(
    values: list[int], hidden: list[bool], total_index: int | None
) -> int | None:
    """Return the index to hide so a relation (members that sum to a shown total) is safe.

    `values`/`hidden` list the members of one additive relation; `total_index` names the member
    that is the total (hidden last: hiding a detail cell keeps the total useful). Returns None if
    the relation already has zero or at least two hidden members.
    """
    if sum(hidden) != 1:
        return None
    candidates = [i for i in range(len(values)) if not hidden[i] and i != total_index]
    if not candidates:
        if total_index is not None and not hidden[total_index]:
            return total_index
        return None
    # Prefer the smallest non-zero cell: hiding a known zero leaves the other one exposed
    # to anyone who guesses that empty cells are zero.
    nonzero = [i for i in candidates if values[i] > 0]
    pool = nonzero or candidates
    return min(pool, key=lambda i: (values[i], i))


def suppress_table(
    counts: Sequence[Sequence[int]],
    *,
    min_n: int,
    row_totals: bool = True,
    column_totals: bool = True,
) -> SuppressedTable:
    """Return which cells of a count table to hide (primary and complementary suppression).

    Args:
        counts: rows of non-negative counts, all rows the same length.
        min_n: the smallest group that may be shown (settings.min_group_size).
        row_totals: whether the table shows a total per row (makes each row a relation).
        column_totals: whether it shows a total per column (makes each column a relation).
    """
    rows = [list(r) for r in counts]
    n_rows = len(rows)
    n_cols = len(rows[0]) if rows else 0
    if any(len(r) != n_cols for r in rows):
        raise ValueError("every row needs the same number of cells")
    if any(v < 0 for r in rows for v in r):
        raise ValueError("counts cannot be negative")
    row_sum = [sum(r) for r in rows]
    col_sum = [sum(rows[i][j] for i in range(n_rows)) for j in range(n_cols)]
    grand = sum(row_sum)

    cell = [[is_small(v, min_n) for v in r] for r in rows]
    rtot = [row_totals and is_small(v, min_n) for v in row_sum]
    ctot = [column_totals and is_small(v, min_n) for v in col_sum]
    gtot = row_totals and column_totals and is_small(grand, min_n)

    changed = True
    while changed:
        changed = False
        if row_totals:
            for i in range(n_rows):
                vals = [*rows[i], row_sum[i]]
                hid = [*cell[i], rtot[i]]
                pick = _complete_relation(vals, hid, n_cols)
                if pick is not None:
                    changed = True
                    if pick == n_cols:
                        rtot[i] = True
                    else:
                        cell[i][pick] = True
        if column_totals:
            for j in range(n_cols):
                vals = [*(rows[i][j] for i in range(n_rows)), col_sum[j]]
                hid = [*(cell[i][j] for i in range(n_rows)), ctot[j]]
                pick = _complete_relation(vals, hid, n_rows)
                if pick is not None:
                    changed = True
                    if pick == n_rows:
                        ctot[j] = True
                    else:
                        cell[pick][j] = True
        if row_totals and column_totals:
            # The totals themselves sum to the grand total, in both directions.
            for totals, mask in ((row_sum, rtot), (col_sum, ctot)):
                vals = [*totals, grand]
                hid = [*mask, gtot]
                pick = _complete_relation(vals, hid, len(totals))
                if pick is not None:
                    changed = True
                    if pick == len(totals):
                        gtot = True
                    else:
                        mask[pick] = True
    return SuppressedTable(
        cells=tuple(tuple(r) for r in cell),
        row_totals=tuple(rtot),
        column_totals=tuple(ctot),
        grand_total=gtot,
    )


def suppress_groups(sizes: Sequence[int], *, min_n: int) -> tuple[list[bool], bool]:
    """Return (hidden groups, hidden total) for a partition whose total is also shown.

    A group with 0 < n < min_n is hidden whole. Hidden groups must together hold at least
    `min_n`, or the total minus the shown groups would give them away; if they cannot, every
    group and, when it is small itself, the total are hidden.
    """
    hidden = [is_small(n, min_n) for n in sizes]
    total = sum(sizes)

    def hidden_sum() -> int:
        return sum(n for n, h in zip(sizes, hidden, strict=True) if h)

    while any(hidden) and hidden_sum() < min_n:
        shown = [i for i, h in enumerate(hidden) if not h]
        nonzero = [i for i in shown if sizes[i] > 0]
        if not nonzero:
            break
        pick = min(nonzero, key=lambda i: (sizes[i], i))
        hidden[pick] = True
    total_hidden = is_small(total, min_n)
    if any(hidden) and hidden_sum() < min_n:
        # Every non-empty group is hidden and still too few: then the total is as small.
        total_hidden = True
    return hidden, total_hidden


@dataclass(frozen=True)
class Masked:
    """A number that may be hidden: render `suppressed` as a mark (e.g. "–*"), never as 0."""

    value: float | int | None
    suppressed: bool = False

    def shown(self) -> float | int | None:
        return None if self.suppressed else self.value


SUPPRESSED_MARK = "*"
