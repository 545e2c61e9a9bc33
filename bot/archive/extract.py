"""Text from PDF and DOCX files, for search: bounded, and off the event loop.

`extract_text` is synchronous and CPU-bound; callers use `extract_text_async`, which runs it in
a worker thread. Limits: at most `MAX_PAGES` pages of a PDF, `MAX_XML_BYTES` of a DOCX's main
part (a zip bomb stops there), and `MAX_TEXT` characters kept. A file that says it is a PDF or a
DOCX but cannot be read is refused with `ExtractError` (nothing is stored).

DOCX is read as a zip of XML with a regular expression over `<w:t>` runs, not an XML parser,
so entity tricks (billion laughs, external entities) have nothing to work on.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import zipfile
from io import BytesIO

from bot.text import clean

MAX_PAGES = 500
MAX_XML_BYTES = 50 * 1024 * 1024
MAX_TEXT = 200_000

_PARAGRAPH_END = re.compile(rb"</w:p>")
_RUN_TEXT = re.compile(rb"<w:t(?:\s[^>]*)?>([^<]*)</w:t>|<w:tab/>|<w:br/>")
_SPACES = re.compile(r"[ \t\r\f\v]+")


class ExtractError(ValueError):
    """The file cannot be read as the type its bytes claim; `kind` is "pdf" or "docx"."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _tidy(text: str) -> str:
    # clean(): a PDF's text can hold NUL (PostgreSQL text cannot), other controls and markers.
    lines = (_SPACES.sub(" ", line).strip() for line in clean(text).splitlines())
    return "\n".join(line for line in lines if line)[:MAX_TEXT]


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed files warn at length
    try:
        reader = PdfReader(BytesIO(data), strict=False)
        parts: list[str] = []
        size = 0
        for page in reader.pages[:MAX_PAGES]:
            piece = page.extract_text() or ""
            parts.append(piece)
            size += len(piece)
            if size >= MAX_TEXT:
                break
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise ExtractError("pdf") from exc
    except RecursionError as exc:
        raise ExtractError("pdf") from exc
    return _tidy("\n".join(parts))


def docx_text(data: bytes) -> str:
    try:
        with zipfile.ZipFile(BytesIO(data)) as z:
            info = z.getinfo("word/document.xml")
            if info.file_size > MAX_XML_BYTES:
                raise ExtractError("docx")
            with z.open(info) as part:
                xml = part.read(MAX_XML_BYTES + 1)
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, ValueError) as exc:
        raise ExtractError("docx") from exc
    if len(xml) > MAX_XML_BYTES:
        raise ExtractError("docx")
    paragraphs = []
    for paragraph in _PARAGRAPH_END.split(xml):
        runs = []
        for m in _RUN_TEXT.finditer(paragraph):
            runs.append(m.group(1).decode("utf-8", "replace") if m.group(1) is not None else " ")
        if runs:
            paragraphs.append(html.unescape("".join(runs)))
    return _tidy("\n".join(paragraphs))


def extract_text(data: bytes, file_type: str) -> str:
    """The text of a `pdf` or `docx` file ("" for other types)."""
    if file_type == "pdf":
        return pdf_text(data)
    if file_type == "docx":
        return docx_text(data)
    return ""


async def extract_text_async(data: bytes, file_type: str) -> str:
    return await asyncio.to_thread(extract_text, data, file_type)
