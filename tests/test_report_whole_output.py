"""The attacker who solves the equations of the WHOLE annual report at once (issue 12).

Not table by table: every count table of people in the report (background, geography,
dropout) becomes one system of unknowns, with everything an outsider knows from the output
alone — each shown cell, each shown row, column and grand total, the headline participants and
withdrawn per cohort (the enrolment table), that a listed row has at least one person, and the
public fact of which county each municipality is in (a county's participants are its
municipalities' sum). For every hidden small cell (1..k-1 people) the attacker's whole-number
range, solved as a mixed-integer programme written in tests/utils/attacker.py (not
bot.suppression's solver), must be at least k-1 wide.

The scenario is built so that solving tables one by one leaks: Modalen (2 participants) hides
in the municipality table behind another small place, but Vestland's total minus Bergen gives
it back. `test_tables_solved_one_by_one_leak_the_small_municipality` keeps that attack honest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any

import pytest

from bot.report import build_annual_report
from bot.report.model import AnnualReport, Cell
from bot.report.sections.people import PeopleSections
from bot.settings import Settings
from storage.db import Database
from tests.utils.attacker import Equation, equal, integer_range
from tests.utils.factories import create_cohort, create_person, create_programme, enrol

NOW = datetime(2027, 2, 1, tzinfo=UTC)
K = 5
TOTAL = "Totalt"
COUNTY_OF = {
    "Bergen": "Vestland",
    "Modalen": "Vestland",
    "Tromsø": "Troms",
    "Harstad": "Troms",
    "Oslo": "Oslo",
}
# (municipality, position, gender, withdrawn reason or None) per participant, per cohort.
COHORTS = {
    "Kull Vest": [("Bergen", "Rektor", "Kvinne")] * 9
    + [("Bergen", "Avdelingsleder", "Mann")] * 6
    + [("Modalen", "Rektor", "Mann")] * 2
    + [("Oslo", "Rektor", "Kvinne")] * 7,
    "Kull Nord": [("Tromsø", "Rektor", "Kvinne")] * 8
    + [("Harstad", "Avdelingsleder", "Kvinne")] * 3
    + [("Oslo", "Avdelingsleder", "Mann")] * 6
    + [("Bergen", "Rektor", "Mann")] * 5,
}
WITHDRAWN = {"Kull Vest": ["health"] * 1 + ["workload"] * 6, "Kull Nord": ["workload"] * 2}


async def seed(db: Database) -> None:
    async with db.transaction() as s:
        prog = await create_programme(s, name="Lederutdanning")
        for name, people in COHORTS.items():
            cohort = await create_cohort(
                s, programme=prog, name=name, start_date=date(2026, 1, 10), end_date=None
            )
            for muni, position, gender in people:
                p = await create_person(
                    s, municipality=muni, county=COUNTY_OF[muni], position=position, gender=gender
                )
                await enrol(s, person=p, cohort=cohort, started_on=date(2026, 1, 10))
            for reason in WITHDRAWN[name]:
                p = await create_person(s, municipality="Oslo", county="Oslo", gender="Kvinne")
                await enrol(
                    s,
                    person=p,
                    cohort=cohort,
                    status="withdrawn",
                    started_on=date(2026, 1, 10),
                    withdrawn_on=date(2026, 5, 2),
                    reason=reason,
                )


GRID_TABLES = ("background_", "geography_county", "geography_municipality", "dropout_")


def _cells(report: AnnualReport) -> Iterator[tuple[str, Cell]]:
    for section in report.sections:
        for table in section.tables:
            if table.key.startswith(GRID_TABLES):
                for _, cells in table.rows:
                    for cell in cells:
                        yield table.key, cell


class Attacker:
    """The whole output as unknowns (one per table cell below the totals) and equations."""

    def __init__(self, report: AnnualReport) -> None:
        self.var: dict[tuple[str, str, str], int] = {}
        self.truth: dict[int, int] = {}
        self.hidden: dict[int, bool] = {}
        self.withheld = {t.key for sec in report.sections for t in sec.tables if t.withheld}
        self.eqs: list[Equation] = []
        rows: dict[str, set[str]] = defaultdict(set)
        cols: dict[str, set[str]] = defaultdict(set)
        totals: list[tuple[str, str, str, Cell]] = []
        for key, cell in _cells(report):
            if cell.group == TOTAL or (cell.cohort == TOTAL and self._has_total_col(report, key)):
                totals.append((key, cell.group, cell.cohort, cell))
                continue
            i = self.var.setdefault((key, cell.group, cell.cohort), len(self.var))
            self.truth[i] = int(cell.value or 0)
            self.hidden[i] = cell.suppressed
            rows[key].add(cell.group)
            cols[key].add(cell.cohort)
            if not cell.suppressed:
                self.eqs.append(equal({i: 1.0}, float(cell.value or 0)))
        self.rows, self.cols = rows, cols
        for key, group, cohort, cell in totals:
            members = self._members(key, group, cohort)
            if not cell.suppressed and members:
                self.eqs.append(equal(dict.fromkeys(members, 1.0), float(cell.value or 0)))
        # The headline (enrolment table, never hidden) totals every column of these tables.
        enrolment = next(t for s in report.sections for t in s.tables if t.key == "enrolment")
        headline = {label: {c.measure: c.value for c in cells} for label, cells in enrolment.rows}
        self.headline = headline
        for key in rows:
            measure = "withdrawn" if key.startswith("dropout_") else "participants"
            for cohort in cols[key]:
                value = headline[cohort][measure]
                self.eqs.append(equal(dict.fromkeys(self._members(key, TOTAL, cohort), 1.0), value))
            if not key.startswith("dropout_"):
                for group in rows[key]:  # a listed row has someone in it
                    members = self._members(key, group, TOTAL)
                    self.eqs.append(
                        Equation(dict.fromkeys(members, Fraction(1)), Fraction(1), Fraction(10**6))
                    )
        # Public knowledge: a county's participants are the sum of its municipalities'.
        for county in rows.get("geography_county", set()):
            coefs = dict.fromkeys(self._members("geography_county", county, TOTAL), 1.0)
            for muni in rows.get("geography_municipality", set()):
                if COUNTY_OF.get(muni) == county:
                    for m in self._members("geography_municipality", muni, TOTAL):
                        coefs[m] = coefs.get(m, 0.0) - 1.0
            self.eqs.append(equal(coefs, 0.0))

    @staticmethod
    def _has_total_col(report: AnnualReport, key: str) -> bool:
        table = next(t for s in report.sections for t in s.tables if t.key == key)
        return table.columns[-1] == TOTAL and len(table.columns) > 2

    def _members(self, key: str, group: str, cohort: str) -> list[int]:
        """The unknowns a total stands for: a row total (cohort = Totalt), a column total
        (group = Totalt) or the grand total."""
        return [
            i
            for (k, g, c), i in self.var.items()
            if k == key and (group == TOTAL or g == group) and (cohort == TOTAL or c == cohort)
        ]

    def leaks(self) -> list[tuple[tuple[str, str, str], int, tuple[float, float]]]:
        """Hidden small cells the attacker narrows to fewer than k possible values."""
        found = []
        for name, i in self.var.items():
            true = self.truth[i]
            if self.hidden[i] and 0 < true < K:
                lo, hi = integer_range(len(self.var), self.eqs, {i: 1}, cap=200)
                assert lo <= true <= hi, (name, true, lo, hi)
                if hi - lo >= K - 1:
                    continue
                key, _, cohort = name
                if key in self.withheld:
                    # A whole table hidden because its published total is itself small: the
                    # attacker must learn nothing beyond that total (0..total people).
                    measure = "withdrawn" if key.startswith("dropout_") else "participants"
                    if (lo, hi) == (0, self.headline[cohort][measure]):
                        continue
                found.append((name, true, (lo, hi)))
        return found


async def _report(db: Database, settings: Settings) -> AnnualReport:
    async with db.session() as s:
        return await build_annual_report(
            s, year=2026, settings=settings.model_copy(update={"min_group_size": K}), now=NOW
        )


async def test_no_hidden_small_cell_follows_from_the_whole_report(
    db: Database, settings: Settings
) -> None:
    await seed(db)
    report = await _report(db, settings)
    attacker = Attacker(report)
    small = [n for n, i in attacker.var.items() if attacker.hidden[i] and 0 < attacker.truth[i] < K]
    assert ("geography_municipality", "Modalen", TOTAL) in small
    assert len(small) >= 5  # the scenario has small cells in several tables
    assert attacker.leaks() == []


async def test_tables_solved_one_by_one_leak_the_small_municipality(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counties and municipalities solved as two separate tables (as before): the attacker
    gets Modalen's 2 back exactly from Vestland's total minus Bergen."""

    def separately(self: Any) -> tuple[Any, Any]:
        return self._dimension_grid("county"), self._dimension_grid("municipality", whole=True)

    monkeypatch.setattr(PeopleSections, "_geography_grids", separately)
    await seed(db)
    report = await _report(db, settings)
    leaks = Attacker(report).leaks()
    assert [(name, true) for name, true, _ in leaks] == [
        (("geography_municipality", "Modalen", TOTAL), 2)
    ]
    assert leaks[0][2] == (2, 2)
