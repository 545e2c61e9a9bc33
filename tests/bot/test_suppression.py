"""Suppression: small groups never show, and no hidden cell can be worked out by subtraction."""

from __future__ import annotations

from hypothesis import given, settings
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


@settings(max_examples=300, deadline=None)
@given(tables, st.integers(min_value=2, max_value=10))
def test_no_small_cell_shows_and_no_relation_has_one_hidden(rows: list[list[int]], k: int) -> None:
    mask = suppress_table(rows, min_n=k)
    n_cols = len(rows[0])
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if is_small(v, k):
                assert mask.cells[i][j]
        members = [*mask.cells[i], mask.row_totals[i]]
        assert sum(members) != 1
    for j in range(n_cols):
        members = [*(mask.cells[i][j] for i in range(len(rows))), mask.column_totals[j]]
        assert sum(members) != 1
        if is_small(sum(r[j] for r in rows), k):
            assert mask.column_totals[j]
    assert sum([*mask.row_totals, mask.grand_total]) != 1
    assert sum([*mask.column_totals, mask.grand_total]) != 1


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
