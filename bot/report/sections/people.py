"""Participants by background and by geography."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from bot.report import rules
from bot.report.model import Cell, ReportSection, Table
from bot.report.sections.base import SectionBase
from bot.report.tables import Column, _Grid, _label, grid_table
from bot.suppression import LinearTable


class PeopleSections(SectionBase):
    def _counts(
        self, column: str, *, whole: bool
    ) -> tuple[list[Column], list[str], dict[tuple[str, int], int]]:
        """(columns, row keys by size, participants per key and column) for one person column.

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
        return columns, keys, counts

    def _dimension_grid(
        self,
        column: str,
        *,
        whole: bool = False,
        lt: LinearTable | None = None,
        prefix: str = "",
    ) -> _Grid:
        """The grid of one person column; rows are listed only where someone is (>= 1)."""
        columns, keys, counts = self._counts(column, whole=whole)
        own = columns is self.columns
        return _Grid(
            keys,
            [c.label for c in columns],
            counts,
            column_totals=(
                self._col_totals("participants") if own else [self.headline["participants"][-1]]
            ),
            total_column=own and not self.final,
            fixed_totals=True,
            lt=lt,
            prefix=prefix,
            listed=True,
        )

    def _dimension_table(
        self, grid: _Grid, column: str, section: str, caption_key: str | None = None
    ) -> Table:
        table = grid_table(
            grid,
            key=f"{section}_{column}",
            caption=self.tr(caption_key or f"report.background.{column}"),
            row_label=self.tr(f"report.background.{column}.label"),
            row_names=grid.rows,
            measure=column,
            total_label=self.total,
        )
        if table.withheld:
            table.note = self.tr("report.withheld", k=self.k)
        return table

    def _dimension(
        self, column: str, section: str, caption_key: str | None = None, *, whole: bool = False
    ) -> Table:
        """Participants by one column, per cohort (or year); `whole`: for all of them at once.

        Each such table is solved on its own with the headline participants as its fixed
        totals: two tables of the same people by different columns (gender, position) print
        only their margins, and any margins with the same total fit together in whole numbers,
        so one table's cells say nothing about the other's hidden ones.
        """
        grid = self._dimension_grid(column, whole=whole)
        grid.solve(self.k)
        return self._dimension_table(grid, column, section, caption_key)

    def _solved_geography(self) -> tuple[_Grid, _Grid]:
        county, muni = self._geography_grids()
        hidden = county.solve(self.k)
        muni.hidden = hidden if muni.lt is county.lt else muni.solve(self.k)
        return county, muni

    def _geography_grids(self) -> tuple[_Grid, _Grid]:
        """Counties and municipalities as ONE system: a county's participants are the sum of
        its municipalities', so a hidden municipality must not follow from its county's total
        and its shown neighbours (nor a hidden county from its municipalities)."""
        lt = LinearTable(network=True)
        county = self._dimension_grid("county", lt=lt, prefix="county")
        muni = self._dimension_grid("municipality", whole=True, lt=lt, prefix="municipality")
        if self.final and len(self.columns) > 1:
            return county, muni  # years overlap in people: no sum links the two tables
        window = self.total_col.window if self.total_col is not None else self.window
        cols = [self.total_col] if self.total_col is not None else self.columns
        split: dict[tuple[str, str], int] = defaultdict(int)
        for col in cols:
            for e in self.rows_of(col):
                if rules.participant_in(e, window):
                    c, m = _label(e.county, self.loc), _label(e.municipality, self.loc)
                    split[(c, m)] += 1
        counties_of: dict[str, list[str]] = defaultdict(list)
        for c, m in split:
            counties_of[m].append(c)
        # A municipality in one county: its cell is that county's share; in several (unknown,
        # or a data error): split into unknowns the attacker does not see.
        share: dict[tuple[str, str], int] = {}
        for r, m in enumerate(muni.rows):
            atom = muni.ids[r][0]
            if len(counties_of[m]) == 1:
                share[(counties_of[m][0], m)] = atom
                continue
            parts = {c: lt.atom(split[(c, m)]) for c in counties_of[m]}
            share.update({(c, m): a for c, a in parts.items()})
            link = {atom: 1.0, **{a: -1.0 for a in parts.values()}}
            lt.publish(("split", m), link, count=False, fixed=True, value=0.0)
        for i, c in enumerate(county.rows):
            link = {a: 1.0 for a in county.ids[i]}
            for (cc, _m), a in share.items():
                if cc == c:
                    link[a] = link.get(a, 0.0) - 1.0
            lt.publish(("county_sum", c), link, count=False, fixed=True, value=0.0)
        return county, muni

    async def background(self) -> ReportSection:
        tables = await asyncio.to_thread(  # equation solving: off the event loop
            lambda: [
                self._dimension(c, "background", whole=c == "workplace")
                for c in ("position", "gender", "workplace", "service_area", "education")
            ]
        )
        return ReportSection(
            key="background",
            title=self.tr("report.section.background"),
            intro=self.tr("report.background.intro"),
            tables=tables,
        )

    async def geography(self) -> ReportSection:
        county_grid, muni_grid = await asyncio.to_thread(self._solved_geography)
        county = self._dimension_table(county_grid, "county", "geography")
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
        municipality = self._dimension_table(
            muni_grid, "municipality", "geography", "report.background.municipality"
        )
        return ReportSection(
            key="geography",
            title=self.tr("report.section.geography"),
            intro=self.tr("report.geography.intro"),
            tables=[county, munis, municipality],
        )
