"""Pulse figures (shared with bot.results and the evaluator export), with suppression."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.report.model import SCALE_KINDS
from bot.suppression import LinearTable, suppress_groups
from storage.queries import report as q


@dataclass
class GroupFigures:
    """One group's answers to one question; `hidden` when suppressed."""

    n: int = 0
    counts: dict[int, int] = field(default_factory=dict)
    hidden: bool = False

    @property
    def mean(self) -> float | None:
        if not self.n:
            return None
        return round(sum(v * c for v, c in self.counts.items()) / self.n, 2)

    @property
    def nps(self) -> float | None:
        """Net Promoter Score: % answering 9–10 minus % answering 0–6."""
        if not self.n:
            return None
        promoters = sum(c for v, c in self.counts.items() if v >= 9)
        detractors = sum(c for v, c in self.counts.items() if v <= 6)
        return round(100 * (promoters - detractors) / self.n, 1)


@dataclass
class QuestionFigures:
    id: int
    position: int
    kind: str
    text: str
    choices: list[str]
    groups: dict[int | None, GroupFigures] = field(default_factory=dict)
    total: GroupFigures = field(default_factory=GroupFigures)
    text_answers: int = 0
    directorate: bool = False  # proposed by the Directorate (an accepted evaluator proposal)

    @property
    def categories(self) -> list[int]:
        if self.kind == "scale5":
            return [1, 2, 3, 4, 5]
        if self.kind == "nps":
            return list(range(11))
        if self.kind == "choice":
            return list(range(len(self.choices)))
        return []

    @property
    def category_labels(self) -> list[str]:
        if self.kind == "choice":
            return list(self.choices)
        return [str(c) for c in self.categories]


@dataclass
class PulseFigures:
    pulse_id: int
    invited: dict[int | None, int] = field(default_factory=dict)
    answered: dict[int | None, int] = field(default_factory=dict)
    questions: list[QuestionFigures] = field(default_factory=list)

    def participation_rows(self) -> list[tuple[int | str | None, tuple[int, int]]]:
        """(group id or "total", (invited, answered)), classes first."""
        groups = sorted(self.invited, key=lambda g: (g is None, g or 0))
        rows: list[tuple[int | str | None, tuple[int, int]]] = [
            (g, (self.invited[g], self.answered.get(g, 0))) for g in groups
        ]
        if len(groups) != 1:
            rows.append(("total", (sum(self.invited.values()), sum(self.answered.values()))))
        else:
            rows = [("total", rows[0][1])]
        return rows

    @property
    def total_invited(self) -> int:
        return sum(self.invited.values())

    @property
    def total_answered(self) -> int:
        return sum(self.answered.values())


async def pulse_figures(
    session: AsyncSession, pulse_ids: Sequence[int], *, min_n: int
) -> dict[int, PulseFigures]:
    """Return response counts and answer distributions per class, with suppression applied."""
    out: dict[int, PulseFigures] = {pid: PulseFigures(pid) for pid in pulse_ids}
    if not pulse_ids:
        return out
    for r in await q.participation_counts(session=session, pulse_ids=pulse_ids):
        out[r.pulse_id].invited[r.class_id] = int(r.invited)
        out[r.pulse_id].answered[r.class_id] = int(r.answered or 0)
    # Anonymous pulses keep who answered only as a count per class, written at release.
    from storage.queries.pulses import response_counts

    for r in await response_counts(session=session, pulse_ids=pulse_ids):
        out[r.pulse_id].answered[r.class_id] = int(r.answered)
    questions: dict[int, QuestionFigures] = {}
    for r in await q.list_questions(session=session, pulse_ids=pulse_ids):
        qf = QuestionFigures(r.id, r.position, r.kind, r.text, list(r.choices or []))
        qf.directorate = r.proposal_id is not None
        questions[r.id] = qf
        out[r.pulse_id].questions.append(qf)
    answers = await q.answer_counts(session=session, pulse_ids=pulse_ids)
    # Counting ~14k grouped rows and the suppression rule are CPU work: off the event loop.
    await asyncio.to_thread(_assemble, questions, answers, min_n)
    return out


def _assemble(questions: dict[int, QuestionFigures], answers: list[Any], min_n: int) -> None:
    for r in answers:
        qf = questions[r.question_id]
        n = int(r.n)
        if r.value is None:
            qf.text_answers += n
            if qf.kind != "text":
                continue
        g = qf.groups.setdefault(r.class_id, GroupFigures())
        if r.value is not None:
            g.counts[int(r.value)] = g.counts.get(int(r.value), 0) + n
        g.n += n
    for qf in questions.values():
        ids = sorted(qf.groups, key=lambda g: (g is None, g or 0))
        qf.groups = {g: qf.groups[g] for g in ids}
        total = GroupFigures()
        for g in qf.groups.values():
            total.n += g.n
            for v, c in g.counts.items():
                total.counts[v] = total.counts.get(v, 0) + c
        hidden, total_hidden = suppress_groups([g.n for g in qf.groups.values()], min_n=min_n)
        for g, h in zip(qf.groups.values(), hidden, strict=True):
            g.hidden = h
        total.hidden = total_hidden
        if len(qf.groups) == 1:
            # One group is the total: show it once.
            qf.groups = {}
        qf.total = total


def protect_question(qf: QuestionFigures, answered: dict[int | None, int], *, min_n: int) -> None:
    """Check a question's published figures as equations and hide more classes if needed.

    The pulse rule (whole classes under the minimum hidden, and complements until the hidden
    ones hold the minimum) is the start. Then no answer count of a small class may be exact
    given what is shown — the other classes' counts, n, means and NPS, the cohort row, and the
    respondents per class printed beside them (an upper bound on each class's n): e.g. two
    hidden classes of 2 and 3 respondents whose 5 answers are all "4" would give each class
    away; then the cohort row is hidden too. Classes are hidden whole, never cell by cell.
    """
    groups = list(qf.groups.items())
    if not groups or qf.kind == "text":
        return
    cats = qf.categories
    lt = LinearTable()
    ids = {gid: [lt.atom(g.counts.get(c, 0)) for c in cats] for gid, g in groups}
    weights = {c: float(c) for c in cats}

    def figures(key: Hashable, atoms: list[int], *, small: bool) -> None:
        # The class's n is its respondents, printed anyway: not itself what is protected.
        lt.publish(("n", key), atoms, count=False)
        for c, a in zip(cats, atoms, strict=True):
            lt.publish(("c", key, c), [a], count=small, hide_with=("n", key), protection=1.0)
        if qf.kind in SCALE_KINDS:
            num = {a: weights[c] for c, a in zip(cats, atoms, strict=True)}
            lt.publish(("mean", key), num, den=atoms, tol=0.005, count=False, hide_with=("n", key))
        if qf.kind == "nps":
            num = {
                a: (100.0 if c >= 9 else -100.0 if c <= 6 else 0.0)
                for c, a in zip(cats, atoms, strict=True)
            }
            lt.publish(("nps", key), num, den=atoms, tol=0.05, count=False, hide_with=("n", key))

    for gid, g in groups:
        cap = answered.get(gid)
        figures(gid, ids[gid], small=0 < g.n < min_n)
        if cap is not None:
            lt.publish(("answered", gid), ids[gid], count=False, fixed=True, lower=0, upper=cap)
    every = [a for atoms in ids.values() for a in atoms]
    total_atoms = []
    for i, _c in enumerate(cats):
        total_atoms.append([ids[gid][i] for gid, _ in groups])
    lt.publish(("n", "total"), every, count=False)
    for c, atoms in zip(cats, total_atoms, strict=True):
        lt.publish(("c", "total", c), atoms, count=False, hide_with=("n", "total"))
    if qf.kind in SCALE_KINDS:
        num = {a: weights[c] for c, atoms in zip(cats, total_atoms, strict=True) for a in atoms}
        lt.publish(
            ("mean", "total"), num, den=every, tol=0.005, count=False, hide_with=("n", "total")
        )
    initial: list[Hashable] = [("n", gid) for gid, g in groups if g.hidden]
    if qf.total.hidden:
        initial.append(("n", "total"))
    hidden = lt.solve(min_n=min_n, initial=initial)
    for gid, g in groups:
        g.hidden = ("n", gid) in hidden
    qf.total.hidden = ("n", "total") in hidden


async def protect_pulses(figures: dict[int, PulseFigures], *, min_n: int) -> None:
    """`protect_pulse` for every pulse, in a worker thread (equation solving is CPU work)."""

    def protect_all() -> None:
        for pf in figures.values():
            protect_pulse(pf, min_n=min_n)

    await asyncio.to_thread(protect_all)


def protect_pulse(pf: PulseFigures, *, min_n: int) -> PulseFigures:
    """Apply `protect_question` to every question of a pulse's published figures."""
    for qf in pf.questions:
        protect_question(qf, pf.answered, min_n=min_n)
    return pf
