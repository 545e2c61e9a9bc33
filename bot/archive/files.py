"""Where archive files live: a directory (`COHORTBOT_ARCHIVE_DIR`), never the database.

A file is stored under a key the bot makes (32 random hex digits and a suffix from the detected
type); the name a person gave it is kept only as a label on the row (`safe_filename`), so a
name like `../../etc/passwd` is a label and never a path. Keys are checked against their one
shape before any path is built from them.

Files are written with a temporary name and renamed (no half file under a key), readable by the
bot's user only. A file no row refers to is deleted by `sweep_orphans` (after a withdrawal, an
erasure, or a transaction that failed after the upload), once it is older than a grace period,
so an upload whose row is not committed yet is never taken.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import time
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Protocol

from bot.text import clean

KEY_RE = re.compile(r"[0-9a-f]{32}\.(pdf|docx|bin)")
ORPHAN_GRACE_SECONDS = 3600
MAX_NAME = 120


class StoreError(Exception):
    """The archive store cannot do what was asked (missing file, bad key)."""


class FileStore(Protocol):
    """The archive's file storage; `LocalFileStore` is the one this version ships."""

    async def put(self, data: bytes, *, suffix: str) -> str: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...

    async def keys_older_than(self, seconds: float) -> list[str]: ...

    async def exists(self, key: str) -> bool: ...


@dataclass(frozen=True)
class Upload:
    """A file as it came from a person or staff: the name they gave it and its bytes."""

    name: str
    data: bytes


def check_key(key: str) -> str:
    if not KEY_RE.fullmatch(key):
        raise StoreError("not an archive file key")
    return key


def safe_filename(name: str) -> str:
    """The last path part of `name`, without control characters, leading dots or separators;
    at most 120 characters, keeping the extension. "file" if nothing is left."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", clean(name)))[-1].strip()
    base = base.lstrip(".").replace("\x00", "").strip()
    if len(base) > MAX_NAME:
        _stem, dot, ext = base.rpartition(".")
        keep = ("." + ext) if dot and len(ext) <= 10 else ""
        base = base[: MAX_NAME - len(keep)] + keep
    return base or "file"


def detect_type(data: bytes) -> str:
    """ "pdf", "docx" or "other", from the bytes (never from the name a person gave)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(BytesIO(data)) as z:
                if "word/document.xml" in z.namelist():
                    return "docx"
        except (zipfile.BadZipFile, ValueError, OSError):
            return "other"
    return "other"


def suffix_for(file_type: str) -> str:
    return {"pdf": "pdf", "docx": "docx"}.get(file_type, "bin")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LocalFileStore:
    """Files in one directory, created on first use with owner-only permissions."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        return self.directory / check_key(key)

    def _put(self, data: bytes, suffix: str) -> str:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = f"{secrets.token_hex(16)}.{suffix}"
        path = self._path(key)
        tmp = path.with_name(f".{key}.{secrets.token_hex(4)}.part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return key

    async def put(self, data: bytes, *, suffix: str) -> str:
        if suffix not in ("pdf", "docx", "bin"):
            raise StoreError("unknown suffix")
        return await asyncio.to_thread(self._put, data, suffix)

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as exc:
            raise StoreError("the file is gone") from exc

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    def _older(self, seconds: float) -> list[str]:
        if not self.directory.is_dir():
            return []
        cutoff = time.time() - seconds
        return sorted(
            p.name
            for p in self.directory.iterdir()
            if KEY_RE.fullmatch(p.name) and p.stat().st_mtime < cutoff
        )

    async def keys_older_than(self, seconds: float) -> list[str]:
        return await asyncio.to_thread(self._older, seconds)


async def discard(store: FileStore, keys: Iterable[str | None]) -> int:
    """Delete these files (after the commit that dropped their rows); returns how many."""
    done = 0
    for key in keys:
        if key:
            await store.delete(key)
            done += 1
    return done


async def sweep_orphans(
    store: FileStore, referenced: set[str], *, grace_seconds: float = ORPHAN_GRACE_SECONDS
) -> int:
    """Delete stored files no row refers to and older than the grace period."""
    return await discard(
        store, [k for k in await store.keys_older_than(grace_seconds) if k not in referenced]
    )


class S3FileStore:
    """Files in an S3-compatible bucket (AWS S3, MinIO, Ceph…), through boto3 in worker threads.

    Keys are the same random names as on disk, under `prefix`. Path-style addressing, so a
    self-hosted endpoint needs no wildcard DNS. Objects are private (no ACL is set; the bucket's
    policy decides, and must not be public): downloads go through the bot's signed links.
    """

    def __init__(
        self,
        *,
        endpoint_url: str | None,
        bucket: str,
        access_key: str | None,
        secret_key: str | None,
        region: str,
        prefix: str = "archive/",
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name=region,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 5}),
        )

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    async def put(self, data: bytes, *, suffix: str) -> str:
        if suffix not in ("pdf", "docx", "bin"):
            raise StoreError("unknown suffix")
        key = f"{secrets.token_hex(16)}.{suffix}"
        await asyncio.to_thread(
            self.client.put_object, Bucket=self.bucket, Key=self._key(key), Body=data
        )
        return key

    async def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            answer = await asyncio.to_thread(
                self.client.get_object, Bucket=self.bucket, Key=self._key(key)
            )
            return bytes(await asyncio.to_thread(answer["Body"].read))
        except ClientError as exc:
            raise StoreError("the file is gone") from exc

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=self._key(key))

    async def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            await asyncio.to_thread(self.client.head_object, Bucket=self.bucket, Key=self._key(key))
        except ClientError:
            return False
        return True

    def _older(self, seconds: float) -> list[str]:
        from datetime import UTC, datetime, timedelta

        cutoff = datetime.now(UTC) - timedelta(seconds=seconds)
        found = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for obj in page.get("Contents", []):
                name = str(obj["Key"])[len(self.prefix) :]
                if KEY_RE.fullmatch(name) and obj["LastModified"] < cutoff:
                    found.append(name)
        return sorted(found)

    async def keys_older_than(self, seconds: float) -> list[str]:
        return await asyncio.to_thread(self._older, seconds)
