"""Bar charts as inline SVG (matplotlib, text kept as text)."""

from __future__ import annotations

import io
import re

from bot.report.model import Chart
from bot.report.numbers import format_number
from bot.text import html_text

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
