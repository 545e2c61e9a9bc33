"""Kept so `bot.report_render` imports keep working: the renderers live in `bot.report.render`."""

from bot.report.render import (
    CSV_COLUMNS,
    _cell_html,
    chart_svg,
    format_number,
    render,
    render_csv,
    render_html,
    render_xlsx,
    tidy_rows,
)

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
