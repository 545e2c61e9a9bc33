"""Numbers in the report's style: 12 345,6 in bokmål, 12,345.6 in English."""

from __future__ import annotations


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
