"""Download links for rendered reports: a random token whose hash is stored with the file.

The link is a capability: 256 random bits (`secrets.token_urlsafe`), only its SHA-256 in the
database, valid for `DOWNLOAD_HOURS`. It is sent to one staff member in their personal chat;
opening it changes nothing (a link preview may fetch it too, and gets the same file), and each
download is audited. Expired rows are deleted whenever a new link is made or an old one opened.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.queries import downloads as q
from storage.queries.people import record_audit

DOWNLOAD_HOURS = 24
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 100
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    content: bytes
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def keep_for_download(
    session: AsyncSession,
    *,
    data: bytes,
    filename: str,
    fmt: str,
    now: datetime,
    hours: int = DOWNLOAD_HOURS,
) -> tuple[str, datetime]:
    """Store the file; (the link's token, when it expires). Call in a transaction."""
    await q.delete_expired_downloads(session=session, now=now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = now + timedelta(hours=hours)
    await q.add_download(
        session=session,
        token_hash=_hash(token),
        filename=filename,
        content_type=CONTENT_TYPES.get(fmt, "application/octet-stream"),
        content=data,
        now=now,
        expires_at=expires_at,
    )
    return token, expires_at


async def open_download(session: AsyncSession, *, token: str, now: datetime) -> Download | str:
    """The file behind a link, or "unknown" / "expired". Audited; call in a transaction."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return "unknown"
    row = await q.get_download(session=session, token_hash=_hash(token))
    if row is None or row.id is None:
        return "unknown"
    if row.expires_at <= now:
        await q.delete_expired_downloads(session=session, now=now)
        return "expired"
    await record_audit(
        session=session,
        actor="link",
        actor_id=None,
        action="report.download",
        subject=f"download:{row.id}",
        detail={"filename": row.filename, "bytes": len(row.content)},
    )
    return Download(row.filename, row.content_type, bytes(row.content), row.expires_at)
