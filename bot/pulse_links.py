"""Answer links for pulses sent by email: opaque tokens, minted at send time, never stored.

A pulse email's answer buttons are stored in the outbox as placeholders
(`cohortbot-link:pulse:{pulse}:{person}:{expires}[?q={question}&v={value}]`): the outbox names
the person anyway, so a placeholder tells nobody more. The email transport turns each into a
real link, `{base_url}/p/{token}`, as it sends (`mint_links`), where

    token = base64url(nonce ‖ AES-GCM(key derived from COHORTBOT_SECRET_KEY,
                                      "{pulse}:{person}:{expires}"))

so the token is in the person's mailbox and nowhere in the database, and without the key it
names nobody (not even the pulse): a proxy's access log of `/p/…` cannot be joined to the
outbox, and a fresh nonce per send makes two links of one person look unrelated.

Opening the link records nothing (mail scanners open every link); the page's form POSTs to
`/p` with the token in the body (so no access log line pairs a token with the moment of
answering) and a proof bound to the token (bot.links.form_proof). What the POST writes is what
a Slack click writes: bot.pulses.record_answer (for an anonymous pulse only the sealed receipt).
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.notifier import OutgoingMessage
from bot.urlsafe import b64url, unb64url

PLACEHOLDER = "cohortbot-link:pulse:"
NONCE_BYTES = 12
MAX_TOKEN_LENGTH = 200


class PulseLinkError(Exception):
    """A pulse link that cannot be used: `kind` is "tampered" or "expired"."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind

    @property
    def http_status(self) -> int:
        return 410 if self.kind == "expired" else 400


@dataclass(frozen=True)
class PulseLinkClaim:
    """What a verified pulse link says."""

    pulse_id: int
    person_id: int
    expires_at: datetime


def _cipher(key: bytes) -> AESGCM:
    # Its own key, derived from the secret key: never the receipts' or the nudge links'.
    return AESGCM(hmac.new(key, b"cohortbot/pulse-link/v1", hashlib.sha256).digest())


def make_token(*, key: bytes, pulse_id: int, person_id: int, expires_at: datetime) -> str:
    """An opaque token for one person's answers to one pulse, valid until `expires_at`."""
    nonce = os.urandom(NONCE_BYTES)
    plain = f"{pulse_id}:{person_id}:{int(expires_at.timestamp())}".encode()
    return b64url(nonce + _cipher(key).encrypt(nonce, plain, b"pulse-link"))


def verify_token(token: str, *, keys: bytes | Sequence[bytes], now: datetime) -> PulseLinkClaim:
    """The claim in `token`, or PulseLinkError("tampered" | "expired")."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise PulseLinkError("tampered")
    try:
        raw = unb64url(token)
    except (binascii.Error, ValueError):
        raise PulseLinkError("tampered") from None
    nonce, body = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    plain = None
    for key in (keys,) if isinstance(keys, bytes) else tuple(keys):
        try:
            plain = _cipher(key).decrypt(nonce, body, b"pulse-link")
            break
        except (InvalidTag, ValueError):
            continue
    if plain is None:
        raise PulseLinkError("tampered")
    try:
        pulse, person, expiry = (int(x) for x in plain.decode("ascii").split(":"))
        expires_at = datetime.fromtimestamp(expiry, UTC)
    except (UnicodeDecodeError, ValueError, OverflowError, OSError):
        raise PulseLinkError("tampered") from None
    if now >= expires_at:
        raise PulseLinkError("expired")
    return PulseLinkClaim(pulse, person, expires_at)


def placeholder(
    *,
    pulse_id: int,
    person_id: int,
    expires_at: datetime,
    question_id: int | None = None,
    value: int | None = None,
) -> str:
    """The stored stand-in for a link, turned into a real one by `mint_links` at send time."""
    url = f"{PLACEHOLDER}{pulse_id}:{person_id}:{int(expires_at.timestamp())}"
    if question_id is not None and value is not None:
        url += "?" + urlencode({"q": question_id, "v": value})
    return url


def mint(url: str, *, key: bytes, base_url: str) -> str:
    """A real link for a placeholder (anything else is returned as it is)."""
    if not url.startswith(PLACEHOLDER):
        return url
    parts = urlsplit(url)
    try:
        pulse, person, expiry = (int(x) for x in parts.path.removeprefix("pulse:").split(":"))
    except ValueError:
        return url
    token = make_token(
        key=key,
        pulse_id=pulse,
        person_id=person,
        expires_at=datetime.fromtimestamp(expiry, UTC),
    )
    query = {k: v[0] for k, v in parse_qs(parts.query).items() if k in ("q", "v") and v}
    link = f"{base_url.rstrip('/')}/p/{token}"
    return link + ("?" + urlencode(query) if query else "")


def has_placeholders(message: OutgoingMessage) -> bool:
    """Whether the message has links still to be minted."""
    return any(b.url and b.url.startswith(PLACEHOLDER) for s in message.sections for b in s.buttons)


def mint_links(message: OutgoingMessage, *, key: bytes, base_url: str) -> OutgoingMessage:
    """The message with every pulse-link placeholder made a real link."""
    if not has_placeholders(message):
        return message
    return replace(
        message,
        sections=tuple(
            replace(
                section,
                buttons=tuple(
                    replace(b, url=mint(b.url, key=key, base_url=base_url)) if b.url else b
                    for b in section.buttons
                ),
            )
            for section in message.sections
        ),
    )
