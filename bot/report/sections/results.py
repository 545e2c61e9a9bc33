"""Credits and exam results, solved as one system of equations."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Hashable

from bot.report import rules
from bot.report.model import Cell, ReportSection, Table
from bot.report.sections.base import SectionBase
from bot.report.tables import _fmt_credits
from bot.suppression import LinearTable


class ResultsSection(SectionBase):
    async def results(self) -> ReportSection:
        """Credits and exam results recorded in the period, as one system of equations.

        The distribution (people per credits value), the number with credits, credits in total,
        credits per participant with a result and the exam results are all linear in the same
        unknowns, so they are suppressed together: no hidden cell follows from the sums and means
        beside it, nor from the exam table (its columns hold the same people).
        """
        section = ReportSection(
            key="results",
            title=self.tr("report.section.results"),
            intro=self.tr("report.results.intro"),
        )
        keys, dist, exams = self._result_counts()
        if not dist:
            section.intro += " " + self.tr("report.results.none")
            return section
        exam_keys = ["passed", "failed", "none"]
        ncols = len(self.labels)
        with_total = not self.final and ncols > 1
        tags: list[int | str] = [*range(ncols), *(["all"] if with_total else [])]
        lt = _results_problem(keys, exam_keys, dist, exams, ncols, tags)
        hidden = await asyncio.to_thread(lambda: lt.solve(min_n=self.k))  # CPU: off the loop
        value_of = {i.key: i.value for i in lt.items}

        def label_of(tag: int | str) -> str:
            return self.total if tag == "all" else self.labels[int(tag)]

        def cell(
            key: Hashable,
            tag: int | str,
            group: str,
            measure: str,
            cat: str = "",
            unit: str = "count",
        ) -> Cell:
            v = value_of[key]
            value: float | int = int(v) if unit == "count" else round(float(v), 1)
            return Cell(value, key in hidden, label_of(tag), group, measure, cat, unit)

        header = [self.tr("report.results.credits"), *self.labels] + (
            [self.total] if with_total else []
        )
        table = Table(
            key="results_distribution",
            caption=self.tr("report.results.distribution_caption"),
            columns=header,
            withheld=lt.withheld,
        )
        for i, k in enumerate(keys):
            name = (
                self.tr("report.results.no_credits")
                if k == "none"
                else _fmt_credits(float(k), self.loc)
            )
            row = [cell(("d", i, j), j, name, "credits_achieved", k) for j in range(ncols)]
            if with_total:
                row.append(cell(("d_row", i), "all", name, "credits_achieved", k))
            table.rows.append((name, row))
        for measure, unit in (
            ("recorded", "count"),
            ("with_credits", "count"),
            ("total_credits", "credits"),
            ("mean_credits", "credits"),
        ):
            name = self.tr(f"report.results.{measure}")
            table.rows.append(
                (name, [cell((measure, tag), tag, "", measure, unit=unit) for tag in tags])
            )
        exam_table = Table(
            key="results_exams",
            caption=self.tr("report.results.exam_caption"),
            columns=[self.tr("report.results.exam"), *self.labels]
            + ([self.total] if with_total else []),
            withheld=lt.withheld,
        )
        for i, code in enumerate(exam_keys):
            name = self.tr(f"report.results.exam.{code}")
            row = [cell(("e", i, j), j, name, "exam_result", code) for j in range(ncols)]
            if with_total:
                row.append(cell(("e_row", i), "all", name, "exam_result", code))
            exam_table.rows.append((name, row))
        for tb in (table, exam_table):
            if tb.withheld:
                tb.note = self.tr("report.withheld", k=self.k)
        section.tables += [table, exam_table]
        return section

    def _result_counts(
        self,
    ) -> tuple[list[str], dict[tuple[str, int], int], dict[tuple[str, int], int]]:
        """(credit value rows, people per credit value and column, per exam result and column)."""
        values: set[float] = set()
        dist: dict[tuple[str, int], int] = defaultdict(int)
        exams: dict[tuple[str, int], int] = defaultdict(int)
        for j, col in enumerate(self.columns):
            for e in self.rows_of(col):
                if not rules.result_in(e, col.window):
                    continue
                if e.credits is not None:
                    values.add(float(e.credits))
                    dist[(f"{float(e.credits):g}", j)] += 1
                else:
                    dist[("none", j)] += 1
                exams[(e.exam_result or "none", j)] += 1
        keys = [f"{v:g}" for v in sorted(values, reverse=True)]
        if any(k == "none" for k, _ in dist):
            keys.append("none")
        return keys, dist, exams


def _results_problem(
    keys: list[str],
    exam_keys: list[str],
    dist: dict[tuple[str, int], int],
    exams: dict[tuple[str, int], int],
    ncols: int,
    tags: list[int | str],
) -> LinearTable:
    """The results section as one system: distribution, sums, mean and exam results."""
    credit_of = {k: (0.0 if k == "none" else float(k)) for k in keys}
    with_total = "all" in tags
    lt = LinearTable()
    d_ids = [[lt.atom(dist.get((k, j), 0)) for j in range(ncols)] for k in keys]
    e_ids = [[lt.atom(exams.get((k, j), 0)) for j in range(ncols)] for k in exam_keys]
    for prefix, ids in (("d", d_ids), ("e", e_ids)):
        for i, row in enumerate(ids):
            for j in range(ncols):
                lt.publish((prefix, i, j), [row[j]])
            if with_total:
                lt.publish((f"{prefix}_row", i), row)
    for tag in tags:
        js = list(range(ncols)) if tag == "all" else [int(tag)]
        cells = [(d_ids[i][j], credit_of[keys[i]]) for i in range(len(keys)) for j in js]
        recorded = [a for a, _ in cells]
        lt.publish(("recorded", tag), recorded)
        # Structural: the exam table's columns hold the same people as the distribution's.
        same = {a: 1.0 for a in recorded}
        for row in e_ids:
            for j in js:
                same[row[j]] = same.get(row[j], 0.0) - 1.0
        lt.publish(("same_people", tag), same, count=False, fixed=True, value=0.0)
        paid = {a: v for a, v in cells if v > 0}
        lt.publish(("with_credits", tag), list(paid))
        lt.publish(("total_credits", tag), paid, count=False)
        lt.publish(
            ("mean_credits", tag),
            paid,
            den=recorded,
            tol=0.05,
            count=False,
            hide_with=("recorded", tag),
        )
    return lt
