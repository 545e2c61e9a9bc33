"""When and why people withdrew (reasons from the fixed list only)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import date, datetime

from bot.enrolment_status import WITHDRAWAL_REASONS, reason_label
from bot.report import rules
from bot.report.model import ReportSection
from bot.report.sections.base import SectionBase
from bot.report.tables import grid_table
from storage.queries import report as q


class DropoutSection(SectionBase):
    def _interval(self, withdrawn_on: date | None, started: bool, starts: list[datetime]) -> str:
        if not started:
            return "before_start"
        if withdrawn_on is None:
            return "unknown"
        done = sum(1 for s in starts if s.date() <= withdrawn_on)
        if done == 0:
            return "before_first"
        if done >= len(starts):
            return "after_last"
        return f"between_{done}_{done + 1}"

    def _interval_name(self, code: str) -> str:
        if code.startswith("between_"):
            _, a, b = code.split("_")
            return self.tr("report.dropout.between", a=int(a), b=int(b))
        if code == "unknown":
            return self.tr("report.unknown")
        return self.tr(f"report.dropout.{code}")

    async def dropout(self) -> ReportSection:
        starts: dict[int, list[datetime]] = defaultdict(list)
        for s in await q.list_session_starts(session=self.session, cohort_ids=self.ids):
            starts[s.cohort_id].append(s.starts_at)
        when: dict[tuple[str, int], int] = defaultdict(int)
        why: dict[tuple[str, int], int] = defaultdict(int)
        for j, col in enumerate(self.columns):
            for e in self.rows_of(col):
                if not rules.withdrawn_in(e, col.window):
                    continue
                code = self._interval(e.withdrawn_on, rules.started(e), starts[e.cohort_id])
                when[(code, j)] += 1
                why[(e.reason if e.reason in WITHDRAWAL_REASONS else "not_stated", j)] += 1
        max_sessions = max((len(v) for v in starts.values()), default=0)
        order = ["before_start", "before_first"]
        order += [f"between_{i}_{i + 1}" for i in range(1, max_sessions)]
        order += ["after_last", "unknown"]
        present = {code for code, _ in when}
        when_rows = [c for c in order if c in present or c in ("before_start", "before_first")]
        intro = self.tr("report.dropout.intro")
        if not sum(self._col_totals("withdrawn")):
            intro += " " + self.tr("report.dropout.none")
            return ReportSection(
                key="dropout", title=self.tr("report.section.dropout"), intro=intro
            )
        # Solving the equations is CPU work: in a worker thread, off the event loop.
        g_when, g_why = await asyncio.to_thread(
            lambda: (
                self._grid(row_keys=when_rows, counts=when, total_measure="withdrawn"),
                self._grid(
                    row_keys=list(WITHDRAWAL_REASONS), counts=why, total_measure="withdrawn"
                ),
            )
        )
        tables = [
            grid_table(
                g_when,
                key="dropout_when",
                caption=self.tr("report.dropout.when_caption"),
                row_label=self.tr("report.dropout.interval"),
                row_names=[self._interval_name(c) for c in when_rows],
                measure="withdrawn",
                total_label=self.total,
            ),
            grid_table(
                g_why,
                key="dropout_why",
                caption=self.tr("report.dropout.why_caption"),
                row_label=self.tr("report.dropout.reason"),
                row_names=[reason_label(c, self.loc) for c in WITHDRAWAL_REASONS],
                measure="withdrawn_reason",
                total_label=self.total,
                note=self.tr("report.dropout.reasons_note"),
            ),
        ]
        for tb in tables:
            if tb.withheld:
                tb.note = ((tb.note or "") + " " + self.tr("report.withheld", k=self.k)).strip()
        return ReportSection(
            key="dropout", title=self.tr("report.section.dropout"), intro=intro, tables=tables
        )
