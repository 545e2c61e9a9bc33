"""URL-safe base64 without padding, as every signed link and token in the bot writes it."""

from __future__ import annotations

import base64


def b64url(data: bytes) -> str:
    """Bytes as URL-safe base64 with the padding left off."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """The bytes of `b64url`'s text (padding put back); raises binascii.Error or ValueError."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
