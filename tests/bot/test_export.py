"""Exports are inert: no cell of the annual report (XLSX, CSV) or the evaluator CSV can run as a
formula, whatever people typed into the names the report shows."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.export import FORMULA_START, csv_text, inert
from bot.report import build_annual_report
from bot.report.render import render_csv, render_xlsx
from bot.results import evaluator_rows, render_evaluator_csv
from bot.settings import Settings
from storage.db import Database
from storage.models import EnrolmentStatus
from tests.utils.factories import (
    create_class,
    create_cohort,
    create_person,
    create_programme,
    create_pulse,
    enrol,
)

FORMULAS = [
    '=HYPERLINK("http://evil.invalid","klikk")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
]
NOW = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def open_settings(settings: Settings) -> Settings:
    """min_group_size 2, so the hostile names show in the tables instead of being hidden."""
    return settings.model_copy(update={"min_group_size": 2})


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_text_gets_a_quote_and_numbers_stay_numbers(value: str) -> None:
    assert inert(value) == "'" + value
    assert inert(-2) == -2 and inert(2.5) == 2.5 and inert(None) is None
    assert inert("Kull 2026") == "Kull 2026"
    assert csv_text(["a"], [[value]]).splitlines()[1].lstrip('"').startswith("'")


async def _hostile_fixture(db: Database) -> None:
    async with db.transaction() as s:
        prog = await create_programme(s, name=FORMULAS[0])
        cohort = await create_cohort(
            s,
            programme=prog,
            name=FORMULAS[0],
            start_date=date(2026, 1, 10),
            end_date=date(2026, 12, 15),
        )
        klass = await create_class(s, cohort=cohort, name=FORMULAS[1])
        for i in range(6):
            person = await create_person(
                s,
                slack_user_id=f"U{i:04d}",
                gender=FORMULAS[3],
                municipality=FORMULAS[2],
                county=FORMULAS[4],
                position=FORMULAS[5],
                service_area=FORMULAS[6],
                education=FORMULAS[0],
            )
            await enrol(
                s,
                person=person,
                cohort=cohort,
                cls=klass,
                status=EnrolmentStatus.ACTIVE,
                started_on=date(2026, 1, 10),
            )
        await create_pulse(
            s, cohort=cohort, title=FORMULAS[0], opens_at=datetime(2026, 3, 1, tzinfo=UTC)
        )


def _assert_inert_cells(cells: list[Any]) -> None:
    live = [c for c in cells if isinstance(c, str) and c.startswith(FORMULA_START)]
    assert live == []


async def test_formulas_in_peoples_words_are_dead_in_the_xlsx_report(
    db: Database, open_settings: Settings
) -> None:
    await _hostile_fixture(db)
    async with db.session() as s:
        report = await build_annual_report(s, year=2026, settings=open_settings, now=NOW)
    data = render_xlsx(report)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert sheets
        assert all(
            "<f>" not in z.read(n).decode() and "<f " not in z.read(n).decode() for n in sheets
        )
    wb = load_workbook(io.BytesIO(data))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    _assert_inert_cells([c.value for c in cells])
    assert any(c.value == "'" + FORMULAS[0] for c in cells)  # shown as written, after the quote


async def test_formulas_in_peoples_words_are_dead_in_the_csv_report(
    db: Database, open_settings: Settings
) -> None:
    await _hostile_fixture(db)
    async with db.session() as s:
        report = await build_annual_report(s, year=2026, settings=open_settings, now=NOW)
    rows = list(csv.reader(io.StringIO(render_csv(report))))
    _assert_inert_cells([c for r in rows for c in r])
    assert any("'" + FORMULAS[0] == c for r in rows for c in r)


async def test_formulas_in_peoples_words_are_dead_in_the_evaluator_csv(
    db: Database, open_settings: Settings
) -> None:
    await _hostile_fixture(db)
    async with db.session() as s:
        rows = await evaluator_rows(s, year=2026, settings=open_settings)
    parsed = list(csv.reader(io.StringIO(render_evaluator_csv(rows))))
    _assert_inert_cells([c for r in parsed for c in r])
    assert any(c.startswith("'") for r in parsed for c in r)
