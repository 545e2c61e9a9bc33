"""The programme, cohort, classes and sessions sections."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.plan.fields import _absolute, _items, _raw_refs, _Times, _title, _unique
from bot.plan.model import ClassPlan, CohortPlan, ProgrammePlan, SessionPlan
from bot.plan.reader import _Reader
from bot.plan.when import SessionTimes


def _programme(reader: _Reader, root: dict[str, yaml.Node]) -> ProgrammePlan | None:
    node = root.get("programme")
    if node is None:
        return None
    fields = reader.mapping(node, "programme", required=("key", "name"))
    if fields is None:
        return None
    key = reader.key(fields["key"], "programme.key") if "key" in fields else None
    name = (
        reader.text(fields["name"], "programme.name", max_length=200) if "name" in fields else None
    )
    return ProgrammePlan(key, name) if key and name else None


def _cohort(reader: _Reader, root: dict[str, yaml.Node]) -> CohortPlan | None:
    node = root.get("cohort")
    if node is None:
        return None
    fields = reader.mapping(
        node, "cohort", required=("key", "name"), optional=("timezone", "start", "end")
    )
    if fields is None:
        return None
    key = reader.key(fields["key"], "cohort.key") if "key" in fields else None
    name = reader.text(fields["name"], "cohort.name", max_length=200) if "name" in fields else None
    zone_name: str | None = "Europe/Oslo"
    if "timezone" in fields:
        zone_name = reader.scalar(fields["timezone"], "cohort.timezone", "an IANA time zone")
        if zone_name is not None:
            try:
                ZoneInfo(zone_name)
            except (ZoneInfoNotFoundError, ValueError):
                reader.error(
                    fields["timezone"],
                    f"cohort.timezone: '{zone_name}' is not a time zone "
                    "(expected an IANA name such as Europe/Oslo)",
                )
                zone_name = None
    start = reader.day(fields["start"], "cohort.start") if "start" in fields else None
    end = reader.day(fields["end"], "cohort.end") if "end" in fields else None
    if start and end and end < start:
        reader.error(fields["end"], f"cohort.end: {end} is before the start {start}")
    if key and name and zone_name:
        return CohortPlan(key, name, zone_name, start, end)
    return None


def _classes(reader: _Reader, root: dict[str, yaml.Node]) -> list[ClassPlan]:
    out: list[ClassPlan] = []
    seen: dict[str, int] = {}
    items = _items(reader, root, "classes")
    if (
        "classes" in root
        and not items
        and isinstance(root["classes"], yaml.SequenceNode | yaml.ScalarNode)
    ):
        reader.error(root["classes"], "classes: expected at least one class")
    for node, where in items:
        fields = reader.mapping(node, where, required=("key", "name", "city"))
        if fields is None:
            continue
        key = reader.key(fields["key"], f"{where}.key") if "key" in fields else None
        name = (
            reader.text(fields["name"], f"{where}.name", max_length=200)
            if "name" in fields
            else None
        )
        city = (
            reader.text(fields["city"], f"{where}.city", max_length=100)
            if "city" in fields
            else None
        )
        if key and not _unique(reader, seen, key, fields["key"], "class key"):
            continue
        if key and name and city:
            out.append(ClassPlan(key, name, city))
    return out


def _sessions(
    reader: _Reader, root: dict[str, yaml.Node], zone: ZoneInfo, cohort: CohortPlan | None
) -> tuple[list[SessionPlan], _Times]:
    out: list[SessionPlan] = []
    keys: dict[str, int] = {}
    numbers: dict[str, int] = {}
    invalid: set[str] = set()
    items = _items(reader, root, "sessions")
    if (
        "sessions" in root
        and not items
        and isinstance(root["sessions"], yaml.SequenceNode | yaml.ScalarNode)
    ):
        reader.error(root["sessions"], "sessions: expected at least one session")
    for node, where in items:
        fields = reader.mapping(
            node,
            where,
            required=("key", "number", "title", "start", "end"),
            optional=("location", "line_manager"),
        )
        if fields is None:
            continue
        errors_before = len(reader.errors)
        key = reader.key(fields["key"], f"{where}.key") if "key" in fields else None
        number = reader.integer(fields["number"], f"{where}.number") if "number" in fields else None
        title = _title(reader, fields, where)
        starts = _absolute(reader, fields.get("start"), f"{where}.start", zone)
        ends = _absolute(reader, fields.get("end"), f"{where}.end", zone)
        location = (
            reader.text(fields["location"], f"{where}.location", max_length=200)
            if "location" in fields
            else None
        )
        line_manager = (
            reader.boolean(fields["line_manager"], f"{where}.line_manager")
            if "line_manager" in fields
            else False
        )
        if key:
            _unique(reader, keys, key, fields["key"], "session key")
        if key and key.isdigit() and number is not None and key != str(number):
            # "session 2" must not mean one session by number and another by key
            reader.error(
                fields["key"],
                f"{where}.key: a key made of digits must be the session's number ({number})",
            )
        if number is not None:
            _unique(reader, numbers, str(number), fields["number"], "session number")
        if starts and ends and ends <= starts:
            reader.error(fields["end"], f"{where}.end: the session must end after it starts")
        if (
            cohort
            and starts
            and cohort.start_date
            and starts.astimezone(zone).date() < cohort.start_date
        ):
            reader.error(
                fields["start"], f"{where}.start: before the cohort starts ({cohort.start_date})"
            )
        if cohort and ends and cohort.end_date and ends.astimezone(zone).date() > cohort.end_date:
            reader.error(fields["end"], f"{where}.end: after the cohort ends ({cohort.end_date})")
        if len(reader.errors) > errors_before or None in (key, number, title, starts, ends):
            invalid.update(str(v) for v in (key, number) if v is not None)
            invalid.update(_raw_refs(fields))
            continue
        assert key and number and title and starts and ends and line_manager is not None
        out.append(SessionPlan(key, number, title, starts, ends, location, line_manager))
    table: dict[str, SessionTimes] = {}
    for s in out:
        times = SessionTimes(s.key, s.number, s.starts_at, s.ends_at)
        table[str(s.number)] = times
        table[s.key] = times
    invalid -= set(table)
    return out, _Times(reader, zone, table, invalid)
