"""The report as one self-contained HTML file: real tables, inline SVG charts, printable on A4."""

from __future__ import annotations

from bot.messages import format_when, t
from bot.report.charts import chart_svg
from bot.report.model import AnnualReport, Cell, Table
from bot.report.numbers import format_number
from bot.suppression import SUPPRESSED_MARK
from bot.text import html_text

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
