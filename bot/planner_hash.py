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

from bot.notifier import Button, OutgoingMessage, Section


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


def _plain(message: OutgoingMessage) -> dict[str, Any]:
    """The message as JSON would give it back: the same as `json.loads(json.dumps(asdict(m)))`,
    without asdict's deep copies (the planner builds thousands of messages per run).
    `tests/bot/test_planner_hash.py` pins the two to each other."""
    return {
        "text": message.text,
        "title": message.title,
        "sections": [
            {
                "text": s.text,
                "fields": [list(f) for f in s.fields],
                "buttons": [
                    {
                        "action_id": b.action_id,
                        "label": b.label,
                        "value": b.value,
                        "style": b.style,
                        "url": b.url,
                    }
                    for b in s.buttons
                ],
            }
            for s in message.sections
        ],
        "context": message.context,
        "subject": message.subject,
        "locale": message.locale,
        "meta": json.loads(json.dumps(message.meta)) if message.meta else {},
    }


# The shape above names every field; a field added to a message class must be added there too.
assert [f.name for f in dataclasses.fields(OutgoingMessage)] == [
    "text",
    "title",
    "sections",
    "context",
    "subject",
    "locale",
    "meta",
]
assert [f.name for f in dataclasses.fields(Section)] == ["text", "fields", "buttons"]
assert [f.name for f in dataclasses.fields(Button)] == [
    "action_id",
    "label",
    "value",
    "style",
    "url",
]
