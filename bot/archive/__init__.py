"""The digital archive (spec 7.2): earlier students' projects, lectures and other material.

- `items`: add, change, withdraw, list one's own; who may do what; input checks.
- `files`: the file store (a directory or an S3-compatible bucket, never the database), safe
  names, orphan sweep.
- `extract`: text from PDF and DOCX for search, bounded and off the event loop.
- `search` (+ `stemming`, `stopwords`, `index`): Norwegian full-text search on PostgreSQL and
  SQLite, showing only what the searcher may see.
- `downloads`: signed, short-lived download links, checked again when opened.
- `rights`: the archive's part of export, erasure and retention (bot.rights, bot.retention).

See docs/archive.md.
"""

from __future__ import annotations

from functools import lru_cache

from bot.archive.files import FileStore, LocalFileStore, S3FileStore
from bot.settings import Settings


def store_for(settings: Settings) -> FileStore:
    """The configured file store: an S3-compatible bucket when `COHORTBOT_ARCHIVE_S3_BUCKET` is
    set, else the directory `COHORTBOT_ARCHIVE_DIR`."""
    if settings.archive_s3_bucket:
        return _s3(
            settings.archive_s3_url,
            settings.archive_s3_bucket,
            settings.archive_s3_access_key,
            settings.archive_s3_secret_key,
            settings.archive_s3_region,
        )
    return LocalFileStore(settings.archive_dir)


@lru_cache(maxsize=4)
def _s3(
    url: str | None, bucket: str, access: str | None, secret: str | None, region: str
) -> FileStore:
    # One boto3 client per configuration: making one reads botocore's data files (slow).
    return S3FileStore(
        endpoint_url=url, bucket=bucket, access_key=access, secret_key=secret, region=region
    )
