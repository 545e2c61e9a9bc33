"""Hostile files and names against the archive's store and extraction."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from bot.archive.extract import MAX_XML_BYTES, ExtractError, extract_text
from bot.archive.files import LocalFileStore, StoreError, detect_type, safe_filename, sweep_orphans
from tests.utils.archive import make_docx, make_pdf


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\x.docx", "x.docx"),
        ("/abs/path/rapport.pdf", "rapport.pdf"),
        (".hidden.pdf", "hidden.pdf"),
        ("..", "file"),
        ("a\x00b\u202e.pdf", "ab.pdf"),
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
        ("Prosjekt – Fana sykehjem.pdf", "Prosjekt – Fana sykehjem.pdf"),
    ],
)
def test_a_given_name_is_only_ever_a_label(given: str, kept: str) -> None:
    assert safe_filename(given) == kept


async def test_keys_are_the_stores_own_and_nothing_else_is_a_path(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "archive")
    key = await store.put(b"data", suffix="bin")
    assert (tmp_path / "archive" / key).read_bytes() == b"data"
    for bad in ("../x", "/etc/passwd", key + "/../x", key.upper(), ""):
        with pytest.raises(StoreError):
            await store.get(bad)
    with pytest.raises(StoreError):
        await store.put(b"x", suffix="../../sh")


async def test_the_sweep_spares_a_fresh_upload_whose_row_is_not_committed_yet(
    tmp_path: Path,
) -> None:
    store = LocalFileStore(tmp_path / "archive")
    fresh = await store.put(b"data", suffix="pdf")
    assert await sweep_orphans(store, set()) == 0  # within the grace period
    assert await store.exists(fresh)
    assert await sweep_orphans(store, set(), grace_seconds=-1) == 1


def test_the_type_comes_from_the_bytes_not_the_name() -> None:
    assert detect_type(make_pdf(["x"])) == "pdf"
    assert detect_type(make_docx(["x"])) == "docx"
    assert detect_type(b"PK\x03\x04 not a zip") == "other"
    assert detect_type(b"<html><script>") == "other"


def test_malformed_files_are_refused_not_crashed_on() -> None:
    for data in (b"%PDF-1.4", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\n%%EOF"):
        with pytest.raises(ExtractError):
            extract_text(data, "pdf")
    with pytest.raises(ExtractError):
        extract_text(b"PK\x03\x04garbage", "docx")


def test_a_docx_whose_text_unpacks_past_the_limit_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<w:t>" + b"a" * (MAX_XML_BYTES + 10) + b"</w:t>")
    assert len(out.getvalue()) < 1024 * 1024  # small on the wire, a bomb unpacked
    with pytest.raises(ExtractError):
        extract_text(out.getvalue(), "docx")


def test_docx_entities_are_text_not_expanded() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<w:document><w:body><w:p><w:r><w:t>&b; &amp; ok</w:t></w:r></w:p></w:body></w:document>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("word/document.xml", bomb)
    text = extract_text(out.getvalue(), "docx")
    assert "aaaaaaaaaa" not in text and "& ok" in text
