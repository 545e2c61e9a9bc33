"""An attacker who solves the published equations, written apart from bot.suppression's solver.

Given what an output shows — cells, totals, sums, means (with their rounding) — it finds every
non-negative whole-number table that reproduces all of it, by exhaustive search for small tables
(the ground truth), and decides by exact rational elimination whether a hidden cell is fixed by
the shown equalities alone. Tests use it to attack published tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Equation:
    """Shown: lo <= sum(coef * x[i]) <= hi, or for a ratio, lo <= num/den <= hi."""

    coefs: dict[int, Fraction]
    lo: Fraction
    hi: Fraction
    den: dict[int, Fraction] | None = None

    def holds(self, x: Sequence[int]) -> bool:
        top = sum((c * x[i] for i, c in self.coefs.items()), Fraction(0))
        if self.den is None:
            return self.lo <= top <= self.hi
        bottom = sum((c * x[i] for i, c in self.den.items()), Fraction(0))
        if bottom == 0:
            return True  # an empty group's mean says nothing
        return self.lo <= top / bottom <= self.hi


def equal(coefs: dict[int, float], value: float, tol: float = 0.0) -> Equation:
    c = {i: Fraction(v).limit_denominator(1000) for i, v in coefs.items()}
    v = Fraction(value).limit_denominator(1000)
    t = Fraction(tol).limit_denominator(100000)
    return Equation(c, v - t, v + t)


def ratio(num: dict[int, float], den: dict[int, float], value: float, tol: float) -> Equation:
    e = equal(num, value, tol)
    return Equation(e.coefs, e.lo, e.hi, {i: Fraction(v) for i, v in den.items()})


def solutions(
    n: int, known: dict[int, int], equations: Sequence[Equation], cap: int
) -> list[tuple[int, ...]]:
    """Every x (x[i] in 0..cap, known cells fixed) satisfying all equations; exhaustive."""
    unknown = [i for i in range(n) if i not in known]
    linear = [e for e in equations if e.den is None and all(c > 0 for c in e.coefs.values())]
    found: list[tuple[int, ...]] = []
    x = [known.get(i, 0) for i in range(n)]

    def partial_ok(assigned: set[int]) -> bool:
        # With positive coefficients, a partial sum over the hi end can never come back.
        for e in linear:
            s = sum((c * x[i] for i, c in e.coefs.items() if i in assigned), Fraction(0))
            if s > e.hi:
                return False
            if set(e.coefs) <= assigned and s < e.lo:
                return False
        return True

    assigned = set(known)

    def search(k: int) -> None:
        if k == len(unknown):
            if all(e.holds(x) for e in equations):
                found.append(tuple(x))
            return
        i = unknown[k]
        assigned.add(i)
        for v in range(cap + 1):
            x[i] = v
            if partial_ok(assigned):
                search(k + 1)
            else:
                # larger values only make positive partial sums larger
                if any(
                    i in e.coefs
                    and sum((c * x[j] for j, c in e.coefs.items() if j in assigned), Fraction(0))
                    > e.hi
                    for e in linear
                ):
                    break
        x[i] = 0
        assigned.discard(i)

    search(0)
    return found


def determined_by_equalities(n: int, equations: Sequence[Equation], target: int) -> bool:
    """True if the shown exact equalities alone fix x[target] (exact rational elimination)."""
    rows = [
        [e.coefs.get(i, Fraction(0)) for i in range(n)] + [e.lo]
        for e in equations
        if e.den is None and e.lo == e.hi
    ]
    # Reduce to row echelon form; x[target] is determined iff the unit vector e_target is in the
    # row space of the coefficient matrix.
    m = [r[:n] for r in rows]
    pivots: list[int] = []
    r = 0
    for col in range(n):
        p = next((i for i in range(r, len(m)) if m[i][col] != 0), None)
        if p is None:
            continue
        m[r], m[p] = m[p], m[r]
        piv = m[r][col]
        m[r] = [v / piv for v in m[r]]
        for i in range(len(m)):
            if i != r and m[i][col] != 0:
                f = m[i][col]
                m[i] = [a - f * b for a, b in zip(m[i], m[r], strict=True)]
        pivots.append(col)
        r += 1
    # e_target in row space <=> after reduction, some row is exactly e_target.
    unit = [Fraction(1) if i == target else Fraction(0) for i in range(n)]
    return any(row == unit for row in m[:r])


def integer_range(
    n: int, equations: Sequence[Equation], target: dict[int, int], cap: int | None = None
) -> tuple[float, float]:
    """Min and max of sum(target[i] * x[i]) over whole x >= 0 (x <= cap if given) satisfying
    every equation — a mixed-integer programme written here from the equations, apart from
    bot.suppression (which builds its own). Ratios are multiplied out (den > 0 assumed).
    Returns (inf, -inf) if nothing satisfies them."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    rows: list[list[float]] = []
    lo: list[float] = []
    hi: list[float] = []
    for e in equations:
        if e.den is None:
            rows.append([float(e.coefs.get(i, 0)) for i in range(n)])
            lo.append(float(e.lo))
            hi.append(float(e.hi))
            continue
        # lo <= num/den <= hi  <=>  num - hi*den <= 0 and num - lo*den >= 0
        for bound, sense in ((e.hi, "le"), (e.lo, "ge")):
            row = [float(e.coefs.get(i, 0) - bound * e.den.get(i, 0)) for i in range(n)]
            rows.append(row)
            lo.append(-np.inf if sense == "le" else 0.0)
            hi.append(0.0 if sense == "le" else np.inf)
    c = np.array([float(target.get(i, 0)) for i in range(n)])
    constraints = [LinearConstraint(np.array(rows), lo, hi)] if rows else []
    bounds = Bounds(0, np.inf if cap is None else cap)
    ends = []
    for sign in (1.0, -1.0):
        res = milp(sign * c, constraints=constraints, integrality=np.ones(n), bounds=bounds)
        if res.status == 2:
            return float("inf"), float("-inf")
        if res.x is None:
            ends.append(float("-inf") if sign > 0 else float("inf"))
            continue
        ends.append(round(float(sign * res.fun), 6))
    return ends[0], ends[1]
