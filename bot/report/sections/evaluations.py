"""Participant evaluations: every pulse that opened in the period, suppressed per question."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from bot.reach import CHANNELS, reach_figures
from bot.report.model import SCALE_KINDS, Cell, Chart, ReportSection, Table
from bot.report.pulses import QuestionFigures, protect_pulses, pulse_figures
from bot.report.sections.base import SectionBase
from bot.report.tables import _pct
from storage.queries import reach as reach_q
from storage.queries import report as q


class EvaluationsSection(SectionBase):
    async def evaluations(self) -> ReportSection:
        """Every pulse that opened in the period (an answer counts in the year its pulse opened:
        no time of answering is kept). A pulse planned in the period but not opened yet is named
        in the intro, not shown as a 0 % response rate."""
        start = datetime(self.window.first.year, 1, 1, tzinfo=UTC)
        end = datetime(self.window.last.year + 1, 1, 1, tzinfo=UTC)
        planned = await q.list_report_pulses(
            session=self.session, cohort_ids=self.ids, opens_from=start, opens_before=end
        )
        opened = {
            r.pulse_id
            for r in await q.list_pulse_openings(
                session=self.session, pulse_ids=[p.id for p in planned]
            )
        }
        pulses = [p for p in planned if p.id in opened]
        waiting = [p for p in planned if p.id not in opened]
        section = ReportSection(
            key="evaluations",
            title=self.tr("report.section.evaluations"),
            intro=self.tr("report.evaluations.intro", k=self.k),
        )
        if waiting:
            section.intro += " " + self.tr(
                "report.evaluations.not_opened",
                count=len(waiting),
                titles=", ".join(p.title for p in waiting),
            )
        if not pulses:
            return section
        pulse_ids = [p.id for p in pulses]
        figures = await pulse_figures(self.session, pulse_ids, min_n=self.k)
        await protect_pulses(figures, min_n=self.k)
        class_names = {
            c.id: c.name for c in await q.list_classes(session=self.session, cohort_ids=self.ids)
        }
        reached = await reach_q.pulse_reach(session=self.session, pulse_ids=pulse_ids)
        namer = self._group_namer(class_names)
        # Solving each reach table's equations is CPU work: in a worker thread, off the loop.
        reach_tables = await asyncio.to_thread(
            lambda: {
                p.id: self._reach_table(
                    p,
                    self.name_of.get(p.cohort_id, self.tr("report.alumni")),
                    reached.get(p.id or 0, {}),
                    figures[p.id],
                    namer,
                )
                for p in pulses
            }
        )
        means: dict[int | None, list[tuple[int, float | None]]] = defaultdict(list)
        for p in pulses:
            cohort = self.name_of.get(p.cohort_id, self.tr("report.alumni"))
            kind = self.tr(
                "report.evaluations.anonymous" if p.anonymous else "report.evaluations.named"
            )
            pf = figures[p.id]
            group_name = self._group_namer(class_names)
            resp = Table(
                key=f"pulse_{p.id}_response",
                caption=self.tr(
                    "report.evaluations.response_caption", title=p.title, cohort=cohort, kind=kind
                ),
                columns=[
                    self.tr("report.group"),
                    self.tr("report.evaluations.invited"),
                    self.tr("report.evaluations.answered"),
                    self.tr("report.evaluations.rate"),
                ],
            )
            for cid, (inv, ans) in pf.participation_rows():
                g = group_name(cid)
                resp.rows.append(
                    (
                        g,
                        [
                            Cell(inv, False, cohort, g, f"pulse:{p.key}:invited"),
                            Cell(ans, False, cohort, g, f"pulse:{p.key}:answered"),
                            Cell(
                                _pct(ans, inv),
                                False,
                                cohort,
                                g,
                                f"pulse:{p.key}:response_rate",
                                unit="percent",
                            ),
                        ],
                    )
                )
            section.tables.append(resp)
            reach_table = reach_tables[p.id]
            if reach_table is not None:
                section.tables.append(reach_table)
            for qn in pf.questions:
                section.tables.append(self._question_table(p, cohort, qn, group_name))
                if qn.kind == "scale5" and qn.position == min(
                    x.position for x in pf.questions if x.kind == "scale5"
                ):
                    means[p.cohort_id].append(
                        (qn.total.n, qn.total.mean if not qn.total.hidden else None)
                    )
        # One chart for the year: each cohort's mean on the first scale question of its pulses,
        # weighted by answers and using only totals that are shown (one chart per cohort would
        # repeat the tables and cost a second each to draw).
        labels: list[str] = []
        values: list[float | None] = []
        for cohort_id, points in means.items():
            shown = [(n, m) for n, m in points if m is not None]
            answers = sum(n for n, _ in shown)
            if answers:
                labels.append(self.name_of.get(cohort_id or 0, self.tr("report.alumni")))
                values.append(round(sum(n * m for n, m in shown) / answers, 2))
        if labels:
            section.charts.append(
                Chart(
                    key="evaluation_means",
                    title=self.tr("report.evaluations.chart"),
                    categories=labels,
                    series=[(self.tr("report.evaluations.mean"), values)],
                    value_label=self.tr("report.evaluations.mean"),
                    horizontal=True,
                    value_max=5.0,
                )
            )
        return section

    def _reach_table(
        self,
        p: Any,
        cohort: str,
        counts: dict[tuple[int | None, str], int],
        pf: Any,
        group_name: Any,
    ) -> Table | None:
        """Per class, how many of the pulse's audience were asked on Slack, in Teams, by email,
        and how many nothing reached: counts recorded when it opened (`pulse_reach`),
        suppressed with the invited counts of the response table as fixed equations."""
        if not counts:
            return None  # opened before reach was recorded
        figures = reach_figures(counts, min_n=self.k, invited=pf.invited)
        table = Table(
            key=f"pulse_{p.id}_reach",
            caption=self.tr("report.evaluations.reach_caption", title=p.title, cohort=cohort),
            columns=[self.tr("report.group")] + [self.tr(f"reach.channel.{c}") for c in CHANNELS],
        )
        for group, cells in figures.rows:
            g = group_name(group)
            table.rows.append(
                (
                    g,
                    [
                        Cell(cells[c][0], cells[c][1], cohort, g, f"pulse:{p.key}:reach", c)
                        for c in CHANNELS
                    ],
                )
            )
        return table

    def _group_namer(self, class_names: dict[int, str]) -> Any:
        def name(class_id: int | str | None) -> str:
            if class_id == "total":
                return self.tr("report.whole_cohort")
            if class_id is None:
                return self.tr("report.no_class")
            return class_names.get(int(class_id), str(class_id))

        return name

    def _question_table(self, p: Any, cohort: str, qn: QuestionFigures, group_name: Any) -> Table:
        cats = qn.categories
        labels = qn.category_labels
        columns = [self.tr("report.group"), "n", *labels]
        if qn.kind in SCALE_KINDS:
            columns.append(self.tr("report.evaluations.mean"))
        if qn.kind == "nps":
            columns.append(self.tr("report.evaluations.nps"))
        table = Table(
            key=f"pulse_{p.id}_q{qn.position}",
            caption=self.tr(
                "report.evaluations.question_caption",
                title=p.title,
                cohort=cohort,
                number=qn.position,
                text=qn.text,
            )
            + (self.tr("report.evaluations.directorate") if qn.directorate else ""),
            columns=columns,
        )
        measure = f"pulse:{p.key}:q{qn.position}"
        origin = "directorate" if qn.directorate else ""
        for gid, g in [*qn.groups.items(), ("total", qn.total)]:
            label = group_name(gid)
            cells = [Cell(g.n, g.hidden, cohort, label, measure, "n", origin=origin)]
            cells += [
                Cell(g.counts.get(c, 0), g.hidden, cohort, label, measure, lab, origin=origin)
                for c, lab in zip(cats, labels, strict=True)
            ]
            if qn.kind in SCALE_KINDS:
                cells.append(
                    Cell(g.mean, g.hidden, cohort, label, measure, "mean", "mean", origin=origin)
                )
            if qn.kind == "nps":
                cells.append(
                    Cell(g.nps, g.hidden, cohort, label, measure, "nps", "score", origin=origin)
                )
            table.rows.append((label, cells))
        if qn.text_answers:
            # No count here: it would give away a hidden n.
            table.note = self.tr("report.evaluations.text_note")
        return table
