"""Inert exports: no cell of a CSV or XLSX the bot writes can run as a formula.

Spreadsheet programs treat a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return as a formula (CSV/formula injection: `=HYPERLINK("http://evil.invalid", "klikk")` in a
project title would become a live link in the Directorate's copy of the report). Following
OWASP's advice, every text cell that starts with one of them (or with a full-width look-alike
some programs fold to it) is prefixed with a single quote, so it is shown as written; XLSX text
is always written as text (data type `s`), never as a formula.

Every writer uses these functions: `csv_text()` for CSV, `xlsx_cell()` / `xlsx_row()` for
XLSX. Numbers stay numbers: only text is touched.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

# OWASP's list, plus the full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20) and a leading newline.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def inert(value: Any) -> Any:
    """`value` safe for a spreadsheet cell: text that could start a formula gets a `'` first."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def inert_row(row: Iterable[Any]) -> list[Any]:
    """Every cell of `row` made inert."""
    return [inert(v) for v in row]


def csv_text(header: Sequence[str], rows: Iterable[Iterable[Any]], *, delimiter: str = ",") -> str:
    """A CSV document (header, then rows) with every cell inert."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", delimiter=delimiter)
    writer.writerow(inert_row(header))
    writer.writerows(inert_row(r) for r in rows)
    return buf.getvalue()


def xlsx_cell(ws: Any, value: Any, *, font: Any = None) -> Any:
    """An openpyxl write-only cell for `value`: text inert and typed as text, numbers as numbers."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=inert(value))
    if isinstance(value, str):
        cell.data_type = "s"  # never "f": openpyxl reads a leading "=" as a formula otherwise
    if font is not None:
        cell.font = font
    return cell


def xlsx_row(ws: Any, values: Iterable[Any], *, font: Any = None) -> list[Any]:
    """A row of `xlsx_cell`s, ready for `ws.append`."""
    return [xlsx_cell(ws, v, font=font) for v in values]
