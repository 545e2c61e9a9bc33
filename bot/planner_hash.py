"""Fingerprints of planned messages, so re-planning compares hashes instead of whole messages.

A planned delivery's message carries `meta.plan_hash`: the hash of what it was built from (or
of its own content). The planner reads only that field from the outbox (a JSON path in SQL) and
rewrites a row only when the fingerprint, time, target or transport differ.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from bot.notifier import OutgoingMessage


def fingerprint(*parts: object) -> str:
    """A short hash of what a message is built from (stored as its meta.plan_hash)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


def message_json(message: OutgoingMessage, plan_hash: str | None = None) -> dict[str, Any]:
    """The message as stored, with its fingerprint in meta (the hash of its own content when
    none is given)."""
    data: dict[str, Any] = _plain(message)
    meta = dict(data.get("meta") or {})
    meta["plan_hash"] = plan_hash or fingerprint(json.dumps(data, sort_keys=True))
    data["meta"] = meta
    return data


_FIELDS: dict[type, tuple[str, ...]] = {}


def _plain(value: Any) -> Any:
    """`value` as JSON would give it back (dataclasses as dicts, tuples as lists): the same as
    `json.loads(json.dumps(asdict(value)))`, without asdict's deep copies (the planner builds
    thousands of messages per run)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS.get(type(value))
        if names is None:
            names = _FIELDS[type(value)] = tuple(f.name for f in dataclasses.fields(value))
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
