"""Render the annual report as one self-contained HTML file, an XLSX workbook or a tidy CSV.

HTML: inline SVG charts (matplotlib, text kept as text so screen readers and search find it),
real tables with `<caption>` and `<th scope>`, `lang` set, printable on A4. The tables carry every
number the charts show, so a chart is never the only way to read a figure.
XLSX: one sheet per section, numbers stored as numbers, hidden cells as the mark.
CSV: one tidy long table; its columns and measure names are a contract (docs/report-csv.md).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

from bot.export import csv_text, xlsx_cell, xlsx_row
from bot.messages import format_when, t
from bot.report import AnnualReport, Cell, Chart, Table
from bot.suppression import SUPPRESSED_MARK
from bot.text import html_text, plain

CSV_COLUMNS = (
    "period",
    "section",
    "table",
    "cohort",
    "group",
    "measure",
    "category",
    "unit",
    "value",
    "suppressed",
    "missing",
)

_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm; @bottom-center { content: "%(page)s " counter(page) " / " counter(pages); font-size: 8pt; color: #444; } }
:root { color: #1b1b1b; font-family: "DejaVu Sans", Arial, sans-serif; }
body { max-width: 190mm; margin: 0 auto; padding: 1rem; font-size: 10pt; line-height: 1.4; }
h1 { font-size: 18pt; margin: 0 0 .4rem; }
h2 { font-size: 14pt; margin: 1.6rem 0 .4rem; border-bottom: 2px solid #0b5394; break-after: avoid; }
p { margin: .3rem 0 .6rem; }
nav ol { columns: 2; padding-left: 1.2rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; width: 100%; break-inside: avoid; }
caption { text-align: left; font-weight: bold; padding: .2rem 0; caption-side: top; }
th, td { border: 1px solid #9aa5b1; padding: .15rem .35rem; font-size: 8.5pt; }
thead th { background: #e8eef5; }
th[scope="row"] { text-align: left; font-weight: normal; }
tr.total th, tr.total td { font-weight: bold; background: #f5f7fa; }
td { text-align: right; font-variant-numeric: tabular-nums; }
td.sup { color: #7a4b00; }
.note { font-size: 8.5pt; color: #444; }
figure { margin: .6rem 0 1rem; break-inside: avoid; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 9pt; font-style: italic; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.missing { font-size: 7.5pt; color: #444; font-style: italic; }
@media print { body { padding: 0; max-width: none; } #s-summary-section { break-after: page; } nav { break-after: page; } a { color: inherit; text-decoration: none; } }
"""


def format_number(value: float | int | None, locale: str, unit: str = "count") -> str:
    """Format a number Norwegian style (12 345,6) or English style (12,345.6)."""
    if value is None:
        return "–"
    if isinstance(value, int) or (unit == "count" and float(value).is_integer()):
        text = f"{int(value):,}"
    else:
        text = f"{float(value):,.1f}" if unit != "mean" else f"{float(value):,.2f}"
    if locale == "nb":
        text = text.replace(",", "\u00a0").replace(".", ",")
    return text


def _cell_html(cell: Cell, locale: str, hidden_label: str) -> str:
    if cell.value is None and cell.missing and not cell.suppressed:
        return f'<td class="missing">{html_text(t("report.missing." + cell.missing, locale))}</td>'
    if cell.suppressed:
        return (
            f'<td class="sup"><span aria-hidden="true">{SUPPRESSED_MARK}</span>'
            f'<span class="sr">{hidden_label}</span></td>'
        )
    return f"<td>{format_number(cell.value, locale, cell.unit)}</td>"


def _table_html(table: Table, locale: str, total_label: str, hidden_label: str) -> str:
    esc = html_text  # neutral text: people's words as written, escaped once
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in table.columns)
    body: list[str] = []
    for header, cells in table.rows:
        cls = ' class="total"' if header == total_label else ""
        tds = "".join(_cell_html(c, locale, hidden_label) for c in cells)
        body.append(f'<tr{cls}><th scope="row">{esc(header)}</th>{tds}</tr>')
    note = f'<p class="note">{esc(table.note)}</p>' if table.note else ""
    return (
        f'<table id="{esc(table.key)}"><caption>{esc(table.caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}"
    )


_SVG_HEAD = re.compile(r"^.*?(<svg\b)", re.S)
_SVG_METADATA = re.compile(r"<metadata>.*?</metadata>", re.S)


def chart_svg(chart: Chart, locale: str = "nb") -> str:
    """Draw a bar chart as an inline SVG string (matplotlib, text kept as text)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    n = len(chart.categories)
    series = chart.series
    legend_rows = (len(series) + 2) // 3 if len(series) > 1 else 0
    if chart.horizontal:
        height = 0.3 * n + 1.0
    else:
        height = 2.6 + 0.22 * legend_rows
    with matplotlib.rc_context(
        {"svg.fonttype": "none", "font.size": 8, "svg.hashsalt": "cohortbot"}
    ):
        fig = Figure(figsize=(7.0, height))
        # Fixed margins instead of tight_layout: it draws the figure an extra time.
        if chart.horizontal:
            longest = max((len(c) for c in chart.categories), default=10)
            fig.subplots_adjust(
                left=min(0.45, 0.04 + 0.0105 * longest), right=0.97, top=0.95, bottom=0.8 / height
            )
        else:
            fig.subplots_adjust(
                left=0.09, right=0.98, top=0.95, bottom=(0.45 + 0.22 * legend_rows) / height
            )
        ax = fig.add_subplot()
        width = 0.8 / max(1, len(series))
        positions = list(range(n))
        for i, (label, values) in enumerate(series):
            offs = [p - 0.4 + width * (i + 0.5) for p in positions]
            vals = [v if v is not None else 0.0 for v in values]
            if chart.horizontal:
                ax.barh(offs, vals, height=width, label=label, color="#0b5394")
            else:
                ax.bar(offs, vals, width=width, label=label)
        # Axis numbers in the report's style too: "2,5" in bokmål, never "2.5" beside "5,1".
        from matplotlib.ticker import FuncFormatter

        ticks = FuncFormatter(
            lambda v, _pos: format_number(v, locale, "count" if v == int(v) else "percent")
        )
        (ax.xaxis if chart.horizontal else ax.yaxis).set_major_formatter(ticks)
        if chart.value_max is not None:
            (ax.set_xlim if chart.horizontal else ax.set_ylim)(0, chart.value_max)
        if chart.horizontal:
            ax.set_yticks(positions, [c[:60] for c in chart.categories])
            ax.invert_yaxis()
            ax.set_xlabel(chart.value_label)
        else:
            ax.set_xticks(positions, chart.categories)
            ax.set_ylabel(chart.value_label)
        if len(series) > 1:
            fig.legend(fontsize=7, ncols=3, loc="lower center", frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = _SVG_HEAD.sub(r"\1", buf.getvalue(), count=1)
    svg = _SVG_METADATA.sub("", svg)
    title = html_text(chart.title)
    # The figure is described by its caption; the numbers are in the tables next to it.
    return svg.replace("<svg ", f'<svg role="img" aria-label="{title}" ', 1)


def render_html(report: AnnualReport) -> str:
    """Render the report as one self-contained HTML document."""
    loc = report.locale
    esc = html_text  # neutral text: people's words as written, escaped once
    total = t("report.total", loc)
    hidden = t("report.suppressed", loc)
    parts = [
        f'<!DOCTYPE html><html lang="{"nb" if loc == "nb" else "en"}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(report.title)}</title>"
        f"<style>{_CSS.replace('%(page)s', t('report.page', loc))}</style></head><body>",
        f"<header><h1>{esc(report.title)}</h1>",
        f"<p>{esc(t('report.generated', loc, when=format_when(report.generated_at, loc)))}</p>",
    ]
    if report.cohorts:
        names = ", ".join(c.name for c in report.cohorts)
        parts.append(f"<p>{esc(t('report.cohorts_included', loc, cohorts=names))}</p>")
    else:
        parts.append(f"<p>{esc(t('report.no_cohorts', loc, year=report.year))}</p>")
    legend = t("report.legend", loc, mark=SUPPRESSED_MARK, k=report.min_group_size)
    parts.append(f'<p class="note">{esc(legend)}</p></header>')
    parts.append(
        f'<nav aria-labelledby="toc"><h2 id="toc">{esc(t("report.contents", loc))}</h2><ol>'
    )
    parts += [f'<li><a href="#s-{s.key}">{esc(s.title)}</a></li>' for s in report.sections]
    parts.append("</ol></nav><main>")
    for s in report.sections:
        parts.append(
            f'<section id="s-{s.key}-section" aria-labelledby="s-{s.key}">'
            f'<h2 id="s-{s.key}">{esc(s.title)}</h2>'
        )
        if s.intro:
            parts.append(f"<p>{esc(s.intro)}</p>")
        for chart in s.charts:
            parts.append(
                f"<figure>{chart_svg(chart, loc)}<figcaption>{esc(chart.title)}</figcaption></figure>"
            )
        parts += [_table_html(tb, loc, total, hidden) for tb in s.tables]
        parts.append("</section>")
    parts.append("</main></body></html>")
    return "".join(parts)


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


def tidy_rows(report: AnnualReport) -> Iterable[tuple[object, ...]]:
    """Yield the report's numbers as tidy rows (see CSV_COLUMNS)."""
    for section, table, cell in report.tidy():
        value = "" if cell.suppressed or cell.value is None else cell.value
        yield (
            report.period,
            section,
            table,
            cell.cohort,
            cell.group,
            cell.measure,
            cell.category,
            cell.unit,
            value,
            int(cell.suppressed),
            cell.missing,
        )


def render_csv(report: AnnualReport) -> str:
    """Render the report as one tidy long CSV table (UTF-8, comma-separated)."""
    return csv_text(
        CSV_COLUMNS, ([plain(v) if isinstance(v, str) else v for v in r] for r in tidy_rows(report))
    )


def render(report: AnnualReport, fmt: str) -> bytes:
    """Render in `fmt` (html, xlsx or csv) as bytes ready to write or upload."""
    if fmt == "html":
        return render_html(report).encode("utf-8")
    if fmt == "xlsx":
        return render_xlsx(report)
    if fmt == "csv":
        return render_csv(report).encode("utf-8")
    raise ValueError(f"unknown report format {fmt!r}: expected html, xlsx or csv")
