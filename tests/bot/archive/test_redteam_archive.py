"""Attacks on the archive from outside: an owner who hid their name, and a withdrawn item.

- A participant submits their project with their name hidden; its PDF (as projects do) has
  their name on the cover and the file is called "Anne_Hansen_prosjekt.pdf". Another student
  searches for her name, reads the snippets and downloads the file: none of it may name her.
  (Before the fix: the name search found the item, the snippet quoted "Skrevet av Anne Hansen"
  and the download was named after her.)
- A withdrawn or reworded item's words must not stay in SQLite's FTS5 segments (FTS5 keeps a
  deleted row's terms until a merge); read from the database file as its holder would.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from bot.archive import store_for
from bot.archive.downloads import make_token, open_download
from bot.archive.files import Upload
from bot.archive.items import Change, Submission, add_item, change_item, withdraw_item
from bot.archive.search import search, viewer_by_email
from bot.clock import FrozenClock
from bot.settings import Settings
from storage.db import Database
from tests.utils.archive import ArchiveWorld, build_archive_world, make_pdf

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
async def world(db: Database) -> ArchiveWorld:
    async with db.transaction() as session:
        return await build_archive_world(session)


async def _anne_project(
    db: Database, settings: Settings, world: ArchiveWorld, *, show_name: bool
) -> int:
    pdf = make_pdf(["Turnusplanlegging i hjemmetjenesten", "Skrevet av Anne Hansen, Kull A"])
    item = await add_item(
        db,
        store_for(settings),
        settings,
        submission=Submission(
            title="Turnus og ledelse",
            summary="Hvordan ledere planlegger turnus.",
            visibility="all",
            show_name=show_name,
            upload=Upload("Anne_Hansen_prosjekt.pdf", pdf),
        ),
        doer=world.doer("anne"),
        now=NOW,
    )
    assert item.id is not None
    return item.id


async def _as(db: Database, who: str, words: str) -> list[tuple[int, str, str | None]]:
    async with db.transaction() as session:
        viewer = await viewer_by_email(session, who)
        found = await search(session, viewer=viewer, words=words, now=NOW, limit=50)
    return [(h.id, h.snippet, h.file_name) for h in found.hits]


async def test_a_hidden_name_is_not_found_quoted_or_in_the_file_name(
    db: Database, settings: Settings, clock: FrozenClock, world: ArchiveWorld
) -> None:
    item_id = await _anne_project(db, settings, world, show_name=False)
    arne = world.emails["arne"]
    # Searching her name finds nothing for another student (the PDF's cover has it).
    assert await _as(db, arne, "Anne") == []
    # The item is still found by its subject, and its snippet does not quote her name.
    hits = await _as(db, arne, "turnusplanlegging")
    assert [h[0] for h in hits] == [item_id]
    assert "Anne" not in hits[0][1] and "Hansen" not in hits[0][1]
    assert hits[0][2] is None  # the file's name is hers
    whole = await _as(db, None, "hjemmetjenesten")
    assert whole and all("Anne" not in s for _, s, _ in whole)
    # The download is not named after her either; she and staff still get the real name.
    arne_token = make_token(
        key=settings.signing_key,
        item_id=item_id,
        person_id=world.arne,
        expires_at=datetime(2026, 3, 3, tzinfo=UTC),
    )
    got = await open_download(db, store_for(settings), settings, token=arne_token, now=NOW)
    assert "Anne" not in got.name and "Hansen" not in got.name and got.name.endswith(".pdf")
    own = make_token(
        key=settings.signing_key,
        item_id=item_id,
        person_id=world.anne,
        expires_at=datetime(2026, 3, 3, tzinfo=UTC),
    )
    mine = await open_download(db, store_for(settings), settings, token=own, now=NOW)
    assert mine.name == "Anne_Hansen_prosjekt.pdf"
    staff = await _as(db, world.emails["staff"], "turnusplanlegging")
    assert staff[0][2] == "Anne_Hansen_prosjekt.pdf"
    # When she shows her name, it is found by it.
    await change_item(
        db, item_id=item_id, change=Change(show_name=True), doer=world.doer("anne"), now=NOW
    )
    assert [h[0] for h in await _as(db, arne, "Anne")] == [item_id]


def _fts_segments(db: Database) -> bytes:
    conn = sqlite3.connect(db.url.split("///", 1)[1])
    try:
        rows = conn.execute("SELECT block FROM archive_search_data").fetchall()
    finally:
        conn.close()
    return b"".join(bytes(r[0]) for r in rows if r[0] is not None)


async def test_withdrawn_and_reworded_words_leave_the_sqlite_index(
    db: Database, settings: Settings, clock: FrozenClock, world: ArchiveWorld
) -> None:
    if db.dialect != "sqlite":
        pytest.skip("FTS5 segments are SQLite's; PostgreSQL's index row goes with the row")
    anne = world.doer("anne")
    store = store_for(settings)
    item = await add_item(
        db,
        store,
        settings,
        submission=Submission(
            title="Mitt prosjekt", summary="Om xylofonkonserter og sykefravaer", visibility="all"
        ),
        doer=anne,
        now=NOW,
    )
    other = await add_item(
        db,
        store,
        settings,
        submission=Submission(title="Budsjett", summary="Økonomi i kvartetter", visibility="all"),
        doer=anne,
        now=NOW,
    )
    assert item.id is not None and other.id is not None
    assert b"xylofonkonsert" in _fts_segments(db)
    await change_item(
        db, item_id=other.id, change=Change(summary="Økonomi og tall"), doer=anne, now=NOW
    )
    assert b"kvartett" not in _fts_segments(db)
    await withdraw_item(db, store, item_id=item.id, doer=anne)
    assert b"xylofonkonsert" not in _fts_segments(db)


async def test_a_pdf_whose_text_has_nul_and_markers_is_stored_and_found(
    db: Database, settings: Settings, clock: FrozenClock, world: ArchiveWorld
) -> None:
    """A PDF's extracted text can hold NUL bytes (PostgreSQL text cannot: the upload failed with
    a server error there) and other control characters."""
    pdf = make_pdf(["Kapittel\x00 1: turnusplanlegging\x07 slutt"])
    item = await add_item(
        db,
        store_for(settings),
        settings,
        submission=Submission(title="Turnus", summary="Om turnus.", visibility="all"),
        doer=world.doer("staff"),
        now=NOW,
    )
    assert item.id is not None
    item = await add_item(
        db,
        store_for(settings),
        settings,
        submission=Submission(
            title="Planlegging",
            summary="Kort.",
            visibility="all",
            upload=Upload("plan.pdf", pdf),
        ),
        doer=world.doer("staff"),
        now=NOW,
    )
    assert item.file_text is not None and "turnusplanlegging" in item.file_text
    assert "\x00" not in item.file_text and "\x07" not in item.file_text
    hits = await _as(db, world.emails["arne"], "turnusplanlegging")
    assert [h[0] for h in hits] == [item.id]
