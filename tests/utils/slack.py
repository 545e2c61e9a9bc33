"""Signed Slack requests, built the way Slack signs them (v0 HMAC-SHA256)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack would send with `body`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def json_body(payload: dict[str, Any]) -> tuple[str, str]:
    return json.dumps(payload), "application/json"


def command_body(**fields: Any) -> tuple[str, str]:
    return urlencode(fields), "application/x-www-form-urlencoded"


def interaction_body(payload: dict[str, Any]) -> tuple[str, str]:
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
