"""The enrolment section and the one-page summary with earlier years."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.report.model import NOT_OPENED, Cell, Chart, ReportSection, Table
from bot.report.sections.base import SectionBase
from bot.report.tables import Column, _pct
from storage.queries import report as q


class EnrolmentSections(SectionBase):
    async def enrolment(self) -> ReportSection:
        measures = self.MEASURES
        table = Table(
            key="enrolment",
            caption=self.tr("report.enrolment.caption", year=self._period()),
            columns=[
                self.tr("report.cohort" if not self.final else "report.year"),
                *(self.tr(f"report.enrolment.{m}") for m in measures),
                self.tr("report.enrolment.completion_rate"),
            ],
        )
        cols = [*self.columns, *([self.total_col] if self.total_col else [])]
        self.headline = {m: [] for m in measures}
        for col in cols:
            values = self._figures(col)
            for m in measures:
                self.headline.setdefault(m, []).append(values[m])
            cells = [Cell(values[m], False, col.label, "", m) for m in measures]
            cells.append(self._rate_cell(values, col.label, ""))
            table.rows.append((col.label, cells))
        note = self.tr("report.enrolment.note")
        if any(self.headline.get("outcome_missing", [])):
            note += " " + self.tr("report.enrolment.outcome_missing_note")
        table.note = note
        chart = Chart(
            key="enrolment",
            title=self.tr("report.enrolment.chart"),
            categories=[self.tr(f"report.enrolment.{m}") for m in measures[:6]],
            series=[
                (col.label, [float(self._figures(col)[m]) for m in measures[:6]])
                for col in self.columns
            ],
            value_label=self.tr("report.people"),
        )
        return ReportSection(
            key="enrolment",
            title=self.tr("report.section.enrolment"),
            intro=self.tr("report.enrolment.intro"),
            tables=[table],
            charts=[chart] if self.columns else [],
        )

    # --- the one-page summary, with earlier years beside this one ----------------------------

    async def summary(self, history: list[tuple[str, Column]]) -> ReportSection:
        """Key figures for each year (or the period) side by side, earlier years first."""
        measures = ("applicants", "started", "participants", "completed", "dropouts")
        table = Table(
            key="summary",
            caption=self.tr("report.summary.caption"),
            columns=[self.tr("report.summary.figure"), *(label for label, _ in history)],
        )
        figures = [self._figures(col) for _, col in history]
        rates = await self._response_rates([col for _, col in history])
        for m in measures:
            table.rows.append(
                (
                    self.tr(f"report.enrolment.{m}"),
                    [
                        Cell(f[m], False, label, "", m)
                        for f, (label, _) in zip(figures, history, strict=True)
                    ],
                )
            )
        table.rows.append(
            (
                self.tr("report.enrolment.completion_rate"),
                [
                    self._rate_cell(f, label, "")
                    for f, (label, _) in zip(figures, history, strict=True)
                ],
            )
        )
        table.rows.append(
            (
                self.tr("report.summary.response_rate"),
                [
                    Cell(
                        _pct(answered, invited),
                        False,
                        label,
                        "",
                        "pulse_response_rate",
                        unit="percent",
                        missing="" if invited else NOT_OPENED,
                    )
                    for (invited, answered), (label, _) in zip(rates, history, strict=True)
                ],
            )
        )
        intro = self.tr("report.summary.intro")
        if len(history) == 1 and not self.final:
            intro += " " + self.tr("report.summary.no_history")
        return ReportSection(
            key="summary", title=self.tr("report.section.summary"), intro=intro, tables=[table]
        )

    async def _response_rates(self, cols: list[Column]) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for col in cols:
            pulses = await q.list_report_pulses(
                session=self.session,
                cohort_ids=sorted(col.cohort_ids),
                opens_from=datetime(col.window.first.year, 1, 1, tzinfo=UTC),
                opens_before=datetime(col.window.last.year + 1, 1, 1, tzinfo=UTC),
            )
            ids = [p.id for p in pulses if p.cohort_id in col.cohort_ids]
            invited = answered = 0
            if ids:
                for r in await q.participation_counts(session=self.session, pulse_ids=ids):
                    invited += int(r.invited)
                    answered += int(r.answered or 0)
            out.append((invited, answered))
        return out
