"""Render the annual report as one self-contained HTML file, an XLSX workbook or a tidy CSV.

HTML: inline SVG charts (matplotlib, text kept as text so screen readers and search find it),
real tables with `<caption>` and `<th scope>`, `lang` set, printable on A4. The tables carry every
number the charts show, so a chart is never the only way to read a figure.
XLSX: one sheet per section, numbers stored as numbers, hidden cells as the mark.
CSV: one tidy long table; its columns and measure names are a contract (docs/report-csv.md).
"""

from __future__ import annotations

from bot.report.charts import chart_svg
from bot.report.html import _cell_html, render_html
from bot.report.model import AnnualReport
from bot.report.numbers import format_number
from bot.report.tidy_csv import CSV_COLUMNS, render_csv, tidy_rows
from bot.report.xlsx import render_xlsx

__all__ = [
    "CSV_COLUMNS",
    "_cell_html",
    "chart_svg",
    "format_number",
    "render",
    "render_csv",
    "render_html",
    "render_xlsx",
    "tidy_rows",
]


def render(report: AnnualReport, fmt: str) -> bytes:
    """Render in `fmt` (html, xlsx or csv) as bytes ready to write or upload."""
    if fmt == "html":
        return render_html(report).encode("utf-8")
    if fmt == "xlsx":
        return render_xlsx(report)
    if fmt == "csv":
        return render_csv(report).encode("utf-8")
    raise ValueError(f"unknown report format {fmt!r}: expected html, xlsx or csv")
