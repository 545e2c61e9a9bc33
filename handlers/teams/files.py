"""Files people attach in their personal chat with the bot (the app's `supportsFiles`).

Teams sends such a file as a `file.download.info` attachment whose `downloadUrl` is a short-lived,
pre-authenticated OneDrive/SharePoint address. The bot answers with the archive form; the file
rides along in the form's data as a signed reference (the address, the name, the person, an
expiry: HMAC under COHORTBOT_SECRET_KEY), so a card sent back with another address or for
another person is refused, and the bot fetches only `https://*.sharepoint.com` (loopback in dev
mode), within the archive's size limit, when the form is saved. Nothing is kept in between.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.archive.files import Upload
from bot.settings import Settings
from bot.urlsafe import b64url, unb64url
from handlers.teams.connector import is_loopback_url

FILE_INFO = "application/vnd.microsoft.teams.file.download.info"
FILE_HOST_SUFFIXES = (".sharepoint.com",)
REFERENCE_TTL = timedelta(hours=1)  # about as long as Teams' downloadUrl itself lives
MAX_REFERENCE = 4000
_DOMAIN = b"cohortbot.teams-file.v1:"


class FileError(Exception):
    """`kind`: "expired" (send it again), "too_big", or "failed" (not fetched)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass(frozen=True)
class SharedFile:
    name: str
    url: str


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def shared_file(activity: Any) -> SharedFile | None:
    """The first file attached to a message, or None."""
    for attachment in getattr(activity, "attachments", None) or []:
        kind = _get(attachment, "content_type") or _get(attachment, "contentType")
        if kind != FILE_INFO:
            continue
        content = _get(attachment, "content") or {}
        url = _get(content, "downloadUrl") or _get(content, "download_url")
        name = _get(attachment, "name")
        if isinstance(url, str) and url and isinstance(name, str):
            return SharedFile(name[:200] or "file", url)
    return None


def allowed_url(url: str, mode: str) -> bool:
    """Only OneDrive/SharePoint over https; in dev mode only loopback (the local connector)."""
    if mode == "dev":
        return is_loopback_url(url)
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return (
        parts.scheme == "https"
        and not parts.username
        and any(host.endswith(suffix) for suffix in FILE_HOST_SUFFIXES)
    )


def _sig(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, _DOMAIN + payload, hashlib.sha256).digest()


def sign_reference(settings: Settings, file: SharedFile, *, person_id: int, now: datetime) -> str:
    """The file's reference for the form's data, valid `REFERENCE_TTL` for this person."""
    expires = int((now + REFERENCE_TTL).timestamp())
    payload = json.dumps(
        {"p": person_id, "u": file.url, "n": file.name, "e": expires}, separators=(",", ":")
    ).encode()
    return f"{b64url(payload)}.{b64url(_sig(settings.signing_key, payload))}"


def open_reference(
    settings: Settings, reference: Any, *, person_id: int | None, now: datetime
) -> SharedFile:
    """The file a signed reference names, for this person; FileError("expired") otherwise."""
    if not isinstance(reference, str) or len(reference) > MAX_REFERENCE or "." not in reference:
        raise FileError("expired")
    raw, _, sig = reference.partition(".")
    try:
        payload, given = unb64url(raw), unb64url(sig)
        claim = json.loads(payload)
    except (binascii.Error, ValueError):
        raise FileError("expired") from None
    if not any(hmac.compare_digest(_sig(k, payload), given) for k in settings.verification_keys):
        raise FileError("expired")
    if not isinstance(claim, dict) or claim.get("p") != person_id:
        raise FileError("expired")
    if not isinstance(claim.get("e"), int) or claim["e"] < now.timestamp():
        raise FileError("expired")
    url, name = claim.get("u"), claim.get("n")
    if not isinstance(url, str) or not isinstance(name, str):
        raise FileError("expired")
    return SharedFile(name, url)


async def fetch_file(
    http: aiohttp.ClientSession, file: SharedFile, *, mode: str, limit: int
) -> Upload:
    """The file's bytes from its download address; FileError("too_big" | "failed")."""
    if not allowed_url(file.url, mode):
        raise FileError("failed")
    timeout = aiohttp.ClientTimeout(total=120)
    try:
        async with http.get(file.url, timeout=timeout, allow_redirects=False) as response:
            if response.status != 200:
                raise FileError("failed")
            if int(response.headers.get("Content-Length") or 0) > limit:
                raise FileError("too_big")
            data = await response.content.read(limit + 1)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise FileError("failed") from exc
    if len(data) > limit:
        raise FileError("too_big")
    return Upload(file.name, data)
