"""Disclosure control for everything published: complementary suppression over linear constraints.

A published table is modelled as what an attacker sees: unknown non-negative whole numbers (the
*atoms*: people per category and cohort, answers per value and class, …) and *published items*,
each a linear function of the atoms whose value is printed — a cell, a row or column total, a
grand total, a sum of credits, a mean (a ratio: `mean · Σx = Σ v·x` is linear in the atoms), an NPS
— or a bound printed elsewhere (answers per class ≤ respondents). Rounding is part of the item
(a mean printed with two decimals is known to ±0.005).

Rules (`LinearTable.solve`):
1. **Primary**: every item that counts people with 0 < n < `min_n` is hidden. Zero is shown:
   "nobody" identifies nobody.
2. **Complementary**: for every hidden primary item, the attacker's integer-feasible interval —
   min and max of the item over all non-negative integer atoms that reproduce every shown item,
   solved as a mixed-integer programme — must be at least `protection` wide (default
   `min_n - 1`, so a small group can't be narrowed to fewer than `min_n` possible values, and is
   never exact). While some item falls short, another shown item is hidden: a sum or mean
   first, else the smallest count, whose hiding widens that interval (zeros too, when a shown
   zero is what pins a cell).
3. **Fixed** items are printed elsewhere in the same output (e.g. the headline number started,
   which is every background table's total) and can't be hidden; they stay in the equations.
   If even hiding every other item leaves a small item narrower than `protection`, the whole
   table is hidden (`LinearTable.withheld`) and the report says so.

The equation-solving attacker in tests/bot/test_suppression.py checks these promises on random
tables, independently of this module's own solver.

`suppress_table` (a count table with row and column totals) and `suppress_groups` (a partition of
respondents with its total) keep their old signatures on top of this.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SUPPRESSED_MARK = "*"
PROBE = 8  # complements tried per shortfall before taking the smallest


def is_small(n: float, min_n: int) -> bool:
    """True if a count is too small to show (zero is shown: it identifies nobody)."""
    return 0 < n < min_n


@dataclass
class Item:
    """One published figure: `num · x / den · x` (den absent: 1), printed as `value`.

    What the attacker learns when it is shown: the figure lies in [value - tol, value + tol]
    (or in [lower, upper] for a bound printed elsewhere).
    """

    key: Hashable
    num: dict[int, float]
    value: float
    den: dict[int, float] | None = None
    tol: float = 0.0
    count: bool = True  # a number of people or answers: small ones are sensitive
    fixed: bool = False  # printed elsewhere in the same output: never hidden here
    lower: float | None = None
    upper: float | None = None
    hide_with: Hashable | None = None  # hidden whenever this item is (a mean with its n)
    protection: float | None = None  # this item's own required width (else the table's)

    def sparse_rows(self) -> list[tuple[dict[int, float], float, float]]:
        """The item as linear constraints lo <= a·x <= hi, with `a` as {atom: coefficient}."""
        if self.lower is not None or self.upper is not None:
            low = self.lower if self.lower is not None else -_INF
            return [(dict(self.num), low, self.upper if self.upper is not None else _INF)]
        if self.den is None:
            return [(dict(self.num), self.value - self.tol, self.value + self.tol)]
        hi = dict(self.num)
        lo = dict(self.num)
        for i, c in self.den.items():
            hi[i] = hi.get(i, 0.0) - (self.value + self.tol) * c
            lo[i] = lo.get(i, 0.0) - (self.value - self.tol) * c
        return [(hi, -_INF, 0.0), (lo, 0.0, _INF)]

    def rows(self, n_atoms: int) -> list[tuple[list[float], float, float]]:
        """The item as linear constraints lo <= a·x <= hi on the atoms."""
        if self.lower is not None or self.upper is not None:
            a = _dense(self.num, n_atoms)
            return [(a, self.lower if self.lower is not None else -_INF, self.upper or _INF)]
        if self.den is None:
            return [(_dense(self.num, n_atoms), self.value - self.tol, self.value + self.tol)]
        # value - tol <= num/den <= value + tol, with den > 0 whenever anyone answered:
        # num - (value + tol)·den <= 0 and num - (value - tol)·den >= 0.
        hi = _dense(self.num, n_atoms)
        lo = _dense(self.num, n_atoms)
        for i, c in self.den.items():
            hi[i] -= (self.value + self.tol) * c
            lo[i] -= (self.value - self.tol) * c
        return [(hi, -_INF, 0.0), (lo, 0.0, _INF)]


_INF = float("inf")


def _dense(coeffs: Mapping[int, float], n: int) -> list[float]:
    row = [0.0] * n
    for i, c in coeffs.items():
        row[i] += c
    return row


def feasible_interval(
    n_atoms: int,
    shown: Iterable[Item],
    target: Mapping[int, float],
    *,
    integer: bool = True,
) -> tuple[float, float]:
    """Min and max of `target · x` over non-negative (integer) x that reproduce `shown`.

    Returns (inf, -inf) when no x does (the published figures contradict each other), and an
    infinite end where nothing bounds the target.
    """
    return _System(n_atoms, list(shown)).interval(target, integer=integer)


class _System:
    """The shown items as sparse constraint matrices, built once and solved for many targets."""

    def __init__(self, n_atoms: int, shown: list[Item]) -> None:
        from scipy.sparse import csr_matrix

        self.n = n_atoms
        eq: list[tuple[Mapping[int, float], float]] = []
        ub: list[tuple[Mapping[int, float], float]] = []
        every: list[tuple[Mapping[int, float], float, float]] = []
        for item in shown:
            for coeffs, low, high in item.sparse_rows():
                every.append((coeffs, low, high))
                if low == high:
                    eq.append((coeffs, low))
                    continue
                if high != _INF:
                    ub.append((coeffs, high))
                if low != -_INF:
                    ub.append(({k: -v for k, v in coeffs.items()}, -low))

        def matrix(rows: list[Any]) -> Any:
            data, cols, ptr = [], [], [0]
            for coeffs, *_ in rows:
                for k, v in coeffs.items():
                    if v:
                        cols.append(k)
                        data.append(v)
                ptr.append(len(data))
            return csr_matrix((data, cols, ptr), shape=(len(rows), n_atoms)) if rows else None

        self.a_eq, self.b_eq = matrix(eq), [b for _, b in eq]
        self.a_ub, self.b_ub = matrix(ub), [b for _, b in ub]
        self.a_all = matrix(every)
        self.lo_all = [lo for _, lo, _ in every]
        self.hi_all = [hi for _, _, hi in every]

    def interval(self, target: Mapping[int, float], *, integer: bool) -> tuple[float, float]:
        import numpy as np
        from scipy.optimize import Bounds, LinearConstraint, linprog, milp

        c = np.zeros(self.n)
        for k, v in target.items():
            c[k] += v
        ends: list[float] = []
        for sign in (1.0, -1.0):
            if integer:
                constraints = (
                    [LinearConstraint(self.a_all, self.lo_all, self.hi_all)]
                    if self.a_all is not None
                    else []
                )
                res = milp(
                    sign * c,
                    constraints=constraints,
                    integrality=np.ones(self.n),
                    bounds=Bounds(0, np.inf),
                )
            else:
                res = linprog(
                    sign * c,
                    A_eq=self.a_eq,
                    b_eq=self.b_eq or None,
                    A_ub=self.a_ub,
                    b_ub=self.b_ub or None,
                    bounds=(0, None),
                    method="highs",
                )
            if res.status == 2:  # infeasible
                return _INF, -_INF
            if res.status == 3 or res.x is None:  # unbounded
                ends.append(-_INF if sign > 0 else _INF)
                continue
            ends.append(float(sign * res.fun))
        return _round_ends(target, ends[0], ends[1])


class _Reused:
    """One HiGHS model per table, built once (issue 12: the report spent its time setting up a
    fresh programme per interval). A hidden set only frees the rows of hidden items, a target
    only changes the costs, and the simplex starts from the last basis. Uses the HiGHS binding
    scipy ships (`scipy.optimize._highspy`); if it is missing or answers ambiguously, the
    caller falls back to `_System` (plain `linprog`/`milp`), which gives the same intervals.
    """

    def __init__(self, n_atoms: int, items: list[Item]) -> None:
        import numpy as np
        from scipy.optimize._highspy import _core as h

        self.h = h
        self.n = n_atoms
        starts, index, value, lows, highs, owner = [0], [], [], [], [], []
        self.keys = [i.key for i in items]
        for k, item in enumerate(items):
            for coeffs, low, high in item.sparse_rows():
                for atom, coef in coeffs.items():
                    if coef:
                        index.append(atom)
                        value.append(coef)
                starts.append(len(index))
                lows.append(max(low, -h.kHighsInf))
                highs.append(min(high, h.kHighsInf))
                owner.append(k)
        self.lo, self.hi = np.array(lows, dtype=float), np.array(highs, dtype=float)
        self.owner = np.array(owner, dtype=int)
        lp = h.HighsLp()
        lp.num_col_, lp.num_row_ = n_atoms, len(lows)
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n_atoms, len(lows)
        lp.a_matrix_.format_ = h.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(value, dtype=float)
        lp.col_cost_ = np.zeros(n_atoms)
        lp.col_lower_ = np.zeros(n_atoms)
        lp.col_upper_ = np.full(n_atoms, h.kHighsInf)
        lp.row_lower_, lp.row_upper_ = self.lo.copy(), self.hi.copy()
        self.solver = h._Highs()
        self.solver.setOptionValue("output_flag", False)
        if self.solver.passModel(lp) != h.HighsStatus.kOk:
            raise RuntimeError("HiGHS refused the model")
        self.free = np.zeros(len(lows), dtype=bool)  # rows of hidden items: no constraint
        self.integer = False
        self.cost: dict[int, float] = {}
        self.cols = np.arange(n_atoms, dtype=np.int32)

    def _state(self, hidden: frozenset[Hashable]) -> None:
        import numpy as np

        inf = self.h.kHighsInf
        free = np.array([self.keys[k] in hidden for k in self.owner], dtype=bool)
        for row in np.flatnonzero(free != self.free):
            if free[row]:
                self.solver.changeRowBounds(int(row), -inf, inf)
            else:
                self.solver.changeRowBounds(int(row), float(self.lo[row]), float(self.hi[row]))
        self.free = free

    def interval(
        self, hidden: frozenset[Hashable], target: Mapping[int, float], *, integer: bool
    ) -> tuple[float, float] | None:
        """Like `_System.interval`; None when HiGHS's answer is ambiguous (use `_System`)."""
        import numpy as np

        h = self.h
        self._state(hidden)
        if integer != self.integer:
            kind = h.HighsVarType.kInteger if integer else h.HighsVarType.kContinuous
            self.solver.changeColsIntegrality(self.n, self.cols, np.array([kind] * self.n))
            self.integer = integer
        if dict(target) != self.cost:
            cost = np.zeros(self.n)
            for k, v in target.items():
                cost[k] += v
            self.solver.changeColsCost(self.n, self.cols, cost)
            self.cost = dict(target)
        ends: list[float] = []
        for sense in (h.ObjSense.kMinimize, h.ObjSense.kMaximize):
            self.solver.changeObjectiveSense(sense)
            self.solver.run()
            status = self.solver.getModelStatus()
            if status == h.HighsModelStatus.kOptimal:
                ends.append(float(self.solver.getInfo().objective_function_value))
            elif status == h.HighsModelStatus.kInfeasible:
                return _INF, -_INF
            elif status == h.HighsModelStatus.kUnbounded or (
                status == h.HighsModelStatus.kUnboundedOrInfeasible and ends
            ):
                ends.append(-_INF if sense == h.ObjSense.kMinimize else _INF)
            else:
                return None
        return _round_ends(target, ends[0], ends[1])


def _round_ends(
    target: Mapping[int, float], low_end: float, high_end: float
) -> tuple[float, float]:
    if all(float(v).is_integer() for v in target.values()) and math.isfinite(low_end):
        # Whole atoms times whole coefficients: the target is whole, so round the ends in.
        top = float(math.floor(high_end + 1e-7)) if math.isfinite(high_end) else high_end
        return float(math.ceil(low_end - 1e-7)), top
    return (round(low_end, 6), round(high_end, 6))


@dataclass
class LinearTable:
    """A published output as atoms and linear items; `solve` decides which items to hide."""

    atoms: list[float] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    withheld: bool = False
    # True when the items are row and column sums of one two-way table (and single cells): its
    # constraint matrix is totally unimodular, so the LP's answer is already the integer one.
    network: bool = False
    _systems: dict[frozenset[Hashable], _System] = field(default_factory=dict, repr=False)
    _reused: _Reused | None = field(default=None, repr=False)
    _reused_items: int = field(default=-1, repr=False)
    _intervals: dict[tuple[frozenset[Hashable], Hashable, bool], tuple[float, float]] = field(
        default_factory=dict, repr=False
    )

    def atom(self, value: float) -> int:
        self.atoms.append(value)
        return len(self.atoms) - 1

    def publish(
        self,
        key: Hashable,
        terms: Mapping[int, float] | Sequence[int],
        *,
        den: Mapping[int, float] | Sequence[int] | None = None,
        tol: float = 0.0,
        count: bool = True,
        fixed: bool = False,
        value: float | None = None,
        lower: float | None = None,
        upper: float | None = None,
        hide_with: Hashable | None = None,
        protection: float | None = None,
    ) -> Item:
        """Add a published figure; its value is computed from the atoms unless given."""
        num = dict(terms) if isinstance(terms, Mapping) else {i: 1.0 for i in terms}
        den_map = None
        if den is not None:
            den_map = dict(den) if isinstance(den, Mapping) else {i: 1.0 for i in den}
        if value is None:
            top = sum(self.atoms[i] * c for i, c in num.items())
            if den_map is None:
                value = top
            else:
                bottom = sum(self.atoms[i] * c for i, c in den_map.items())
                value = top / bottom if bottom else 0.0
        item = Item(
            key, num, float(value), den_map, tol, count, fixed, lower, upper, hide_with, protection
        )
        self.items.append(item)
        return item

    def interval(
        self, item: Item, hidden: set[Hashable], *, integer: bool = True
    ) -> tuple[float, float]:
        """The attacker's interval for a hidden item, given everything not in `hidden`."""
        if item.den is not None:
            raise ValueError("protection is checked on counts, not on ratios")
        if integer and self.network:
            integer = False  # a table of sums only: the LP's corners are whole already
        state = frozenset(hidden)
        memo = (state, item.key, integer)
        if memo in self._intervals:
            return self._intervals[memo]
        found = self._reused_interval(state, item, integer=integer)
        if found is not None:
            self._intervals[memo] = found
            return found
        system = self._systems.get(state)
        if system is None:
            self._systems = {
                state: _System(len(self.atoms), [i for i in self.items if i.key not in hidden])
            }
            system = self._systems[state]
        self._intervals[memo] = system.interval(item.num, integer=integer)
        return self._intervals[memo]

    def _reused_interval(
        self, state: frozenset[Hashable], item: Item, *, integer: bool
    ) -> tuple[float, float] | None:
        if self._reused is None or self._reused_items != len(self.items):
            self._intervals.clear()
            try:
                self._reused = _Reused(len(self.atoms), self.items)
            except (ImportError, AttributeError, RuntimeError, TypeError):
                return None
            self._reused_items = len(self.items)
        return self._reused.interval(state, item.num, integer=integer)

    def solve(
        self,
        *,
        min_n: int,
        protection: float | None = None,
        initial: Iterable[Hashable] = (),
    ) -> set[Hashable]:
        """Return the keys of the items to hide (primary and complementary).

        `initial` starts from items already hidden by another rule (whole classes of a pulse);
        an item with `hide_with` is never a complement on its own, only with its leader.
        """
        need = float(min_n - 1 if protection is None else protection)
        need = max(need, 1.0)
        primary = [
            i
            for i in self.items
            if i.count and i.den is None and not i.fixed and is_small(i.value, min_n)
        ]
        hidden: set[Hashable] = {i.key for i in primary} | set(initial)
        self._close(hidden)
        if not primary:
            return hidden
        hidden |= self._row_column_start(primary)
        self._close(hidden)
        hideable = [i for i in self.items if not i.fixed and i.hide_with is None]
        # Hiding more only widens intervals: a primary item once protected stays protected.
        # The LP relaxation (fast) finds complements; the integer programme has the last word.
        unchecked = list(primary)
        integer = False
        for _ in range(2 * len(self.items) + 2):
            failing = self._first_failing(unchecked, hidden, need, integer=integer)
            if failing is None:
                if integer:
                    return hidden
                integer, unchecked = True, list(primary)
                continue
            unchecked = unchecked[unchecked.index(failing) :]
            width = _width(self.interval(failing, hidden, integer=integer))
            reach = self._reach(failing)
            candidates = sorted(
                (
                    i
                    for i in hideable
                    if i.key not in hidden and (set(i.num) | set(i.den or {})) & reach
                ),
                # Sums and means first (they tell least), then the smallest counts; a shown
                # zero last, though it may be what pins a cell.
                key=lambda i: (i.count, i.value == 0, abs(i.value), str(i.key)),
            )
            if not candidates:
                break
            # Probe the first few candidates only: enough to skip useless ones, cheap on big tables.
            pick = next(
                (
                    c
                    for c in candidates[:PROBE]
                    if _width(self.interval(failing, hidden | {c.key}, integer=integer)) > width
                ),
                candidates[0],
            )
            hidden.add(pick.key)
            self._close(hidden)
        # Nothing narrower than hiding everything hideable protects it: withhold the table.
        hidden |= {i.key for i in hideable}
        self._close(hidden)
        self.withheld = True
        return hidden

    def _close(self, hidden: set[Hashable]) -> None:
        """Hide the companions of hidden items (a group's mean goes with its count)."""
        grown = True
        while grown:
            grown = False
            for item in self.items:
                if item.hide_with in hidden and item.key not in hidden and not item.fixed:
                    hidden.add(item.key)
                    grown = True

    def _reach(self, target: Item) -> set[int]:
        """The atoms linked to the target's through published items: only they can matter."""
        reach = set(target.num)
        grown = True
        while grown:
            grown = False
            for item in self.items:
                atoms = set(item.num) | set(item.den or {})
                if atoms & reach and not atoms <= reach:
                    reach |= atoms
                    grown = True
        return reach

    def _first_failing(
        self, primary: list[Item], hidden: set[Hashable], need: float, *, integer: bool = True
    ) -> Any:
        for item in primary:
            want = need if item.protection is None else min(need, item.protection)
            if _width(self.interval(item, hidden, integer=integer)) < want:
                return item
        return None

    def _row_column_start(self, primary: list[Item]) -> set[Hashable]:
        """The classic start: in every plain sum with exactly one hidden member, hide another.

        Cheap, and usually already safe; the solver then checks and adds what is missing.
        """
        hidden = {i.key for i in primary}
        cells = {
            next(iter(i.num)): i
            for i in self.items
            if i.den is None and len(i.num) == 1 and i.count
        }
        changed = True
        while changed:
            changed = False
            for total in self.items:
                if total.den is not None or len(total.num) < 2 or not total.count:
                    continue
                if any(c != 1.0 for c in total.num.values()):
                    continue
                members = [cells[a] for a in total.num if a in cells]
                if len(members) != len(total.num):
                    continue
                if total.key in hidden:
                    continue
                hid = [m for m in members if m.key in hidden]
                if len(hid) != 1:
                    continue
                pool = [
                    m
                    for m in members
                    if m.key not in hidden and not m.fixed and m.hide_with is None
                ]
                if not pool:
                    continue
                nonzero = [m for m in pool if m.value > 0] or pool
                hidden.add(min(nonzero, key=lambda m: (m.value, str(m.key))).key)
                changed = True
        return hidden


def _width(interval: tuple[float, float]) -> float:
    lo, hi = interval
    return hi - lo


# --- the two classic shapes, on top of LinearTable ---------------------------------------------


@dataclass(frozen=True)
class SuppressedTable:
    """Which cells of a count table to hide. All masks are True where the value is hidden."""

    cells: tuple[tuple[bool, ...], ...]
    row_totals: tuple[bool, ...]
    column_totals: tuple[bool, ...]
    grand_total: bool
    withheld: bool = False

    @property
    def any(self) -> bool:
        return (
            any(any(row) for row in self.cells)
            or any(self.row_totals)
            or any(self.column_totals)
            or self.grand_total
        )


def suppress_table(
    counts: Sequence[Sequence[int]],
    *,
    min_n: int,
    row_totals: bool = True,
    column_totals: bool = True,
    fixed_column_totals: bool = False,
    fixed_row_totals: bool = False,
    fixed_grand_total: bool = False,
) -> SuppressedTable:
    """Return which cells of a count table (with its shown totals) to hide.

    Args:
        counts: rows of non-negative counts, all rows the same length.
        min_n: the smallest group that may be shown (settings.min_group_size).
        row_totals / column_totals: whether the table shows a total per row / per column (the
            grand total is shown when both are).
        fixed_*: totals printed elsewhere in the same output, which can't be hidden here.
    """
    rows = [list(r) for r in counts]
    n_rows = len(rows)
    n_cols = len(rows[0]) if rows else 0
    if any(len(r) != n_cols for r in rows):
        raise ValueError("every row needs the same number of cells")
    if any(v < 0 for r in rows for v in r):
        raise ValueError("counts cannot be negative")
    table = LinearTable(network=True)
    ids = [[table.atom(v) for v in r] for r in rows]
    for i in range(n_rows):
        for j in range(n_cols):
            table.publish(("cell", i, j), [ids[i][j]])
    if row_totals and (n_cols > 1 or fixed_row_totals):
        for i in range(n_rows):
            table.publish(("row", i), ids[i], fixed=fixed_row_totals)
    if column_totals and (n_rows > 1 or fixed_column_totals):
        for j in range(n_cols):
            table.publish(("col", j), [ids[i][j] for i in range(n_rows)], fixed=fixed_column_totals)
    grand = (row_totals and column_totals) or fixed_grand_total
    if grand and n_rows > 1 and n_cols > 1:
        table.publish("grand", [a for r in ids for a in r], fixed=fixed_grand_total)
    hidden = table.solve(min_n=min_n)
    # A one-column table's row total is its cell, and a one-row table's column total too.
    cell = tuple(tuple(("cell", i, j) in hidden for j in range(n_cols)) for i in range(n_rows))
    rtot = tuple(
        (("row", i) in hidden) if n_cols > 1 else bool(n_cols and cell[i][0]) for i in range(n_rows)
    )
    ctot = tuple(
        (("col", j) in hidden) if n_rows > 1 else bool(n_rows and cell[0][j]) for j in range(n_cols)
    )
    return SuppressedTable(
        cells=cell,
        row_totals=rtot if row_totals else tuple(False for _ in range(n_rows)),
        column_totals=ctot if column_totals else tuple(False for _ in range(n_cols)),
        grand_total=("grand" in hidden) if n_rows > 1 and n_cols > 1 else _only_total(rtot, ctot),
        withheld=table.withheld,
    )


def _only_total(rtot: tuple[bool, ...], ctot: tuple[bool, ...]) -> bool:
    """A one-row or one-column table's grand total is its only row or column total."""
    if len(ctot) == 1:
        return ctot[0]
    if len(rtot) == 1:
        return rtot[0]
    return False


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
