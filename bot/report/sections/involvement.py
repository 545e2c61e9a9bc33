"""Line managers' involvement per nudge, and the networks."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from bot.report.model import NO_DENOMINATOR, NOT_SENT, Cell, ReportSection, Table
from bot.report.sections.base import SectionBase, _day, _in_window, _median
from bot.report.tables import _pct
from storage.queries import report as q


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
                answered = [a for a in sent if a.answer is not None]
                done = [a for a in sent if a.answer == "done"]
                hours = sorted(
                    (a.answered_at - (a.sent_at or a.send_at)).total_seconds() / 3600
                    for a in answered
                    if a.answered_at is not None
                )
                median = _median(hours)
                table.rows.append(
                    (
                        title,
                        [
                            Cell(len(sent), False, label, title, m, "participants"),
                            Cell(
                                len({a.manager_id for a in sent}),
                                False,
                                label,
                                title,
                                m,
                                "managers",
                            ),
                            Cell(
                                _pct(len(answered), len(sent)),
                                False,
                                label,
                                title,
                                m,
                                "answered",
                                "percent",
                            ),
                            Cell(
                                _pct(len(done), len(sent)),
                                False,
                                label,
                                title,
                                m,
                                "done",
                                "percent",
                            ),
                            Cell(
                                median,
                                False,
                                label,
                                title,
                                m,
                                "median_hours",
                                "hours",
                                "" if median is not None else NO_DENOMINATOR,
                            ),
                            Cell(
                                sum(1 for a in sent if a.escalated_at is not None),
                                False,
                                label,
                                title,
                                m,
                                "escalated",
                            ),
                        ],
                    )
                )
            if table.rows:
                section.tables.append(table)
        if not section.tables:
            section.intro += " " + self.tr("report.no_data")
        return section

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
        for r in rows:
            cohort = self.name_of.get(r.cohort_id, self.tr("report.alumni"))
            m = f"network:{r.network_id}"
            table.rows.append(
                (
                    r.name,
                    [
                        Cell(int(r.rounds), False, cohort, r.name, m, "rounds"),
                        Cell(int(r.checkins), False, cohort, r.name, m, "checkins"),
                        Cell(
                            _pct(int(r.met), int(r.checkins)),
                            False,
                            cohort,
                            r.name,
                            m,
                            "met",
                            "percent",
                            "" if int(r.checkins) else NO_DENOMINATOR,
                        ),
                    ],
                )
            )
        section.tables.append(table)
        return section
