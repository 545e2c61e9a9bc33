"""Reach figures per class and channel are published under the suppression rules.

The attacker (tests/utils/attacker.py, apart from bot.suppression's solver) sees every shown
cell, the per-channel totals, each class's total and the invited counts printed beside them,
and searches every whole-number table that reproduces them: a hidden small cell must keep at
least min_n - 1 possible values wider than a point.
"""

from __future__ import annotations

import itertools
import random

import pytest

from bot.identities import Reach
from bot.reach import CHANNELS, channel_of, reach_figures, reach_line
from tests.utils.attacker import equal, solutions

MIN_N = 5


def _attack(
    counts: dict[tuple[int | None, str], int], invited: dict[int | None, int]
) -> list[tuple[tuple[int | None, str], int, int]]:
    """(cell, width found, width owed) for every hidden small cell.

    The width owed is min_n - 1, or less when the invited counts printed beside the table
    already pin the cell closer (a class with 1 invited: its Slack cell is 0 or 1 whatever the
    table shows)."""
    figures = reach_figures(counts, min_n=MIN_N, invited=invited)
    classes = sorted({c for c, _ in counts}, key=lambda c: (c is None, c or 0))
    index = {(c, ch): i for i, (c, ch) in enumerate(itertools.product(classes, CHANNELS))}
    shown: dict[int, int] = {}
    equations = []
    hidden_cells = []
    for group, cells in figures.rows:
        if group == "total":
            for ch, (value, hidden) in cells.items():
                if not hidden:
                    equations.append(equal({index[(c, ch)]: 1 for c in classes}, value))
            continue
        for ch, (value, hidden) in cells.items():
            if hidden:
                hidden_cells.append((group, ch))
            else:
                shown[index[(group, ch)]] = value
    for c, n in invited.items():
        equations.append(equal({index[(c, ch)]: 1 for ch in CHANNELS if ch != "none"}, n))
    cap = max(counts.values()) + MIN_N
    found = solutions(len(index), shown, equations, cap)
    assert found, "the truth is always one solution"
    out = []
    for cell in hidden_cells:
        values = [x[index[cell]] for x in found]
        if 0 < counts.get(cell, 0) < MIN_N:
            # On their own the invited counts put a Slack/Teams/email cell in 0..invited.
            alone = invited.get(cell[0], cap) if cell[1] != "none" else cap
            out.append((cell, max(values) - min(values), min(MIN_N - 1, alone)))
    return out


def _invited(counts: dict[tuple[int | None, str], int]) -> dict[int | None, int]:
    out: dict[int | None, int] = {}
    for (c, ch), n in counts.items():
        if ch != "none":
            out[c] = out.get(c, 0) + n
    return out


def test_a_small_email_group_beside_its_class_total_cannot_be_solved() -> None:
    counts = {(1, "slack"): 20, (1, "email"): 2, (2, "slack"): 9, (2, "email"): 7, (2, "none"): 1}
    figures = reach_figures(counts, min_n=MIN_N, invited=_invited(counts))
    lines = {g: reach_line(cells, "nb") for g, cells in figures.rows}
    assert "e-post *" in lines[1] and "ikke nådd *" in lines[2]
    for cell, width, owed in _attack(counts, _invited(counts)):
        assert width >= owed, cell


@pytest.mark.parametrize("seed", range(8))
def test_random_reach_tables_leave_no_small_cell_narrow(seed: int) -> None:
    rng = random.Random(seed)
    counts: dict[tuple[int | None, str], int] = {}
    for c in (1, 2):
        for ch in CHANNELS:
            n = rng.choice([0, 0, 1, 2, 3, 6])
            if n:
                counts[(c, ch)] = n
    if not counts:
        counts[(1, "slack")] = 3
    for cell, width, owed in _attack(counts, _invited(counts)):
        assert width >= owed, cell


def test_channel_of_counts_a_bounced_or_missing_address_as_none() -> None:
    assert channel_of(Reach("slack", "U1")) == "slack"
    assert channel_of(Reach("teams", "c|https://x")) == "teams"
    assert channel_of(Reach("email", "a@b.no")) == "email"
    assert channel_of(Reach("email", "a@b.no"), bounced={"a@b.no"}) == "none"
    assert channel_of(Reach("email", "")) == "none"
    assert channel_of(Reach("email", "stub-3@erased.invalid")) == "none"


def test_home_lists_ten_then_says_how_many_more() -> None:
    from slack_sdk.models.blocks import Block

    from bot.reach import BOUNCED, NO_ADDRESS, Unreachable
    from handlers.slack.blocks.reach import build_unreachable

    people = [
        Unreachable(i, f"Person {i}", f"p{i}@x.no", "Gol", BOUNCED if i % 2 else NO_ADDRESS, "550")
        for i in range(13)
    ]
    blocks = build_unreachable(people[:10], 13, "nb")
    text = blocks[1]["text"]["text"]
    assert text.count("• ") == 10 and text.endswith("… og 3 til")
    assert blocks[0]["text"]["text"] == "Kan ikke nås (13)"
    for block in blocks:
        Block.parse(block).validate_json()  # type: ignore[union-attr]
    assert "Alle deltakere kan nås" in str(build_unreachable([], 0, "nb"))
    assert "Every participant can be reached" in str(build_unreachable([], 0, "en"))
