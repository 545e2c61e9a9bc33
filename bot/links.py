"""Signed one-click links for line managers who answer nudges by email.

A token names one nudge answer (one nudge, one participant), one answer and an expiry, and is
signed with HMAC-SHA256 under COHORTBOT_SECRET_KEY:

    base64url("{nudge_answer_id}:{answer}:{expires_unix}") "." base64url(hmac)

Anything that does not verify is "tampered" (HTTP 400); a valid token past its expiry is
"expired" (HTTP 410). The signature is checked before the expiry, so an edited expiry is
tampered, never a second chance.

Opening a link records nothing (mail scanners and link previews open every link): its page
shows the question and the answer buttons, and only the page's POST records. That form
carries a nonce and `form_proof(key, token, nonce)`, an HMAC binding the form to this link, so
an answer can only come from a page the bot served for this very link.

Key rotation: tokens and proofs are signed with the first key and verified with any of the
keys given (COHORTBOT_SECRET_KEY, then COHORTBOT_SECRET_KEY_PREVIOUS).
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.urlsafe import b64url, unb64url
from storage.models import NudgeAnswerValue

ANSWERS = frozenset(v.value for v in NudgeAnswerValue)
MAX_TOKEN_LENGTH = 300


class LinkError(Exception):
    """A link that cannot be used; `kind` is "tampered" or "expired".

    An expired link was signed by us, so `nudge_answer_id` is trustworthy (to answer in the
    manager's language); a tampered one names nothing.
    """

    def __init__(self, kind: str, nudge_answer_id: int | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.nudge_answer_id = nudge_answer_id

    @property
    def http_status(self) -> int:
        return 410 if self.kind == "expired" else 400


@dataclass(frozen=True)
class LinkClaim:
    """What a verified link says."""

    nudge_answer_id: int
    answer: str
    expires_at: datetime


def _signature(key: bytes, payload: bytes) -> bytes:
    return hmac.digest(key, b"nudge-link:v1:" + payload, "sha256")  # one-shot: OpenSSL's


def _keys(key: bytes | Sequence[bytes]) -> tuple[bytes, ...]:
    return (key,) if isinstance(key, bytes) else tuple(key)


def new_nonce() -> str:
    """A fresh random nonce for one rendering of a link's page."""
    return secrets.token_urlsafe(16)


def form_proof(*, key: bytes, token: str, nonce: str) -> str:
    """The HMAC that binds a page's form to its link (`token`) and to one rendering (`nonce`)."""
    data = f"answer-form:v1:{token}:{nonce}".encode()
    return b64url(hmac.new(key, data, hashlib.sha256).digest())


def verify_form(*, keys: bytes | Sequence[bytes], token: str, nonce: str, proof: str) -> bool:
    """Whether `proof` is `form_proof` of this token and nonce under one of `keys`."""
    if not nonce or len(nonce) > 64 or not proof or len(proof) > 64:
        return False
    return any(
        hmac.compare_digest(proof, form_proof(key=k, token=token, nonce=nonce)) for k in _keys(keys)
    )


def make_token(*, key: bytes, nudge_answer_id: int, answer: str, expires_at: datetime) -> str:
    """A signed token for one answer to one nudge for one participant."""
    if answer not in ANSWERS:
        raise ValueError(f"unknown answer {answer!r}")
    payload = f"{nudge_answer_id}:{answer}:{int(expires_at.timestamp())}".encode()
    return f"{b64url(payload)}.{b64url(_signature(key, payload))}"


def make_link(
    *, base_url: str, key: bytes, nudge_answer_id: int, answer: str, expires_at: datetime
) -> str:
    """`{base_url}/r/{token}`."""
    token = make_token(
        key=key, nudge_answer_id=nudge_answer_id, answer=answer, expires_at=expires_at
    )
    return f"{base_url.rstrip('/')}/r/{token}"


def verify_token(token: str, *, key: bytes | Sequence[bytes], now: datetime) -> LinkClaim:
    """The claim in `token`, or LinkError("tampered" | "expired").

    `key` may be several keys (the current one first, then previous ones): any verifies.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise LinkError("tampered")
    payload_part, signature_part = token.split(".")
    try:
        payload = unb64url(payload_part)
        signature = unb64url(signature_part)
    except (binascii.Error, ValueError):
        raise LinkError("tampered") from None
    if not any(hmac.compare_digest(signature, _signature(k, payload)) for k in _keys(key)):
        raise LinkError("tampered")
    try:
        raw_id, answer, raw_expiry = payload.decode("ascii").split(":")
        nudge_answer_id = int(raw_id)
        expires_at = datetime.fromtimestamp(int(raw_expiry), UTC)
    except (UnicodeDecodeError, ValueError, OverflowError, OSError):
        raise LinkError("tampered") from None
    if answer not in ANSWERS:
        raise LinkError("tampered")
    if now >= expires_at:
        raise LinkError("expired", nudge_answer_id)
    return LinkClaim(nudge_answer_id, answer, expires_at)
