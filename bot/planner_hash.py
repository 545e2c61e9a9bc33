"""Fingerprints of planned messages, so re-planning compares hashes instead of whole messages.

A planned delivery's message carries `meta.plan_hash`: the hash of what it was built from (or
of its own content). The planner reads only that field from the outbox (a JSON path in SQL) and
rewrites a row only when the fingerprint, time, target or transport differ.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, cast

from bot.notifier import OutgoingMessage


def fingerprint(*parts: object) -> str:
    """A short hash of what a message is built from (stored as its meta.plan_hash)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


def message_json(message: OutgoingMessage, plan_hash: str | None = None) -> dict[str, Any]:
    """The message as stored, with its fingerprint in meta (the hash of its own content when
    none is given)."""
    data = cast(dict[str, Any], json.loads(json.dumps(message.to_json())))
    meta = dict(data.get("meta") or {})
    meta["plan_hash"] = plan_hash or fingerprint(json.dumps(data, sort_keys=True))
    data["meta"] = meta
    return data
