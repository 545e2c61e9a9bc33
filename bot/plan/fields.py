"""Helpers the plan's sections share: items, unique keys, titles, times, links, reminders."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import yaml

from bot.messages import counted
from bot.plan.model import DEFAULT_REMINDERS
from bot.plan.reader import _line, _Reader
from bot.plan.when import (
    WHEN_EXPECTED,
    SessionTimes,
    WhenError,
    anchor_session,
    localize,
    parse_duration,
    parse_when,
    resolve_when,
)


@dataclass
class _Times:
    """Resolves time expressions against the sessions, reporting errors on their lines."""

    reader: _Reader
    zone: ZoneInfo
    sessions: dict[str, SessionTimes]
    invalid_sessions: set[str]  # given but with errors: don't report references to them again

    def when(self, node: yaml.Node, where: str) -> tuple[datetime, str | None] | None:
        parsed = self.reader.parse(node, where, parse_when, WHEN_EXPECTED)
        if parsed is None:
            return None
        if parsed.session is not None and parsed.session in self.invalid_sessions:
            return None
        try:
            moment = resolve_when(parsed, zone=self.zone, sessions=self.sessions)
        except WhenError as exc:
            self.reader.error(node, f"{where}: {exc}")
            return None
        return moment, anchor_session(parsed, self.sessions)

    def session_ref(self, node: yaml.Node, where: str) -> str | None:
        ref = self.reader.scalar(node, where, "a session number or key")
        if ref is None or ref in self.invalid_sessions:
            return None
        if ref not in self.sessions:
            known = sorted({f"{s.number} ({s.key})" for s in self.sessions.values()})
            self.reader.error(
                node,
                f"{where}: reference to unknown session '{ref}'; expected one of: "
                + (", ".join(known) or "no valid sessions"),
            )
            return None
        return self.sessions[ref].key


_SINGULAR = {
    "classes": "class",
    "sessions": "session",
    "assignments": "assignment",
    "nudges": "nudge",
    "pulses": "pulse",
}


def _items(
    reader: _Reader, root: dict[str, yaml.Node], section: str
) -> list[tuple[yaml.Node, str]]:
    node = root.get(section)
    if node is None:
        return []
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return []
    items = reader.sequence(node, section)
    if items is None:
        return []
    out = []
    for index, item in enumerate(items, start=1):
        label = f"{section}[{index}]"
        if isinstance(item, yaml.MappingNode):
            for k, v in item.value:
                if (
                    isinstance(k, yaml.ScalarNode)
                    and k.value == "key"
                    and isinstance(v, yaml.ScalarNode)
                ):
                    label = f"{_SINGULAR[section]} '{v.value}'"
                    break
        out.append((item, label))
    return out


def _unique(reader: _Reader, seen: dict[str, int], value: str, node: yaml.Node, what: str) -> bool:
    if value in seen:
        reader.error(node, f"duplicate {what} '{value}' (first used on line {seen[value]})")
        return False
    seen[value] = _line(node)
    return True


def _unique_key(
    reader: _Reader, fields: dict[str, yaml.Node], where: str, seen: dict[str, int], what: str
) -> str | None:
    """The item's key; None when it is missing, invalid or used before (each reported)."""
    key = reader.key(fields["key"], f"{where}.key") if "key" in fields else None
    if key and not _unique(reader, seen, key, fields["key"], what):
        return None
    return key


def _title(reader: _Reader, fields: dict[str, yaml.Node], where: str) -> str | None:
    """The item's title (up to 200 characters); None when it is missing or invalid."""
    return (
        reader.text(fields["title"], f"{where}.title", max_length=200)
        if "title" in fields
        else None
    )


def _keys(root: dict[str, yaml.Node], section: str) -> set[str]:
    """Every key given in a section, valid or not (so references to bad rows stay quiet)."""
    node = root.get(section)
    keys: set[str] = set()
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            if isinstance(item, yaml.MappingNode):
                for k, v in item.value:
                    if getattr(k, "value", None) == "key" and isinstance(v, yaml.ScalarNode):
                        keys.add(str(v.value))
    return keys


def _raw_refs(fields: dict[str, yaml.Node]) -> set[str]:
    refs = set()
    for name in ("key", "number"):
        node = fields.get(name)
        if isinstance(node, yaml.ScalarNode):
            refs.add(str(node.value))
    return refs


def _absolute(
    reader: _Reader, node: yaml.Node | None, where: str, zone: ZoneInfo
) -> datetime | None:
    if node is None:
        return None
    parsed = reader.parse(node, where, parse_when, "a date and time like 2026-09-15 09:00")
    if parsed is None:
        return None
    if parsed.moment is None:
        reader.error(node, f"{where}: a session's times must be absolute, like 2026-09-15 09:00")
        return None
    try:
        return localize(parsed.moment, zone)
    except WhenError as exc:
        reader.error(node, f"{where}: {exc}")
        return None


def _minutes_text(minutes: int) -> str:
    for size, unit in ((7 * 24 * 60, "week"), (24 * 60, "day"), (60, "hour")):
        if minutes % size == 0:
            n = minutes // size
            return counted(n, unit, f"{unit}s")
    return counted(minutes, "minute", "minutes")


def _url(reader: _Reader, node: yaml.Node | None, where: str) -> str | None:
    if node is None:
        return None
    value = reader.text(node, where, max_length=1000)
    if value and not re.match(r"^https?://\S+$", value):
        reader.error(node, f"{where}: expected a web address starting with https://, got '{value}'")
        return None
    return value


def _reminders(reader: _Reader, node: yaml.Node | None, where: str) -> tuple[int, ...] | None:
    if node is None:
        return DEFAULT_REMINDERS
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return ()
    items = reader.sequence(node, where)
    if items is None:
        return None
    out: list[int] = []
    ok = True
    for item in items:
        minutes = reader.parse(item, where, parse_duration, "a duration like '7 days'")
        if minutes is None:
            ok = False
        elif minutes in out:
            reader.error(item, f"{where}: the reminder '{item.value}' is given twice")
            ok = False
        else:
            out.append(minutes)
    return tuple(sorted(out, reverse=True)) if ok else None
