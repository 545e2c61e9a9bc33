"""Benchmark: one peer-matching round and one peer-group formation, pure CPU.

    .venv/bin/python -m bench.matching

A round for an alumni network of N people (40 municipalities, 4 cities, 3 cohorts, 20 earlier
rounds of history, 1 % blocked pairs) and peer groups for a class of M. The bot runs both in a
worker thread (`asyncio.to_thread`), so they never hold the event loop; the numbers say how long
a staff member waits after `/cohort match` or `/cohort groups`.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import date
from itertools import combinations

from bot.matching import Candidate, GroupMember, MatchRules, form_peer_groups, match_round, pair


def bench_round(n: int, rounds: int = 20) -> tuple[float, int]:
    rng = random.Random(n)
    people = [
        Candidate(i, f"M{rng.randrange(40)}", f"C{rng.randrange(4)}", f"K{rng.randrange(3)}")
        for i in range(n)
    ]
    history: Counter[frozenset[int]] = Counter()
    for _ in range(rounds):
        ids = [p.id for p in people]
        rng.shuffle(ids)
        history.update(pair(ids[k], ids[k + 1]) for k in range(0, n - 1, 2))
    blocked = frozenset(
        pair(a, b) for a, b in combinations(range(min(n, 200)), 2) if rng.random() < 0.01
    )
    rules = MatchRules(today=date(2026, 3, 2), blocked=blocked, mix_cohorts=True, seed=1)
    start = time.perf_counter()
    groups = match_round(people, history, rules)
    return time.perf_counter() - start, len(groups)


def bench_groups(m: int) -> tuple[float, int]:
    rng = random.Random(m)
    members = [
        GroupMember(i, f"M{rng.randrange(12)}", f"W{rng.randrange(m)}", f"S{rng.randrange(4)}")
        for i in range(m)
    ]
    start = time.perf_counter()
    groups = form_peer_groups(members, seed=1)
    return time.perf_counter() - start, len(groups)


def main() -> None:
    for n in (30, 150, 600, 1500):
        seconds, groups = bench_round(n)
        print(f"match_round       n={n:5d}  {seconds * 1000:8.1f} ms  {groups} groups")
    for m in (30, 60, 120):
        seconds, groups = bench_groups(m)
        print(f"form_peer_groups  m={m:5d}  {seconds * 1000:8.1f} ms  {groups} groups")


if __name__ == "__main__":
    main()
