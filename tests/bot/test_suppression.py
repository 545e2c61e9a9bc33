"""Suppression: small groups never show, and no hidden cell can be worked out by subtraction."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.suppression import is_small, suppress_groups, suppress_table

counts = st.integers(min_value=0, max_value=30)
tables = st.integers(min_value=1, max_value=6).flatmap(
    lambda cols: st.lists(st.lists(counts, min_size=cols, max_size=cols), min_size=1, max_size=6)
)


def test_a_group_of_four_never_shows() -> None:
    mask = suppress_table([[4, 10], [12, 9]], min_n=5)
    assert mask.cells[0][0]


def test_a_cell_derivable_by_subtraction_is_hidden_too() -> None:
    # Row [3, 8, 20] with a row total: hiding only 3 leaves it as total - 8 - 20.
    mask = suppress_table([[3, 8, 20], [10, 11, 12]], min_n=5, column_totals=False)
    assert mask.cells[0] == (True, True, False)  # 8 is the next-smallest
    assert mask.row_totals == (False, False)


def test_lone_cell_in_row_hides_its_total() -> None:
    mask = suppress_table([[3]], min_n=5)
    assert mask.cells[0][0] and mask.row_totals[0] and mask.column_totals[0] and mask.grand_total


def test_zero_is_shown() -> None:
    mask = suppress_table([[0, 7], [6, 9]], min_n=5)
    assert not mask.any


@settings(max_examples=15, deadline=None)
@given(tables, st.integers(min_value=2, max_value=10))
def test_no_small_cell_shows_in_bigger_tables(rows: list[list[int]], k: int) -> None:
    mask = suppress_table(rows, min_n=k)
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if is_small(v, k):
                assert mask.cells[i][j]
        if is_small(sum(row), k) and len(row) > 1:
            assert mask.row_totals[i]
    for j in range(len(rows[0])):
        if is_small(sum(r[j] for r in rows), k) and len(rows) > 1:
            assert mask.column_totals[j]


@settings(max_examples=300, deadline=None)
@given(st.lists(counts, min_size=1, max_size=10), st.integers(min_value=2, max_value=10))
def test_hidden_groups_together_reach_the_minimum(sizes: list[int], k: int) -> None:
    hidden, total_hidden = suppress_groups(sizes, min_n=k)
    for n, h in zip(sizes, hidden, strict=True):
        if is_small(n, k):
            assert h
    hidden_sum = sum(n for n, h in zip(sizes, hidden, strict=True) if h)
    if any(hidden) and not total_hidden:
        # Total minus shown groups = hidden_sum: that must itself be a safe group size.
        assert hidden_sum >= k
    if is_small(sum(sizes), k):
        assert total_hidden


def test_one_small_class_hides_the_next_smallest() -> None:
    hidden, total_hidden = suppress_groups([3, 12, 8, 20], min_n=5)
    assert hidden == [True, False, True, False]
    assert not total_hidden


# --- the attacker who solves the equations (tests/utils/attacker.py) ---------------------------

from tests.utils.attacker import determined_by_equalities, equal, solutions  # noqa: E402

small_counts = st.integers(min_value=0, max_value=9)
small_tables = st.integers(min_value=1, max_value=3).flatmap(
    lambda cols: st.lists(
        st.lists(small_counts, min_size=cols, max_size=cols), min_size=1, max_size=3
    )
)


def _published(rows: list[list[int]], mask: object, *, fixed_cols: bool) -> tuple[dict, list]:
    """What a reader of the table sees: shown cells, and the shown totals as equations."""
    n_cols = len(rows[0])
    idx = {(i, j): i * n_cols + j for i in range(len(rows)) for j in range(n_cols)}
    known = {idx[i, j]: v for (i, j), v in _cells(rows) if not mask.cells[i][j]}  # type: ignore[attr-defined]
    eqs = []
    for i, row in enumerate(rows):
        if not mask.row_totals[i]:  # type: ignore[attr-defined]
            eqs.append(equal({idx[i, j]: 1 for j in range(n_cols)}, sum(row)))
    for j in range(n_cols):
        if fixed_cols or not mask.column_totals[j]:  # type: ignore[attr-defined]
            eqs.append(equal({idx[i, j]: 1 for i in range(len(rows))}, sum(r[j] for r in rows)))
    if not mask.grand_total:  # type: ignore[attr-defined]
        eqs.append(equal({a: 1 for a in idx.values()}, sum(map(sum, rows))))
    return known, eqs


def _cells(rows: list[list[int]]) -> list[tuple[tuple[int, int], int]]:
    return [((i, j), v) for i, r in enumerate(rows) for j, v in enumerate(r)]


@settings(max_examples=40, deadline=None)
@given(small_tables, st.integers(min_value=3, max_value=6), st.booleans())
def test_no_hidden_small_cell_can_be_solved_for_from_the_totals(
    rows: list[list[int]], k: int, fixed_cols: bool
) -> None:
    mask = suppress_table(rows, min_n=k, fixed_column_totals=fixed_cols)
    known, eqs = _published(rows, mask, fixed_cols=fixed_cols)
    n = len(rows) * len(rows[0])
    truth = tuple(v for _, v in _cells(rows))
    found = solutions(n, known, eqs, cap=sum(truth) + k)  # beyond: unbounded
    assert truth in found
    for (i, j), v in _cells(rows):
        if not is_small(v, k):
            continue
        assert mask.cells[i][j], "a small cell is shown"
        values = {x[i * len(rows[0]) + j] for x in found}
        if mask.withheld:
            # Every hideable figure is hidden; only the totals printed elsewhere remain.
            assert all(c for row in mask.cells for c in row)
            continue
        assert max(values) - min(values) >= k - 1, (rows, values)
        assert not determined_by_equalities(n, [*eqs, *_known_eqs(known)], i * len(rows[0]) + j)


def _known_eqs(known: dict[int, int]) -> list:
    return [equal({i: 1}, v) for i, v in known.items()]


def test_withheld_means_every_hideable_figure_is_hidden() -> None:
    # Two withdrawn, both for one reason: the fixed total (2 withdrawn) and zeros would tell.
    mask = suppress_table([[2], [0], [0]], min_n=5, fixed_column_totals=True)
    assert mask.withheld and all(c for row in mask.cells for c in row)


# --- pulse answers per class: the evaluation tables ---------------------------------------------

from bot.report import GroupFigures, QuestionFigures, protect_question  # noqa: E402


def _question(classes: list[list[int]], min_n: int) -> QuestionFigures:
    """A 3-choice question, one row of counts per class, the pulse rule applied as in the report."""
    qf = QuestionFigures(1, 1, "choice", "Arbeidsmengde?", ["lav", "passe", "høy"])
    for gid, counts in enumerate(classes):
        qf.groups[gid] = GroupFigures(sum(counts), dict(enumerate(counts)))
    total = GroupFigures()
    for g in qf.groups.values():
        total.n += g.n
        for v, c in g.counts.items():
            total.counts[v] = total.counts.get(v, 0) + c
    qf.total = total
    hidden, total_hidden = suppress_groups([g.n for g in qf.groups.values()], min_n=min_n)
    for g, h in zip(qf.groups.values(), hidden, strict=True):
        g.hidden = h
    total.hidden = total_hidden
    return qf


def _attack_question(classes: list[list[int]], qf: QuestionFigures) -> list[set[int]]:
    """Every value each small class's counts can take, given the shown rows and respondents."""
    n_cat = 3
    idx = {(g, c): g * n_cat + c for g in range(len(classes)) for c in range(n_cat)}
    known: dict[int, int] = {}
    eqs = []
    for g, counts in enumerate(classes):
        # respondents per class are printed beside the results: every answered this question
        eqs.append(equal({idx[g, c]: 1 for c in range(n_cat)}, sum(counts)))
        if not qf.groups[g].hidden:
            known.update({idx[g, c]: counts[c] for c in range(n_cat)})
    if not qf.total.hidden:
        for c in range(n_cat):
            eqs.append(equal({idx[g, c]: 1 for g in range(len(classes))}, qf.total.counts[c]))
    found = solutions(len(idx), known, eqs, cap=max(map(sum, classes)))
    return [{x[idx[g, c]] for x in found} for g in range(len(classes)) for c in range(n_cat)]


def test_two_small_classes_who_all_answered_alike_are_not_given_away() -> None:
    # Old rule: the hidden classes (2 + 3 answers) hold 5, so the cohort row showed "høy: 5" and
    # each small class's answers followed exactly. Now the big class or the cohort row hides too.
    classes = [[0, 0, 2], [0, 0, 3], [3, 4, 3]]
    qf = _question(classes, 5)
    assert qf.groups[0].hidden and qf.groups[1].hidden and not qf.total.hidden
    protect_question(qf, {g: sum(c) for g, c in enumerate(classes)}, min_n=5)
    assert qf.total.hidden or qf.groups[2].hidden
    values = _attack_question(classes, qf)
    assert len(values[2]) > 1 and len(values[5]) > 1


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(min_value=0, max_value=3), min_size=3, max_size=3),
        min_size=2,
        max_size=3,
    )
)
def test_no_small_class_answer_count_is_exact(classes: list[list[int]]) -> None:
    k = 4
    qf = _question(classes, k)
    protect_question(qf, {g: sum(c) for g, c in enumerate(classes)}, min_n=k)
    values = _attack_question(classes, qf)
    for g, counts in enumerate(classes):
        if not 0 < sum(counts) < k:
            continue
        assert qf.groups[g].hidden
        for c in range(3):
            if counts[c] > 0 and not (
                qf.total.hidden and all(x.hidden for x in qf.groups.values())
            ):
                assert len(values[g * 3 + c]) > 1, (classes, g, c, values[g * 3 + c])


# --- line-manager and network rows: counts and percentages of one group ----------------------

from bot.report.sections.involvement import checkin_shares, nudge_shares  # noqa: E402
from bot.report.tables import Shares  # noqa: E402
from tests.utils.attacker import integer_range, ratio  # noqa: E402


def _attack_shares(shares: Shares, cap: int) -> dict[str, tuple[int, int]]:
    """Solve the row as printed: every integer split that reproduces the shown counts and
    percentages (one decimal); return each group's (min, max) over those splits."""
    names = list(shares.parts)
    index = {n: i for i, n in enumerate(names)}
    eqs = []
    for key, members in shares.counts.items():
        if key not in shares.hidden:
            eqs.append(equal({index[m]: 1.0 for m in members}, shares.size(key)))
    every = {i: 1.0 for i in range(len(names))}
    for key, members in shares.rates.items():
        if key not in shares.hidden:
            part = sum(shares.parts[m] for m in members)
            value = round(100 * part / shares.total(), 1)
            eqs.append(ratio({index[m]: 100.0 for m in members}, every, value, 0.05))
    out = {}
    for key, members in {**shares.counts, **shares.groups}.items():
        lo, hi = integer_range(len(names), eqs, {index[m]: 1 for m in members}, cap)
        out[key] = (int(lo), int(hi))
    return out


@settings(max_examples=80, deadline=None)
@given(
    st.integers(0, 6), st.integers(0, 6), st.integers(0, 6), st.integers(0, 6), st.integers(0, 6)
)
def test_no_small_group_of_managers_follows_from_a_nudge_row(
    done: int, other: int, none: int, esc: int, k: int
) -> None:
    """The attacker solves the printed row (participants, shares answered and "done",
    escalated) for every group of managers: who answered, who did not, who said done…; a
    group of 1..k-1 stays uncertain by at least k-1, whatever the split."""
    from types import SimpleNamespace

    k = max(k, 2)
    sent = (
        [SimpleNamespace(answer="done", escalated_at=None)] * done
        + [SimpleNamespace(answer="later", escalated_at=None)] * other
        + [SimpleNamespace(answer=None, escalated_at=1 if i < esc else None) for i in range(none)]
    )
    if not sent:
        return
    shares = nudge_shares(sent, len(sent))
    shares.solve(k)
    cap = len(sent) + 2 * k
    seen = _attack_shares(shares, cap)
    for key in [*shares.counts, *shares.groups]:
        true = shares.size(key)
        lo, hi = seen[key]
        assert lo <= true <= hi
        if is_small(true, k):
            assert hi - lo >= k - 1, (key, true, seen[key], shares.hidden)


def test_two_of_thirty_managers_answering_is_not_printed_as_a_share() -> None:
    from types import SimpleNamespace

    sent = [SimpleNamespace(answer="done" if i < 2 else None, escalated_at=None) for i in range(30)]
    shares = nudge_shares(sent, 30)
    hidden = shares.solve(5)
    assert "answered" in hidden and "done" in hidden and "participants" not in hidden
    checkins = checkin_shares(30, 28)
    assert "met" in checkins.solve(5)  # 2 who did not meet would follow from 93,3 %


# --- the reused HiGHS model gives the same intervals as a fresh programme per question --------


@settings(max_examples=40, deadline=None)
@given(tables, st.integers(min_value=0, max_value=2**16), st.booleans())
# Found by a random run: HiGHS says "unbounded or infeasible" for the LP, so the reused model
# answers None and `LinearTable.interval` asks a fresh programme instead.
@example(rows=[[0, 0, 1], [0, 0, 0], [0, 0, 0]], seed=28, integer=False)
def test_the_reused_model_answers_like_a_fresh_one(
    rows: list[list[int]], seed: int, integer: bool
) -> None:
    import random

    from bot.suppression import LinearTable, _Reused, _System

    lt = LinearTable()
    ids = [[lt.atom(v) for v in r] for r in rows]
    for i, r in enumerate(ids):
        for j, a in enumerate(r):
            lt.publish(("cell", i, j), [a])
        lt.publish(("row", i), r)
    for j in range(len(ids[0])):
        lt.publish(("col", j), [r[j] for r in ids], fixed=True)
    lt.publish(
        "mean",
        {a: float(j + 1) for r in ids for j, a in enumerate(r)},
        den=[a for r in ids for a in r],
        tol=0.005,
        count=False,
    )
    reused = _Reused(len(lt.atoms), lt.items)
    rng = random.Random(seed)
    keys = [i.key for i in lt.items]
    for _ in range(4):  # several hidden sets in a row on the same model, as `solve` does
        hidden = frozenset(k for k in keys if rng.random() < 0.5)
        target = (
            next(i for i in lt.items if i.key in hidden and i.den is None)
            if any(i.key in hidden and i.den is None for i in lt.items)
            else lt.items[0]
        )
        fresh = _System(len(lt.atoms), [i for i in lt.items if i.key not in hidden])
        got = reused.interval(hidden, target.num, integer=integer)
        # None is the reused model's "ambiguous: ask a fresh programme", which the caller does.
        want = fresh.interval(target.num, integer=integer)
        assert got is None or got == want
        assert lt.interval(target, set(hidden), integer=integer) == want  # what `solve` uses
