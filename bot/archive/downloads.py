"""Signed download links for archive files.

Choice: files are served by the bot through a short-lived signed link, not uploaded into Slack.
A copy uploaded to Slack would live on in Slack after the owner withdraws the item or is erased;
a link is checked when it is opened — the item must still exist and the person the link was
made for must still be allowed to see it — so a withdrawal or a visibility change takes effect
at once, for links already handed out too. A link names the item, the person and an expiry
(`COHORTBOT_ARCHIVE_LINK_MINUTES`), signed with HMAC-SHA256 under `COHORTBOT_SECRET_KEY`:

    base64url("a:{item_id}:{person_id or 0}:{expires_unix}") "." base64url(hmac)

Opening one changes nothing but the audit log: a staff member's read of a participant's file
is recorded with the owner's id.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot import audit
from bot.archive.files import FileStore, StoreError
from bot.archive.search import viewer_for
from bot.settings import Settings
from bot.urlsafe import b64url, unb64url
from storage.db import Database
from storage.models import Person
from storage.queries import archive as q

MAX_TOKEN = 200
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


class DownloadError(Exception):
    """`kind`: "tampered" (400), "expired" (410) or "gone" (404: withdrawn or not yours)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind

    @property
    def http_status(self) -> int:
        return {"tampered": 400, "expired": 410}.get(self.kind, 404)


@dataclass(frozen=True)
class Download:
    name: str
    content_type: str
    data: bytes


def _sig(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, b"archive-download:" + payload, hashlib.sha256).digest()


def make_token(*, key: bytes, item_id: int, person_id: int | None, expires_at: datetime) -> str:
    payload = f"a:{item_id}:{person_id or 0}:{int(expires_at.timestamp())}".encode()
    return f"{b64url(payload)}.{b64url(_sig(key, payload))}"


def download_link(settings: Settings, *, item_id: int, person_id: int | None, now: datetime) -> str:
    expires = now + timedelta(minutes=settings.archive_link_minutes)
    token = make_token(
        key=settings.signing_key, item_id=item_id, person_id=person_id, expires_at=expires
    )
    return f"{settings.base_url.rstrip('/')}/archive/{token}"


def verify(token: str, *, keys: Sequence[bytes], now: datetime) -> tuple[int, int | None]:
    """(item id, person id) of a valid token; `DownloadError` otherwise."""
    if len(token) > MAX_TOKEN or "." not in token:
        raise DownloadError("tampered")
    body, _, sig = token.partition(".")
    try:
        payload, signature = unb64url(body), unb64url(sig)
    except (binascii.Error, ValueError) as exc:
        raise DownloadError("tampered") from exc
    if not any(hmac.compare_digest(_sig(k, payload), signature) for k in keys):
        raise DownloadError("tampered")
    try:
        tag, item, person, expires = payload.decode().split(":")
        item_id, person_id, expires_unix = int(item), int(person), int(expires)
    except ValueError as exc:
        raise DownloadError("tampered") from exc
    if tag != "a":
        raise DownloadError("tampered")
    if datetime.fromtimestamp(expires_unix, UTC) < now:
        raise DownloadError("expired")
    return item_id, person_id or None


async def open_download(
    db: Database, store: FileStore, settings: Settings, *, token: str, now: datetime
) -> Download:
    """The file a link points at, if its person may still see it (audited for staff)."""
    item_id, person_id = verify(token, keys=settings.verification_keys, now=now)
    async with db.transaction() as session:
        person = await session.get(Person, person_id) if person_id else None
        if person_id and (person is None or person.erased_at is not None):
            raise DownloadError("gone")
        viewer = await viewer_for(session, person=person, staff_emails=settings.staff_emails)
        item = await q.visible_item(session=session, viewer=viewer, item_id=item_id)
        if item is None or item.file_key is None:
            raise DownloadError("gone")
        if viewer.is_staff and item.owner_id is not None and item.owner_id != person_id:
            await audit.record(
                session,
                actor_id=person_id,
                actor=f"person:{person_id}" if person_id else "cli",
                action="archive.read",
                subject=f"archive:{item_id}",
                detail={"person_id": item.owner_id, "file": True},
            )
        key, name, file_type = item.file_key, item.file_name or "file", item.file_type or ""
        if item.owner_id not in (None, person_id) and not (item.show_name or viewer.is_staff):
            # The name they gave the file often is their own name, which they chose to hide.
            name = f"arkiv-{item_id}.{file_type or 'bin'}"
    try:
        data = await store.get(key)
    except StoreError as exc:
        raise DownloadError("gone") from exc
    return Download(name, CONTENT_TYPES.get(file_type, "application/octet-stream"), data)


async def link_for(
    db: Database, settings: Settings, *, item_id: int, person: Person, now: datetime
) -> tuple[str, str]:
    """(title, signed link) for an item with a file that `person` may see; "gone" otherwise."""
    async with db.session() as session:
        viewer = await viewer_for(session, person=person, staff_emails=settings.staff_emails)
        item = await q.visible_item(session=session, viewer=viewer, item_id=item_id)
    if item is None or item.file_key is None:
        raise DownloadError("gone")
    return item.title, download_link(settings, item_id=item_id, person_id=person.id, now=now)
