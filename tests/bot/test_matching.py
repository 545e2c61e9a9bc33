"""Property tests for peer matching and peer-group formation, checked against brute force."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.matching import (
    Candidate,
    GroupMember,
    MatchRules,
    Pair,
    blocked_pairs,
    form_peer_groups,
    group_sizes,
    match_round,
    pair,
)

TODAY = date(2026, 3, 2)
MUNICIPALITIES = ["Bergen", "Voss", "Askøy", "Stord"]
CITIES = ["bergen", "tromso"]


@st.composite
def scenarios(draw: st.DrawFn, max_people: int = 8) -> tuple[list[Candidate], dict, MatchRules]:
    n = draw(st.integers(min_value=0, max_value=max_people))
    people = [
        Candidate(
            id=i + 1,
            municipality=draw(st.sampled_from([*MUNICIPALITIES, None])),
            city=draw(st.sampled_from(CITIES)),
            cohort=draw(st.sampled_from(["2025h", "2026h"])),
        )
        for i in range(n)
    ]
    pairs = [pair(a.id, b.id) for a, b in combinations(people, 2)]
    history = {p: draw(st.integers(0, 2)) for p in pairs if draw(st.booleans())}
    blocked = frozenset(p for p in pairs if draw(st.integers(0, 9)) == 0)
    rules = MatchRules(
        today=TODAY,
        blocked=blocked,
        mix_cohorts=draw(st.booleans()),
        seed=draw(st.integers(0, 1000)),
    )
    return people, history, rules


def same(a: str | None, b: str | None) -> bool:
    return a is not None and a == b


def cost(
    groups: Sequence[Sequence[int]],
    people: Sequence[Candidate],
    history: dict[Pair, int],
    rules: MatchRules,
) -> tuple[int, ...]:
    """(left out, extra threes, repeats, same municipality, same city, same cohort)."""
    by_id = {p.id: p for p in people}
    placed = [i for g in groups for i in g]
    repeats = muni = city = cohort = 0
    for g in groups:
        for a, b in combinations(g, 2):
            repeats += history.get(pair(a, b), 0)
            muni += same(by_id[a].municipality, by_id[b].municipality)
            city += same(by_id[a].city, by_id[b].city)
            cohort += rules.mix_cohorts and same(by_id[a].cohort, by_id[b].cohort)
    threes = sum(1 for g in groups if len(g) == 3)
    return (len(people) - len(placed), threes, repeats, muni, city, cohort)


def partitions(ids: list[int]) -> Iterator[list[tuple[int, ...]]]:
    """Every split into groups of 1 (left out), 2 or 3."""
    if not ids:
        yield []
        return
    first, rest = ids[0], ids[1:]
    for tail in partitions(rest):
        yield [(first,), *tail]
    for x, j in enumerate(rest):
        others = rest[:x] + rest[x + 1 :]
        for tail in partitions(others):
            yield [(first, j), *tail]
        for y, k in enumerate(others):
            remaining = others[:y] + others[y + 1 :]
            for tail in partitions(remaining):
                yield [(first, j, k), *tail]


def valid(groups: Sequence[Sequence[int]], rules: MatchRules) -> bool:
    return all(pair(a, b) not in rules.blocked for g in groups for a, b in combinations(g, 2))


def best_possible(people: list[Candidate], history: dict, rules: MatchRules) -> tuple[int, ...]:
    options = (
        [g for g in split if len(g) > 1]
        for split in partitions([p.id for p in people])
        if valid([g for g in split if len(g) > 1], rules)
    )
    return min(cost(o, people, history, rules) for o in options)


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_round_is_as_good_as_brute_force(scenario: tuple) -> None:
    people, history, rules = scenario
    groups = match_round(people, history, rules)
    assert cost(groups, people, history, rules) == best_possible(people, history, rules)


@settings(max_examples=150, deadline=None)
@given(scenarios(max_people=30))
def test_groups_are_twos_and_threes_and_blocks_hold(scenario: tuple) -> None:
    people, history, rules = scenario
    groups = match_round(people, history, rules)
    placed = [i for g in groups for i in g]
    assert len(placed) == len(set(placed))
    assert all(len(g) in (2, 3) for g in groups)
    assert valid(groups, rules)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 40), st.integers(0, 1000))
def test_nobody_eligible_is_left_out_and_one_three_when_odd(n: int, seed: int) -> None:
    people = [Candidate(id=i, municipality=MUNICIPALITIES[i % 4]) for i in range(1, n + 1)]
    groups = match_round(people, {}, MatchRules(today=TODAY, seed=seed))
    placed = sorted(i for g in groups for i in g)
    assert placed == ([] if n < 2 else list(range(1, n + 1)))
    assert sum(len(g) == 3 for g in groups) == (n % 2 if n >= 2 else 0)


@settings(max_examples=100, deadline=None)
@given(scenarios(max_people=8))
def test_no_repeat_while_an_unused_pairing_exists(scenario: tuple) -> None:
    people, history, rules = scenario
    groups = match_round(people, history, rules)
    got = cost(groups, people, history, rules)
    fresh = any(
        valid(g, rules) and cost(g, people, history, rules)[:3] == (got[0], got[1], 0)
        for g in ([x for x in s if len(x) > 1] for s in partitions([p.id for p in people]))
    )
    if fresh:
        assert got[2] == 0


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 7), st.integers(0, 100))
def test_rounds_over_time_repeat_only_when_no_fresh_round_is_left(n: int, seed: int) -> None:
    people = [Candidate(id=i) for i in range(1, n + 1)]
    history: Counter[Pair] = Counter()
    for round_number in range(8):
        rules = MatchRules(today=TODAY, seed=seed + round_number)
        groups = match_round(people, history, rules)
        repeats = sum(history[pair(a, b)] for g in groups for a, b in combinations(g, 2))
        fresh_exists = any(
            all(len(g) in (2, 3) for g in s)
            and sum(len(g) == 3 for g in s) == n % 2
            and not any(history[pair(a, b)] for g in s for a, b in combinations(g, 2))
            for s in partitions(list(range(1, n + 1)))
        )
        if fresh_exists:
            assert repeats == 0
        history.update(pair(a, b) for g in groups for a, b in combinations(g, 2))


def test_blocks_hold_both_ways_and_paused_opted_out_ghosted_are_excluded() -> None:
    people = [
        Candidate(1, "Bergen"),
        Candidate(2, "Voss"),
        Candidate(3, "Askøy"),
        Candidate(4, "Stord"),
        Candidate(5, paused_until=date(2026, 4, 1)),
        Candidate(6, opted_in=False),
        Candidate(7, ghosted=True),
        Candidate(8, paused_until=TODAY),  # pause ends today: back in
    ]
    blocked = blocked_pairs([(1, 2), (3, 1), (4, 1)])
    groups = match_round(people, {}, MatchRules(today=TODAY, blocked=blocked))
    assert {i for g in groups for i in g} == {1, 2, 3, 4, 8}
    assert (1, 8) in groups
    assert valid(groups, MatchRules(today=TODAY, blocked=blocked))


def test_same_seed_same_round() -> None:
    people = [Candidate(i, MUNICIPALITIES[i % 4]) for i in range(1, 25)]
    rules = MatchRules(today=TODAY, seed=7)
    assert match_round(people, {}, rules) == match_round(people, {}, rules)


def test_prefers_another_municipality_and_city() -> None:
    people = [
        Candidate(1, "Bergen", "bergen"),
        Candidate(2, "Bergen", "bergen"),
        Candidate(3, "Voss", "bergen"),
        Candidate(4, "Voss", "tromso"),
    ]
    groups = match_round(people, {}, MatchRules(today=TODAY))
    assert groups == [(1, 4), (2, 3)] or groups == [(1, 3), (2, 4)]
    assert (1, 4) in groups or (2, 4) in groups


# --- peer groups ---------------------------------------------------------------------------


@st.composite
def classes(draw: st.DrawFn, max_people: int = 10) -> list[GroupMember]:
    n = draw(st.integers(min_value=0, max_value=max_people))
    members = []
    for i in range(n):
        muni = draw(st.sampled_from([*MUNICIPALITIES, None]))
        workplace = f"{muni}/{draw(st.integers(0, 1))}" if muni else None
        members.append(
            GroupMember(i + 1, muni, workplace, draw(st.sampled_from(["home care", "nursing"])))
        )
    return members


def conflicts(groups: Sequence[Sequence[int]], members: list[GroupMember], attr: str) -> int:
    by_id = {m.id: m for m in members}
    return sum(
        same(getattr(by_id[a], attr), getattr(by_id[b], attr))
        for g in groups
        for a, b in combinations(g, 2)
    )


def splits(ids: list[int], sizes: list[int]) -> Iterator[list[tuple[int, ...]]]:
    if not sizes:
        yield []
        return
    first, rest = ids[0], ids[1:]
    for size in set(sizes):
        remaining_sizes = list(sizes)
        remaining_sizes.remove(size)
        for others in combinations(rest, size - 1):
            left = [i for i in rest if i not in others]
            for tail in splits(left, remaining_sizes):
                yield [(first, *others), *tail]


@settings(max_examples=150, deadline=None)
@given(classes(), st.integers(0, 1000))
def test_peer_groups_avoid_same_municipality_when_brute_force_can(
    members: list[GroupMember], seed: int
) -> None:
    groups = form_peer_groups(members, 4, 6, seed)
    assert sorted(i for g in groups for i in g) == [m.id for m in members]
    sizes = group_sizes(len(members))
    assert sorted(len(g) for g in groups) == sorted(sizes)
    best = min(
        (conflicts(s, members, "municipality") for s in splits([m.id for m in members], sizes)),
        default=0,
    )
    assert conflicts(groups, members, "municipality") == best
    if best == 0:
        assert conflicts(groups, members, "workplace") == 0


@settings(max_examples=100, deadline=None)
@given(classes(max_people=40), st.integers(0, 1000))
def test_peer_groups_of_four_to_six_and_mixed_when_counts_allow(
    members: list[GroupMember], seed: int
) -> None:
    groups = form_peer_groups(members, seed=seed)
    assert sorted(i for g in groups for i in g) == [m.id for m in members]
    n = len(members)
    if n >= 8 or 4 <= n <= 6:
        assert all(4 <= len(g) <= 6 for g in groups)
    largest = max(Counter(m.municipality for m in members if m.municipality).values(), default=0)
    if largest <= len(groups):
        assert conflicts(groups, members, "municipality") == 0
        assert conflicts(groups, members, "workplace") == 0


def test_group_sizes() -> None:
    assert group_sizes(0) == []
    assert group_sizes(3) == [3]
    assert group_sizes(7) == [7]
    assert group_sizes(13) == [5, 4, 4]
    assert group_sizes(25) == [5, 5, 5, 5, 5]
    assert group_sizes(30) == [6, 6, 6, 6, 6]


def test_regrouping_prefers_new_mixes() -> None:
    members = [GroupMember(i) for i in range(1, 9)]
    first = form_peer_groups(members, seed=1)
    before = [pair(a, b) for g in first for a, b in combinations(g, 2)]
    second = form_peer_groups(members, seed=1, together_before=before)
    again = [pair(a, b) for g in second for a, b in combinations(g, 2)]
    assert len(set(before) & set(again)) < len(before)
