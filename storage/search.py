"""The archive's full-text index: one structure per database, outside the SQLModel tables.

- PostgreSQL: a table `archive_search(item_id, document tsvector)` with a GIN index; the
  document is built by `to_tsvector('norwegian', …)` with weights (title and keywords A,
  summary B, file text C) and searched with `websearch_to_tsquery('norwegian', …)`, ranked by
  `ts_rank`.
- SQLite: an FTS5 table `archive_search(item_id UNINDEXED, title, keywords, summary, body)`
  holding the text already stemmed by the Norwegian Snowball stemmer (`bot.archive.stemming`),
  searched with the stemmed query and ranked by `bm25` with the same column weights.

Neither can be described by SQLModel (a virtual table; a tsvector column with a GIN index), so
`ensure_search_schema` creates them after the migrations (storage/migrations/env.py), and
`is_search_object` tells Alembic's comparison to leave them alone. Both hold only what
`archive_item` holds (no person id): deleting an item deletes its row here (`delete_document`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

SEARCH_TABLE = "archive_search"

_SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {SEARCH_TABLE} USING fts5("
    "item_id UNINDEXED, title, keywords, summary, body, "
    "tokenize = 'unicode61 remove_diacritics 0')"
)
_POSTGRES_DDL = (
    f"CREATE TABLE IF NOT EXISTS {SEARCH_TABLE} ("
    "item_id integer PRIMARY KEY REFERENCES archive_item(id) ON DELETE CASCADE, "
    "document tsvector NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {SEARCH_TABLE}_document ON {SEARCH_TABLE} USING gin (document)",
)


def ensure_search_schema(conn: Connection) -> None:
    """Create the index structures if missing (idempotent; run after every upgrade)."""
    if conn.dialect.name == "sqlite":
        conn.execute(text(_SQLITE_DDL))
    else:
        for statement in _POSTGRES_DDL:
            conn.execute(text(statement))


def is_search_object(name: str | None, type_: str, _parent: Any = None) -> bool:
    """Whether a database object belongs to the search index (FTS5 makes shadow tables
    `archive_search_data`, `_idx`, …; PostgreSQL has the GIN index)."""
    return bool(name) and (name == SEARCH_TABLE or str(name).startswith(f"{SEARCH_TABLE}_"))


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic `include_name` hook: compare everything but the search index."""
    return not is_search_object(name, type_)
