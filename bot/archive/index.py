"""Keep an item's entry in the full-text index in step with its row (storage/search.py)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.archive.stemming import stemmed_text
from storage.models import ArchiveItem
from storage.queries import archive as q


async def reindex(session: AsyncSession, item: ArchiveItem) -> None:
    """(Re)write the item's index entry in the caller's transaction.

    SQLite's FTS5 gets the text stemmed here (Snowball Norwegian); PostgreSQL gets it as
    written and stems it with `to_tsvector('norwegian', …)`.
    """
    assert item.id is not None
    parts = {
        "title": item.title,
        "keywords": " ".join(item.keywords or []),
        "summary": item.summary,
        "body": item.file_text or "",
    }
    bind = session.bind
    if bind is not None and bind.dialect.name == "sqlite":
        parts = {k: stemmed_text(v) for k, v in parts.items()}
    await q.index_document(session=session, item_id=item.id, **parts)
