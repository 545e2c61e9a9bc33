"""The archive under the data-rights rules: export lists a person's items and files, erasure
deletes their items with the files and leaves staff material without their name (not even in
the search index), retention ages participants' items out and sweeps orphan files."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.archive import store_for
from bot.archive.search import ANY_STUDENT, search
from bot.retention import finish_archive, run_retention
from bot.rights import erase_person, export_person
from bot.settings import Settings
from storage.db import Database
from storage.models import ArchiveItem
from tests.utils.rights import KARI_EMAIL, KARI_NAME, PROJECT_WORD, build_rights_world

AFTER_REPORT = datetime(2028, 3, 5, 9, 0, tzinfo=UTC)


def _files(settings: Settings) -> list[str]:
    path = Path(settings.archive_dir)
    return sorted(p.name for p in path.iterdir()) if path.is_dir() else []


async def _hits(db: Database, words: str) -> list[str]:
    async with db.transaction() as session:
        found = await search(session, viewer=ANY_STUDENT, words=words, now=AFTER_REPORT)
    return [h.title for h in found.hits]


async def test_export_lists_the_persons_items_and_files(db: Database, settings: Settings) -> None:
    async with db.transaction() as session:
        await build_rights_world(session, settings)
    async with db.transaction() as session:
        data = await export_person(session, email=KARI_EMAIL, now=AFTER_REPORT, actor="cli")
    archive = data["data_classes"]["archive"]
    assert [r["title"] for r in archive["archive_item.owner_id"]] == ["Færre vikarer"]
    (entry,) = archive["archive_files"]
    assert entry["file_name"] == "kari-prosjekt.pdf" and len(entry["file_sha256"]) == 64


async def test_erasure_deletes_their_items_and_files_and_unnames_staff_material(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as session:
        await build_rights_world(session, settings)
    assert len(_files(settings)) == 1
    assert await _hits(db, PROJECT_WORD) == ["Færre vikarer"]
    assert set(await _hits(db, "Nordmann")) == {"Færre vikarer", "Gjesteforelesning"}
    async with db.transaction() as session:
        report = await erase_person(
            session, settings, email=KARI_EMAIL, now=AFTER_REPORT, actor="cli"
        )
    assert report.counts["archive items (with files)"] == 1
    assert _files(settings) == []
    assert await _hits(db, PROJECT_WORD) == []
    assert await _hits(db, "Nordmann") == []  # the index was rebuilt from the scrubbed text
    assert await _hits(db, "gjesteforelesning") == ["Gjesteforelesning"]
    async with db.session() as session:
        items = (await session.execute(select(ArchiveItem))).scalars().all()
    assert [i.title for i in items] == ["Gjesteforelesning"]
    assert KARI_NAME not in items[0].summary


async def test_retention_deletes_old_participant_items_with_files_and_sweeps_orphans(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as session:
        await build_rights_world(session, settings)
    # A file no row refers to (an upload whose transaction failed), old enough to sweep.
    orphan = await store_for(settings).put(b"%PDF-1.4 orphan", suffix="pdf")
    old = time.time() - 7200
    os.utime(Path(settings.archive_dir) / orphan, (old, old))
    soon = datetime(2027, 1, 1, tzinfo=UTC)
    async with db.transaction() as session:
        dry = await run_retention(session, settings, now=soon, dry_run=True)
    assert dry.counts["archive_items"] == 0
    late = datetime(2026, 3, 2, tzinfo=UTC) + timedelta(days=settings.retention_archive_days + 1)
    async with db.transaction() as session:
        dry = await run_retention(session, settings, now=late, dry_run=True)
    await finish_archive(dry, settings, db)
    assert dry.counts["archive_items"] == 1 and len(_files(settings)) == 2  # dry: nothing gone
    async with db.transaction() as session:
        result = await run_retention(session, settings, now=late)
    await finish_archive(result, settings, db)
    assert result.counts["archive_items"] == 1
    assert result.counts["archive_files"] == 2  # the project's file and the orphan
    assert _files(settings) == []
    assert await _hits(db, "gjesteforelesning") == ["Gjesteforelesning"]  # staff material stays
