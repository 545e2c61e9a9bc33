"""Signed one-click links: round trip, tampering, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.links import LinkError, make_link, make_token, verify_token

KEY = b"test-secret-key-0123456789abcdef"
NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(days=30)


def test_round_trip() -> None:
    token = make_token(key=KEY, nudge_answer_id=42, answer="later", expires_at=EXPIRES)
    claim = verify_token(token, key=KEY, now=NOW)
    assert (claim.nudge_answer_id, claim.answer, claim.expires_at) == (42, "later", EXPIRES)
    link = make_link(
        base_url="https://bot.example.no/",
        key=KEY,
        nudge_answer_id=42,
        answer="done",
        expires_at=EXPIRES,
    )
    assert link.startswith("https://bot.example.no/r/") and "=" not in link and "+" not in link


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature changed
        lambda t: "x" + t,  # payload changed
        lambda t: t.split(".")[0],  # signature missing
        lambda t: "",
        lambda t: "a.b.c",
        lambda t: "!!!.???",
        lambda t: t + "." + t,
    ],
)
def test_tampered_links_are_rejected(mangle) -> None:  # type: ignore[no-untyped-def]
    token = make_token(key=KEY, nudge_answer_id=42, answer="done", expires_at=EXPIRES)
    with pytest.raises(LinkError) as info:
        verify_token(mangle(token), key=KEY, now=NOW)
    assert info.value.kind == "tampered" and info.value.http_status == 400


def test_a_different_answer_or_id_needs_a_new_signature() -> None:
    import base64

    token = make_token(key=KEY, nudge_answer_id=42, answer="cannot", expires_at=EXPIRES)
    _payload, signature = token.split(".")
    forged = (
        base64.urlsafe_b64encode(f"43:done:{int(EXPIRES.timestamp())}".encode())
        .decode()
        .rstrip("=")
    )
    with pytest.raises(LinkError, match="tampered"):
        verify_token(f"{forged}.{signature}", key=KEY, now=NOW)
    with pytest.raises(LinkError, match="tampered"):
        verify_token(token, key=b"another key", now=NOW)


def test_expired_link() -> None:
    token = make_token(key=KEY, nudge_answer_id=42, answer="done", expires_at=EXPIRES)
    with pytest.raises(LinkError) as info:
        verify_token(token, key=KEY, now=EXPIRES)
    assert info.value.kind == "expired" and info.value.http_status == 410
    assert info.value.nudge_answer_id == 42
