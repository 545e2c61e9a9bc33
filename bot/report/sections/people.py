"""Participants by background and by geography."""

from __future__ import annotations

from collections import defaultdict

from bot.report import rules
from bot.report.model import Cell, ReportSection, Table
from bot.report.sections.base import SectionBase
from bot.report.tables import _Grid, _label, grid_table


class PeopleSections(SectionBase):
    def _dimension(
        self, column: str, section: str, caption_key: str | None = None, *, whole: bool = False
    ) -> Table:
        """Participants by one column, per cohort (or year); `whole`: for all of them at once.

        Places with many values (workplaces, municipalities) are counted `whole`: per cohort
        nearly every cell would be a small group, hidden anyway, and far slower to protect.
        """
        columns = self.columns
        if whole and len(self.columns) > 1 and self.total_col is not None:
            columns = [self.total_col]
        counts: dict[tuple[str, int], int] = defaultdict(int)
        for j, col in enumerate(columns):
            for e in self.rows_of(col):
                if rules.participant_in(e, col.window):
                    counts[(_label(getattr(e, column), self.loc), j)] += 1
        keys = sorted(
            {k for k, _ in counts},
            key=lambda v: (-sum(counts[(v, j)] for j in range(len(columns))), v),
        )
        if columns is self.columns:
            grid = self._grid(row_keys=keys, counts=counts, total_measure="participants")
        else:
            grid = _Grid(
                keys,
                [c.label for c in columns],
                counts,
                column_totals=[self.headline["participants"][-1]],
                total_column=False,
                fixed_totals=True,
            )
            grid.solve(self.k)
        table = grid_table(
            grid,
            key=f"{section}_{column}",
            caption=self.tr(caption_key or f"report.background.{column}"),
            row_label=self.tr(f"report.background.{column}.label"),
            row_names=keys,
            measure=column,
            total_label=self.total,
        )
        if table.withheld:
            table.note = self.tr("report.withheld", k=self.k)
        return table

    async def background(self) -> ReportSection:
        tables = [
            self._dimension(c, "background", whole=c == "workplace")
            for c in ("position", "gender", "workplace", "service_area", "education")
        ]
        return ReportSection(
            key="background",
            title=self.tr("report.section.background"),
            intro=self.tr("report.background.intro"),
            tables=tables,
        )

    async def geography(self) -> ReportSection:
        county = self._dimension("county", "geography")
        # Municipalities represented per county: a count of places, shown only where the county's
        # participants are shown (the number of places is a lower bound on the people).
        shown_total: dict[str, bool] = {}
        for header, cells in county.rows:
            shown_total[header] = bool(cells) and not cells[-1].suppressed
        places: dict[str, set[str]] = defaultdict(set)
        for col in self.columns:
            for e in self.rows_of(col):
                if rules.participant_in(e, col.window) and e.municipality:
                    places[_label(e.county, self.loc)].add(e.municipality.strip())
        munis = Table(
            key="geography_municipalities",
            caption=self.tr("report.geography.municipalities_caption"),
            columns=[
                self.tr("report.background.county.label"),
                self.tr("report.geography.municipalities"),
            ],
        )
        label_all = self.total
        for name in sorted(places):
            hide = not shown_total.get(name, False)
            munis.rows.append(
                (name, [Cell(len(places[name]), hide, label_all, name, "municipalities", name)])
            )
        every = set().union(*places.values()) if places else set()
        munis.rows.append(
            (label_all, [Cell(len(every), False, label_all, label_all, "municipalities")])
        )
        municipality = self._dimension(
            "municipality", "geography", "report.background.municipality", whole=True
        )
        return ReportSection(
            key="geography",
            title=self.tr("report.section.geography"),
            intro=self.tr("report.geography.intro"),
            tables=[county, munis, municipality],
        )
