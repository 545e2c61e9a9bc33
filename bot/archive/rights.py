"""The archive's part of a person's rights and of retention (bot.rights, bot.retention).

- Export: their items are rows under the `archive` data class (`archive_item.owner_id`,
  through the registry in storage.queries.rights); `archive_files` lists each file's name,
  type, size and SHA-256 (the bytes are the file they gave; staff can send it on request).
- Erasure (choice): every item a person owns is deleted with its index entry and file — their
  project is theirs, and a PDF cannot be scrubbed of their name. Staff material (no owner) stays;
  their name is scrubbed from its title, summary and extracted text like every other text, and
  its index entry is rebuilt, so search cannot find them by name either. Who added an item
  (`added_by_id`) is cleared.
- Retention: a participant's item is deleted with its file `COHORTBOT_RETENTION_ARCHIVE_DAYS`
  after its last change (default ten years: the archive serves later cohorts); staff material
  is not personal data and stays. Files no row refers to are swept.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.archive.files import FileStore, discard, sweep_orphans
from bot.archive.index import reindex
from storage.models import ArchiveItem
from storage.queries import archive as q


async def export_files(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    return [
        {
            "item_id": i.id,
            "title": i.title,
            "file_name": i.file_name,
            "file_type": i.file_type,
            "file_size": i.file_size,
            "file_sha256": i.file_sha256,
            "url": i.url,
        }
        for i in await q.items_of_owner(session=session, owner_id=person_id)
    ]


async def _delete(session: AsyncSession, items: list[ArchiveItem]) -> list[str]:
    keys = [i.file_key for i in items if i.file_key]
    for item in items:
        await q.delete_item(session=session, item=item)
    if items:
        await q.compact_index(session=session)
    return keys


async def erase_items(session: AsyncSession, store: FileStore, person_id: int) -> int:
    """Delete the person's items, their index entries and files; returns how many items.

    The files go at once: the erasure is asked for and a file cannot be un-deleted by a
    rollback anyway; a rolled-back erasure leaves rows whose download says "gone".
    """
    items = await q.items_of_owner(session=session, owner_id=person_id)
    keys = await _delete(session, items)
    await discard(store, keys)
    return len(items)


async def reindex_scrubbed(session: AsyncSession, marker: str) -> int:
    """Rebuild the index entries of items whose text the erasure scrubbed."""
    touched = 0
    for item in await q.all_items(session=session):
        texts = (item.title, item.summary, item.file_text or "", " ".join(item.keywords or []))
        if any(marker in t for t in texts):
            await reindex(session, item)
            touched += 1
    if touched:
        await q.compact_index(session=session)
    return touched


async def expire_items(
    session: AsyncSession, *, now: datetime, days: int, dry_run: bool
) -> tuple[int, list[str]]:
    """Participants' items unchanged for `days`: (count, file keys to discard after commit)."""
    old = await q.owned_items_changed_before(session=session, before=now - timedelta(days=days))
    if dry_run:
        return len(old), []
    return len(old), await _delete(session, old)


async def sweep(session: AsyncSession, store: FileStore) -> int:
    return await sweep_orphans(store, await q.file_keys(session=session))
