"""Signed, expiring links that open the evaluator page (`/e/{token}`).

A token names one `EvaluatorLink` row and its expiry, signed with HMAC-SHA256 under
COHORTBOT_SECRET_KEY in a domain of its own (a nudge link's signature never verifies here):

    base64url("{link_id}:{expires_unix}") "." base64url(hmac("evaluator-link:v1:" + payload))

The email is not in the token (it would end up in access logs); the row holds it. A link works
while it verifies, has not expired, is not revoked and its email is still listed in
COHORTBOT_EVALUATOR_EMAILS: taking an address out of the setting closes every link sent to it.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.urlsafe import b64url, unb64url

MAX_TOKEN_LENGTH = 200
DOMAIN = b"evaluator-link:v1:"


class AccessDenied(Exception):
    """A link that does not open the page; `kind` is tampered | expired | revoked."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind

    @property
    def http_status(self) -> int:
        return {"expired": 410, "revoked": 403}.get(self.kind, 400)


@dataclass(frozen=True)
class LinkClaim:
    link_id: int
    expires_at: datetime


def _signature(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, DOMAIN + payload, hashlib.sha256).digest()


def make_token(*, key: bytes, link_id: int, expires_at: datetime) -> str:
    payload = f"{link_id}:{int(expires_at.timestamp())}".encode()
    return f"{b64url(payload)}.{b64url(_signature(key, payload))}"


def verify_token(token: str, *, keys: Sequence[bytes], now: datetime) -> LinkClaim:
    """The claim in `token`, or AccessDenied("tampered" | "expired"); the signature first."""
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise AccessDenied("tampered")
    payload_part, signature_part = token.split(".")
    try:
        payload = unb64url(payload_part)
        signature = unb64url(signature_part)
    except (binascii.Error, ValueError):
        raise AccessDenied("tampered") from None
    if not any(hmac.compare_digest(signature, _signature(k, payload)) for k in keys):
        raise AccessDenied("tampered")
    try:
        raw_id, raw_expiry = payload.decode("ascii").split(":")
        claim = LinkClaim(int(raw_id), datetime.fromtimestamp(int(raw_expiry), UTC))
    except (UnicodeDecodeError, ValueError, OverflowError, OSError):
        raise AccessDenied("tampered") from None
    if now >= claim.expires_at:
        raise AccessDenied("expired")
    return claim
