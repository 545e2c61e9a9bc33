"""Seal an anonymous pulse's answers until it closes: a keyed token and AES-GCM under the secret key.

The receipt a click writes is `(pulse, token, sealed)`. Without COHORTBOT_SECRET_KEY the token
names nobody and the sealed bytes say nothing, not even their length: every receipt of a pulse
is padded to the same size before it is encrypted. See docs/privacy.md for the threat model.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
# A question's sealed share: free text is at most 3,000 characters, up to 4 bytes each in UTF-8,
# and a scale or choice answer fits in the base.
BASE_BYTES = 256
TEXT_BYTES = 3000 * 4 + 64


class SealError(ValueError):
    """A receipt that does not open under this key (tampered, or sealed under another key)."""


def respondent_token(key: bytes, pulse_id: int, person_id: int) -> str:
    """Return HMAC-SHA256(secret, pulse, person) as hex: stable per person and pulse, unguessable."""
    msg = f"cohortbot/pulse-respondent/v1:{pulse_id}:{person_id}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def _cipher(key: bytes) -> AESGCM:
    # A separate key for sealing, derived from the secret key, so tokens and links never share it.
    derived = hmac.new(key, b"cohortbot/pulse-receipt-seal/v1", hashlib.sha256).digest()
    return AESGCM(derived)


def padded_size(question_kinds: list[str]) -> int:
    """The one plaintext size every receipt of a pulse with these questions is padded to."""
    return BASE_BYTES + sum(TEXT_BYTES if k == "text" else BASE_BYTES for k in question_kinds)


def seal(
    key: bytes, *, pulse_id: int, token: str, answers: dict[int, dict[str, Any]], size: int
) -> bytes:
    """Encrypt a person's answers ({question id: {"v": int|None, "t": str|None}}), padded to size."""
    plain = json.dumps(
        {str(k): v for k, v in sorted(answers.items())}, ensure_ascii=False, separators=(",", ":")
    ).encode()
    if len(plain) + 1 > size:
        raise ValueError("answers longer than the pulse's receipt size")
    padded = plain + b"\x00" * (size - len(plain))
    nonce = os.urandom(NONCE_BYTES)
    return nonce + _cipher(key).encrypt(nonce, padded, f"{pulse_id}:{token}".encode())


def unseal(key: bytes, *, pulse_id: int, token: str, sealed: bytes) -> dict[int, dict[str, Any]]:
    """Open a receipt sealed by `seal`; raise SealError if it does not open."""
    nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    try:
        padded = _cipher(key).decrypt(nonce, body, f"{pulse_id}:{token}".encode())
    except InvalidTag as exc:
        raise SealError("the receipt does not open under this key") from exc
    data = json.loads(padded.rstrip(b"\x00").decode())
    return {int(k): v for k, v in data.items()}
