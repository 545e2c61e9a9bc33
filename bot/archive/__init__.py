"""The digital archive (spec 7.2): earlier students' projects, lectures and other material.

- `items`: add, change, withdraw, list one's own; who may do what; input checks.
- `files`: the file store (a directory, never the database), safe names, orphan sweep.
- `extract`: text from PDF and DOCX for search, bounded and off the event loop.
- `search` (+ `stemming`, `stopwords`, `index`): Norwegian full-text search on PostgreSQL and
  SQLite, showing only what the searcher may see.
- `downloads`: signed, short-lived download links, checked again when opened.
- `rights`: the archive's part of export, erasure and retention (bot.rights, bot.retention).

See docs/archive.md.
"""

from __future__ import annotations

from bot.archive.files import FileStore, LocalFileStore
from bot.settings import Settings


def store_for(settings: Settings) -> FileStore:
    """The configured file store (`COHORTBOT_ARCHIVE_DIR`)."""
    return LocalFileStore(settings.archive_dir)
