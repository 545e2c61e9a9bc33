"""Reading the file: CSV (any common encoding and delimiter) or XLSX into a table of text."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.messages import plural_word
from bot.people_import.columns import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, ImportFileError


@dataclass(frozen=True)
class Table:
    """The file's rows as text, keyed by normalised column name, with their row numbers."""

    columns: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]
    ignored_columns: tuple[str, ...] = ()


def normalise_header(name: str) -> str:
    """' Line manager E-mail ' -> 'line_manager_email'; case, spaces and hyphens do not matter."""
    cleaned = name.replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", cleaned).replace("e_mail", "email")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _table(records: Iterable[Sequence[Any]]) -> Table:
    iterator = iter(records)
    header: list[str] | None = None
    for raw in iterator:
        cells = [_cell(c) for c in raw]
        if any(cells):
            header = [normalise_header(c) for c in cells]
            break
        # a blank line before the header is not worth an error
    if header is None:
        raise ImportFileError(
            "the file is empty: expected a header row with the columns "
            + ", ".join(REQUIRED_COLUMNS)
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportFileError(
            f"missing {plural_word(len(missing), 'column', 'columns')} {', '.join(missing)}: "
            f"the header row needs {', '.join(REQUIRED_COLUMNS)} "
            f"(optional: {', '.join(OPTIONAL_COLUMNS)})"
        )
    duplicated = sorted({c for c in header if c and header.count(c) > 1})
    if duplicated:
        raise ImportFileError(f"the column {', '.join(duplicated)} appears more than once")
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    ignored = tuple(c for c in header if c and c not in known)
    rows: list[tuple[int, dict[str, str]]] = []
    for offset, raw in enumerate(iterator, start=2):
        cells = [_cell(c) for c in raw]
        if not any(cells):
            continue  # Excel leaves blank rows at the end
        values = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header)}
        rows.append((offset, {k: v for k, v in values.items() if k in known}))
    if not rows:
        raise ImportFileError("the file has a header row but no people")
    return Table(
        columns=tuple(c for c in header if c in known), rows=tuple(rows), ignored_columns=ignored
    )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older Excel saves "CSV (semicolon separated)" in Windows-1252, not UTF-8.
        return data.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(data: bytes) -> Table:
    """Read CSV (comma, semicolon or tab; UTF-8 with or without BOM)."""
    text = _decode(data)
    if not text.strip():
        raise ImportFileError(
            "the file is empty: expected a header row with the columns "
            + ", ".join(REQUIRED_COLUMNS)
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    return _table(reader)


def read_xlsx(path: Path) -> Table:
    """Read the first sheet of an XLSX workbook."""
    from openpyxl import load_workbook

    try:
        # From the bytes: openpyxl goes by the file's name, and the content decides here.
        workbook = load_workbook(io.BytesIO(path.read_bytes()), read_only=True, data_only=True)
    except Exception as exc:
        raise ImportFileError(
            f"cannot read {path.name} as an XLSX workbook ({type(exc).__name__}): "
            f"{NOT_A_TABLE}, or a damaged one"
        ) from None
    try:
        sheet = workbook.worksheets[0]
        return _table(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()


NOT_A_TABLE = "not a CSV or XLSX file"
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls (and .doc)
MAX_FILE_BYTES = 20 * 1024 * 1024


def file_kind(head: bytes) -> str:
    """What a file is by its first bytes, not its name: "xlsx", "xls", "csv" or "other"."""
    if head.startswith(_ZIP):
        return "xlsx"
    if head.startswith(_OLE):
        return "xls"
    sample = head[:8192]
    if b"\x00" in sample:
        return "other"  # UTF-16, images, PDFs, archives: no CSV has NUL bytes
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13))
    if sample and controls / len(sample) > 0.01:
        return "other"
    return "csv"


def read_table(path: Path | str) -> Table:
    """Read a people file, told apart by its content: XLSX (a zip), or CSV text."""
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"no such file: {path.name}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ImportFileError(f"{path.name} is larger than 20 MB: is it the right file?")
    with path.open("rb") as f:
        head = f.read(8192)
    kind = file_kind(head)
    if kind == "xlsx":
        return read_xlsx(path)
    if kind == "xls":
        raise ImportFileError("old .xls workbooks are not supported: save as .xlsx or CSV UTF-8")
    if kind == "other":
        raise ImportFileError(f"{path.name} is {NOT_A_TABLE}: save it as .xlsx or CSV UTF-8")
    return read_csv(path.read_bytes())
