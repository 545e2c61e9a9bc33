"""The report as an XLSX workbook: one sheet per section, numbers as numbers, every cell inert."""

from __future__ import annotations

import io
import re

from bot.export import xlsx_cell, xlsx_row
from bot.messages import t
from bot.report.model import AnnualReport, Cell
from bot.suppression import SUPPRESSED_MARK
from bot.text import plain


def _sheet_title(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "", title)[:28] or "Ark"
    name, i = base, 2
    while name in used:
        name, i = f"{base[:25]} {i}", i + 1
    used.add(name)
    return name


def render_xlsx(report: AnnualReport) -> bytes:
    """Render the report as an XLSX workbook: one sheet per section, numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    used: set[str] = set()

    # Every cell through bot.export: text typed as text and never a formula.
    for s in report.sections:
        ws = wb.create_sheet(_sheet_title(s.title, used))
        # Write-only sheets take column widths before the first row: labels wide, numbers narrow.
        ws.column_dimensions["A"].width = 42
        for letter in "BCDEFGHIJKLMNOP":
            ws.column_dimensions[letter].width = 13
        ws.append([xlsx_cell(ws, plain(s.title), font=Font(bold=True, size=13))])
        if s.intro:
            ws.append([xlsx_cell(ws, plain(s.intro))])
        legend = t("report.legend", report.locale, mark=SUPPRESSED_MARK, k=report.min_group_size)
        ws.append([xlsx_cell(ws, plain(legend))])
        for tb in s.tables:
            ws.append([])
            ws.append([xlsx_cell(ws, plain(tb.caption), font=bold)])
            ws.append(xlsx_row(ws, [plain(c) for c in tb.columns], font=bold))
            for label, cells in tb.rows:
                ws.append(
                    xlsx_row(ws, [plain(label), *(_xlsx_value(c, report.locale) for c in cells)])
                )
            if tb.note:
                ws.append([xlsx_cell(ws, plain(tb.note))])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _xlsx_value(cell: Cell, locale: str = "nb") -> float | int | str | None:
    if cell.suppressed:
        return SUPPRESSED_MARK
    if cell.value is None and cell.missing:
        return t("report.missing." + cell.missing, locale)
    return cell.value
