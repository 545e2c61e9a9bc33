"""Keep an item's entry in the full-text index in step with its row (storage/search.py).

An owner who chose not to show their name is not findable by it: the words of their name are
left out of the item's index entry (a project's cover page usually names its author), and
`hide_name` masks them in what a searcher who may not see the name is shown (snippets).
"""

from __future__ import annotations

import re

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.archive.stemming import stemmed_text
from storage.models import ArchiveItem
from storage.queries import archive as q

WORD = re.compile(r"[^\W_]+")
NAME_MASK = "…"


def name_words(name: str | None) -> frozenset[str]:
    """The words of a person's name, case-folded (initials of one letter are left alone)."""
    return frozenset(w.casefold() for w in WORD.findall(name or "") if len(w) > 1)


def hide_name(text: str, words: frozenset[str]) -> str:
    """`text` with every word of the name replaced by a mask."""
    if not words:
        return text
    return WORD.sub(lambda m: NAME_MASK if m.group(0).casefold() in words else m.group(0), text)


async def hidden_name_words(session: AsyncSession, item: ArchiveItem) -> frozenset[str]:
    """The owner's name words when the owner chose not to show their name, else none."""
    if item.owner_id is None or item.show_name:
        return frozenset()
    names = await q.owner_names(session=session, owner_ids=[item.owner_id])
    return name_words(names.get(item.owner_id))


async def reindex(session: AsyncSession, item: ArchiveItem) -> None:
    """(Re)write the item's index entry in the caller's transaction.

    SQLite's FTS5 gets the text stemmed here (Snowball Norwegian); PostgreSQL gets it as
    written and stems it with `to_tsvector('norwegian', …)`.
    """
    assert item.id is not None
    hidden = await hidden_name_words(session, item)
    parts = {
        "title": item.title,
        "keywords": " ".join(item.keywords or []),
        "summary": item.summary,
        "body": item.file_text or "",
    }
    parts = {k: hide_name(v, hidden) for k, v in parts.items()}
    bind = session.bind
    if bind is not None and bind.dialect.name == "sqlite":
        parts = {k: stemmed_text(v) for k, v in parts.items()}
    await q.index_document(session=session, item_id=item.id, **parts)
