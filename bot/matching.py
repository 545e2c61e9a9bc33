"""Peer matching and peer-group formation: pure functions, no database, no Slack.

`match_round` introduces eligible people in twos (one three when the count is odd) and
`form_peer_groups` splits a class into groups of 4–6. Both minimise a cost whose terms are
ordered by importance, so a weaker preference never buys a stronger one:

matching: left out > extra threes > repeats (by how often the pair met) > same municipality
          > same city/class > same cohort (alumni only);
groups:   same municipality > same workplace > grouped together before > same service area.

Blocked pairs are never put together. Both are deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from itertools import combinations

Pair = frozenset[int]

# Matching weights: each term dominates every lower one for the network sizes we see.
_LEFT_OUT = 10**15
_THREE = 10**12
_REPEAT = 10**8
_MUNICIPALITY = 10**4
_CITY = 10**2
_COHORT = 1

# Exact search up to this many people; beyond it a seeded greedy start plus local search.
EXACT_LIMIT = 12


def pair(a: int, b: int) -> Pair:
    """The unordered pair {a, b}."""
    return frozenset((a, b))


@dataclass(frozen=True)
class Candidate:
    """A person who might be matched, with what the rules look at."""

    id: int
    municipality: str | None = None
    city: str | None = None  # the class's city (or class key) inside a cohort
    cohort: str | None = None
    opted_in: bool = True
    paused_until: date | None = None  # matched again from this date on
    ghosted: bool = False

    def eligible(self, today: date) -> bool:
        """Say whether this person takes part in a round starting `today`."""
        paused = self.paused_until is not None and today < self.paused_until
        return self.opted_in and not self.ghosted and not paused


@dataclass(frozen=True)
class MatchRules:
    """What a round honours besides history."""

    today: date
    blocked: frozenset[Pair] = frozenset()
    mix_cohorts: bool = False  # alumni: prefer people from another cohort
    seed: int = 0


def blocked_pairs(blocks: Iterable[tuple[int, int]]) -> frozenset[Pair]:
    """Turn (person, blocked person) rows into unordered pairs: a block holds both ways."""
    return frozenset(pair(a, b) for a, b in blocks if a != b)


def eligible_people(people: Sequence[Candidate], today: date) -> list[Candidate]:
    """Drop paused, opted-out and ghosted people (and duplicates)."""
    seen: set[int] = set()
    result = []
    for person in people:
        if person.id not in seen and person.eligible(today):
            seen.add(person.id)
            result.append(person)
    return result


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.strip().lower() == b.strip().lower()


def match_round(
    people: Sequence[Candidate],
    history: Mapping[Pair, int] | Iterable[Pair],
    rules: MatchRules,
) -> list[tuple[int, ...]]:
    """Return this round's groups of person ids: pairs, and one three when the count is odd.

    `history` counts how often each pair has met (a plain set counts each pair once).
    Ineligible people are left out; an eligible person is left out only when blocks leave no
    way to place them.
    """
    counts: Mapping[Pair, int] = (
        history if isinstance(history, Mapping) else Counter(frozenset(p) for p in history)
    )
    pool = eligible_people(people, rules.today)
    rng = random.Random(rules.seed)
    rng.shuffle(pool)
    n = len(pool)
    if n < 2:
        return []

    table = _cost_table(pool, counts, rules)
    if n <= EXACT_LIMIT:
        groups = _exact(table, n)
    else:
        groups = _local_search(table, _greedy(table, n, rng), rng)
    result = [tuple(sorted(pool[i].id for i in g)) for g in groups]
    return sorted(result)


def _cost_table(
    pool: Sequence[Candidate], counts: Mapping[Pair, int], rules: MatchRules
) -> list[list[int | None]]:
    """Pair costs (None = blocked), computed once per pair from pre-normalised keys."""
    n = len(pool)
    ids = [p.id for p in pool]
    munis = [_key(p.municipality) for p in pool]
    cities = [_key(p.city) for p in pool]
    cohorts = [_key(p.cohort) for p in pool] if rules.mix_cohorts else [""] * n
    need_pairs = bool(counts) or bool(rules.blocked)
    table: list[list[int | None]] = [[None] * n for _ in range(n)]
    for i in range(n):
        row = table[i]
        for j in range(i + 1, n):
            value = 0
            if need_pairs:
                key = frozenset((ids[i], ids[j]))
                if key in rules.blocked:
                    continue
                value = _REPEAT * counts.get(key, 0)
            if munis[i] and munis[i] == munis[j]:
                value += _MUNICIPALITY
            if cities[i] and cities[i] == cities[j]:
                value += _CITY
            if cohorts[i] and cohorts[i] == cohorts[j]:
                value += _COHORT
            row[j] = value
            table[j][i] = value
    return table


def _group_cost(table: list[list[int | None]], group: Sequence[int]) -> int | None:
    total = _THREE if len(group) == 3 else 0
    for i, j in combinations(group, 2):
        c = table[i][j]
        if c is None:
            return None
        total += c
    return total


def _exact(table: list[list[int | None]], n: int) -> list[tuple[int, ...]]:
    """Find the cheapest partition into twos and threes by search over subsets."""

    @cache
    def best(mask: int) -> tuple[int, tuple[tuple[int, ...], ...]]:
        if mask == 0:
            return 0, ()
        i = (mask & -mask).bit_length() - 1
        rest = mask & ~(1 << i)
        sub_cost, sub_groups = best(rest)
        choice = (sub_cost + _LEFT_OUT, sub_groups)
        others = [j for j in range(i + 1, n) if rest >> j & 1]
        for x, j in enumerate(others):
            c = table[i][j]
            if c is None:
                continue
            r = rest & ~(1 << j)
            sc, sg = best(r)
            if sc + c < choice[0]:
                choice = (sc + c, ((i, j), *sg))
            for k in others[x + 1 :]:
                g = _group_cost(table, (i, j, k))
                if g is None:
                    continue
                sc, sg = best(r & ~(1 << k))
                if sc + g < choice[0]:
                    choice = (sc + g, ((i, j, k), *sg))
        return choice

    return list(best((1 << n) - 1)[1])


def _greedy(table: list[list[int | None]], n: int, rng: random.Random) -> list[list[int]]:
    """Pair the most constrained first with their cheapest free partner; place the rest."""
    allowed = [sum(1 for c in row if c is not None) for row in table]
    order = sorted(range(n), key=lambda i: (allowed[i], rng.random()))
    free = set(range(n))
    groups: list[list[int]] = []
    leftover: list[int] = []
    for i in order:
        if i not in free:
            continue
        free.discard(i)
        options = [(c, j) for j in free if (c := table[i][j]) is not None]
        if not options:
            leftover.append(i)
            continue
        _, j = min(options)
        free.discard(j)
        groups.append([i, j])
    for i in leftover:
        # An odd one out (or someone blocks stranded) joins the cheapest pair that can take them.
        spots = [
            (c, g) for g in groups if len(g) == 2 and (c := _group_cost(table, [*g, i])) is not None
        ]
        if spots:
            min(spots, key=lambda s: s[0])[1].append(i)
    return groups


def _local_search(
    table: list[list[int | None]], groups: list[list[int]], rng: random.Random
) -> list[tuple[int, ...]]:
    """Swap people between groups while that lowers the total cost.

    Only groups that cost something besides being a three can gain, so each sweep starts from
    those: a large network where most pairs are already fine is improved in well under a second.
    """
    costs = [_group_cost(table, g) or 0 for g in groups]

    def excess(i: int) -> int:
        return costs[i] - (_THREE if len(groups[i]) == 3 else 0)

    improved = True
    sweeps = 0
    while improved and sweeps < 50:
        improved = False
        sweeps += 1
        indices = list(range(len(groups)))
        rng.shuffle(indices)
        for gi in [i for i in indices if excess(i) > 0]:
            for gj in indices:
                if gj == gi or excess(gi) == 0:
                    continue
                a, b = groups[gi], groups[gj]
                before = costs[gi] + costs[gj]
                done = False
                for p in range(len(a)):
                    for q in range(len(b)):
                        na = [*a[:p], b[q], *a[p + 1 :]]
                        nb = [*b[:q], a[p], *b[q + 1 :]]
                        ca, cb = _group_cost(table, na), _group_cost(table, nb)
                        if ca is not None and cb is not None and ca + cb < before:
                            groups[gi], groups[gj] = na, nb
                            costs[gi], costs[gj] = ca, cb
                            improved = done = True
                            break
                    if done:
                        break
    return [tuple(g) for g in groups]


# --- peer groups ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupMember:
    """A class member to place in a peer group."""

    id: int
    municipality: str | None = None
    workplace: str | None = None
    service_area: str | None = None


@dataclass(frozen=True)
class GroupRules:
    size_min: int = 4
    size_max: int = 6
    seed: int = 0
    # Pairs who were in a peer group together before (regrouping prefers new mixes).
    together_before: frozenset[Pair] = field(default_factory=frozenset)


_G_MUNICIPALITY = 10**6
_G_WORKPLACE = 10**4
_G_BEFORE = 10**2
_G_SERVICE = 1


def group_sizes(n: int, size_min: int = 4, size_max: int = 6) -> list[int]:
    """Split n into as few balanced groups as keep every size within [min, max] where possible.

    When no split fits (e.g. 7 people for 4–6), the groups are allowed to grow past the maximum
    rather than fall under the minimum: a group of 3 is too thin for peer support.
    """
    if size_min < 1 or size_max < size_min:
        raise ValueError("need 1 <= size_min <= size_max")
    if n <= 0:
        return []
    k = -(-n // size_max)  # fewest groups that respect the maximum
    if n // k < size_min:
        k = max(1, n // size_min)
    base, extra = divmod(n, k)
    return [base + 1] * extra + [base] * (k - extra)


def form_peer_groups(
    people: Sequence[GroupMember],
    size_min: int = 4,
    size_max: int = 6,
    seed: int = 0,
    together_before: Iterable[Pair] = (),
) -> list[tuple[int, ...]]:
    """Split people into peer groups that mix municipalities, workplaces and service areas.

    Nobody shares a group with someone from their municipality (or workplace) unless there is
    no way to avoid it with this many groups.
    """
    rules = GroupRules(size_min, size_max, seed, frozenset(frozenset(p) for p in together_before))
    unique = list({p.id: p for p in people}.values())
    sizes = group_sizes(len(unique), rules.size_min, rules.size_max)
    if not sizes:
        return []
    k = len(sizes)
    rng = random.Random(rules.seed)

    # Deal like cards, biggest municipality first and each workplace kept together in the deck:
    # a municipality (or workplace) with at most k people then lands in k different groups.
    muni_count = Counter(_key(p.municipality) for p in unique)
    jitter = {p.id: rng.random() for p in unique}
    muni_jitter = {m: rng.random() for m in muni_count}
    deck = sorted(
        unique,
        key=lambda p: (
            -muni_count[_key(p.municipality)] if p.municipality else 0,
            muni_jitter[_key(p.municipality)],
            _key(p.workplace),
            jitter[p.id],
        ),
    )
    groups: list[list[GroupMember]] = [[] for _ in range(k)]
    for position, person in enumerate(deck):
        groups[position % k].append(person)

    def member_cost(a: GroupMember, b: GroupMember) -> int:
        value = 0
        if _same(a.municipality, b.municipality):
            value += _G_MUNICIPALITY
        if _same(a.workplace, b.workplace):
            value += _G_WORKPLACE
        if pair(a.id, b.id) in rules.together_before:
            value += _G_BEFORE
        if _same(a.service_area, b.service_area):
            value += _G_SERVICE
        return value

    def cost_with(group: list[GroupMember], person: GroupMember, skip: int) -> int:
        return sum(member_cost(person, o) for x, o in enumerate(group) if x != skip)

    # Improve by swapping two people between groups; sizes never change, and a swap is taken
    # only if it lowers the cost, so the dealt guarantee above is kept.
    def group_cost(group: list[GroupMember]) -> int:
        return sum(member_cost(x, y) for x, y in combinations(group, 2))

    improved, sweeps = True, 0
    while improved and sweeps < 30:
        improved, sweeps = False, sweeps + 1
        costs = [group_cost(g) for g in groups]
        for gi, gj in combinations(range(k), 2):
            if costs[gi] == 0 and costs[gj] == 0:
                continue  # two groups without conflicts cannot gain from a swap
            a, b = groups[gi], groups[gj]
            for p in range(len(a)):
                for q in range(len(b)):
                    before = cost_with(a, a[p], p) + cost_with(b, b[q], q)
                    after = cost_with(a, b[q], p) + cost_with(b, a[p], q)
                    if after < before:
                        a[p], b[q] = b[q], a[p]
                        costs[gi], costs[gj] = group_cost(a), group_cost(b)
                        improved = True
    return sorted(tuple(sorted(p.id for p in g)) for g in groups)


def _key(value: str | None) -> str:
    return (value or "").strip().lower()
