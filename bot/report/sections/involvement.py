"""Line managers' involvement per nudge, and the networks, under the suppression rules.

Every row is a group of people split into categories (managers who said "done", answered
otherwise, did not answer; escalated or not — check-ins that met or did not) and is solved as
equations (`bot.report.tables.Shares`): no small number of people — printed, or only implied by
a percentage beside its total (2 of 30 managers answered) — follows from what the row shows.
A median answer time is shown only where at least the minimum answered (of fewer it tells one
manager's time).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from bot.report.model import NO_DENOMINATOR, NOT_SENT, Cell, ReportSection, Table
from bot.report.sections.base import SectionBase, _day, _in_window, _median
from bot.report.tables import Shares, _pct
from bot.suppression import is_small
from storage.queries import report as q

_ANSWERS = ("done", "other", "none")


def nudge_shares(sent: list[Any], managers: int) -> Shares:
    """The equations of one nudge's row: participants whose manager was asked, by answer and
    escalation; the managers asked as a separate count."""
    parts = {f"{a}{e}": 0 for a in _ANSWERS for e in ("", "_esc")}
    for a in sent:
        kind = "none" if a.answer is None else "done" if a.answer == "done" else "other"
        parts[kind + ("_esc" if a.escalated_at is not None else "")] += 1

    def of(*kinds: str) -> list[str]:
        return [f"{k}{e}" for k in kinds for e in ("", "_esc")]

    return Shares(
        parts=parts,
        counts={"participants": list(parts), "escalated": [p for p in parts if p.endswith("_esc")]},
        rates={"answered": of("done", "other"), "done": of("done")},
        groups={
            "answered_n": of("done", "other"),
            "not_answered_n": of("none"),
            "done_n": of("done"),
            "not_done_n": of("other", "none"),
            "other_n": of("other"),
        },
        extra={"managers": managers},
    )


def checkin_shares(checkins: int, met: int) -> Shares:
    """One network's check-ins: met or not, printed as the count and the share that met."""
    return Shares(
        parts={"met": met, "not_met": checkins - met},
        counts={"checkins": ["met", "not_met"]},
        rates={"met": ["met"]},
        groups={"met_n": ["met"], "not_met_n": ["not_met"]},
    )


class InvolvementSections(SectionBase):
    async def involvement(self) -> ReportSection:
        """Per nudge: what was sent in the period, to how many distinct line managers, answers.

        A nudge counts only once it went out (`sent_at`); one that is not due yet says so rather
        than showing 0 %. Rates are over the participants whose manager was asked.
        """
        section = ReportSection(
            key="involvement",
            title=self.tr("report.section.involvement"),
            intro=self.tr("report.involvement.intro"),
        )
        cols = (
            "participants",
            "managers",
            "share_answered",
            "share_done",
            "median_hours",
            "escalated",
        )
        rows = await q.list_nudge_sends(session=self.session, cohort_ids=self.ids)
        # Counting and solving the rows is CPU work: in a worker thread, off the event loop.
        section.tables = await asyncio.to_thread(self._involvement_tables, rows, cols)
        if not section.tables:
            section.intro += " " + self.tr("report.no_data")
        elif any(c.suppressed for tb in section.tables for _, cells in tb.rows for c in cells):
            section.intro += " " + self.tr("report.involvement.suppressed", k=self.k)
        return section

    def _involvement_tables(self, rows: list[Any], cols: tuple[str, ...]) -> list[Table]:
        tables: list[Table] = []
        by_nudge: dict[int, list[Any]] = defaultdict(list)
        for r in rows:
            by_nudge[r.nudge_id].append(r)
        for col in self.columns:
            nudges = [v for v in by_nudge.values() if v[0].cohort_id in col.cohort_ids]
            if not nudges:
                continue
            table = Table(
                key=f"involvement_{'_'.join(str(i) for i in sorted(col.cohort_ids))}",
                caption=self.tr("report.involvement.caption", cohort=col.label),
                columns=[
                    self.tr("report.involvement.nudge"),
                    *(self.tr(f"report.involvement.{x}") for x in cols),
                ],
            )
            for answers in nudges:
                first = answers[0]
                sent = [
                    a
                    for a in answers
                    if a.manager_id is not None
                    and _in_window(a.sent_at or a.answered_at, col.window)
                ]
                planned_here = col.window.holds(_day(first.send_at))
                if not sent and not planned_here:
                    continue
                m, title, label = f"nudge:{first.key}", first.title, col.label
                if not sent:
                    table.rows.append(
                        (
                            title,
                            [
                                Cell(0, False, label, title, m, "participants"),
                                Cell(0, False, label, title, m, "managers"),
                                *(
                                    Cell(None, False, label, title, m, x, u, NOT_SENT)
                                    for x, u in (
                                        ("answered", "percent"),
                                        ("done", "percent"),
                                        ("median_hours", "hours"),
                                    )
                                ),
                                Cell(0, False, label, title, m, "escalated"),
                            ],
                        )
                    )
                    continue
                table.rows.append((title, self._nudge_cells(sent, label, title, m)))
            if table.rows:
                tables.append(table)
        return tables

    def _nudge_cells(self, sent: list[Any], label: str, title: str, m: str) -> list[Cell]:
        shares = nudge_shares(sent, len({a.manager_id for a in sent}))
        hidden = shares.solve(self.k)
        answered = [a for a in sent if a.answer is not None]
        done = [a for a in sent if a.answer == "done"]
        hours = sorted(
            (a.answered_at - (a.sent_at or a.send_at)).total_seconds() / 3600
            for a in answered
            if a.answered_at is not None
        )
        # A median of fewer than the minimum is (nearly) one manager's answer time.
        median_hidden = shares.withheld or is_small(len(hours), self.k)
        median = _median(hours)
        return [
            Cell(len(sent), "participants" in hidden, label, title, m, "participants"),
            Cell(shares.extra["managers"], "managers" in hidden, label, title, m, "managers"),
            Cell(
                _pct(len(answered), len(sent)),
                "answered" in hidden,
                label,
                title,
                m,
                "answered",
                "percent",
            ),
            Cell(_pct(len(done), len(sent)), "done" in hidden, label, title, m, "done", "percent"),
            Cell(
                median,
                median_hidden and median is not None,
                label,
                title,
                m,
                "median_hours",
                "hours",
                "" if median is not None else NO_DENOMINATOR,
            ),
            Cell(
                sum(1 for a in sent if a.escalated_at is not None),
                "escalated" in hidden,
                label,
                title,
                m,
                "escalated",
            ),
        ]

    async def networks(self) -> ReportSection:
        start = datetime(self.window.first.year, 1, 1, tzinfo=UTC)
        end = datetime(self.window.last.year + 1, 1, 1, tzinfo=UTC)
        rows = await q.checkin_counts(
            session=self.session, cohort_ids=self.ids, start=start, end=end
        )
        section = ReportSection(
            key="networks",
            title=self.tr("report.section.networks"),
            intro=self.tr("report.networks.intro"),
        )
        if not rows:
            section.intro += " " + self.tr("report.no_data")
            return section
        table = Table(
            key="networks",
            caption=self.tr("report.networks.caption"),
            columns=[
                self.tr("report.networks.network"),
                self.tr("report.networks.rounds"),
                self.tr("report.networks.checkins"),
                self.tr("report.networks.met"),
            ],
        )
        solved = await asyncio.to_thread(  # equation solving: off the event loop
            lambda: [checkin_shares(int(r.checkins), int(r.met)).solve(self.k) for r in rows]
        )
        for r, hidden in zip(rows, solved, strict=True):
            cohort = self.name_of.get(r.cohort_id, self.tr("report.alumni"))
            m = f"network:{r.network_id}"
            checkins, met = int(r.checkins), int(r.met)
            table.rows.append(
                (
                    r.name,
                    [
                        # Rounds are matching rounds, not people: always shown.
                        Cell(int(r.rounds), False, cohort, r.name, m, "rounds"),
                        Cell(checkins, "checkins" in hidden, cohort, r.name, m, "checkins"),
                        Cell(
                            _pct(met, checkins),
                            "met" in hidden,
                            cohort,
                            r.name,
                            m,
                            "met",
                            "percent",
                            "" if checkins else NO_DENOMINATOR,
                        ),
                    ],
                )
            )
        if table.has_suppressed:
            table.note = self.tr("report.withheld_cells", k=self.k)
        section.tables.append(table)
        return section
