"""The programme plan file: parse and validate YAML into an immutable, typed plan.

Pure: no database, no clock. `parse_plan` collects every error it finds, each with the line it
is on and what was expected, and raises `PlanInvalid` with all of them; a plan that comes back
is complete and consistent, with every time resolved to UTC.

Times are written in the cohort's zone (default Europe/Oslo), absolute or relative to a session:

    2026-09-01 09:00
    start of session 2              session 2            end of session 2
    14 days before session 1 at 09:00
    2 days after end of session 2 at 09:00
    3 hours after end of session 1

Day and week offsets count calendar days on the local wall clock (so "1 day after" keeps 09:00
across a DST change); hour and minute offsets count elapsed time. The format is documented in
docs/plan-format.md.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

T = TypeVar("T")

KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
NUDGE_KINDS = ("before_start", "assignment", "session", "custom")
QUESTION_KINDS = ("scale5", "nps", "choice", "text")
AUDIENCES = ("participants", "alumni", "class:<class key>")
MAX_QUESTIONS = 3
MAX_CHOICES = 10
DEFAULT_REMINDERS = (7 * 24 * 60, 24 * 60)


# --- the plan model ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProgrammePlan:
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class CohortPlan:
    key: str
    name: str
    timezone: str
    start_date: date | None
    end_date: date | None


@dataclass(frozen=True, slots=True)
class ClassPlan:
    key: str
    name: str
    city: str


@dataclass(frozen=True, slots=True)
class SessionPlan:
    key: str
    number: int
    title: str
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    location: str | None
    line_manager: bool


@dataclass(frozen=True, slots=True)
class AssignmentPlan:
    key: str
    title: str
    description: str
    url: str | None
    release_at: datetime  # UTC
    due_at: datetime  # UTC
    line_manager: bool
    reminder_offsets: tuple[int, ...]  # minutes before the due time
    session_key: str | None  # the session it follows (given, or the one `release` names)


@dataclass(frozen=True, slots=True)
class NudgePlan:
    key: str
    kind: str  # before_start | assignment | session | custom
    title: str
    text: str
    send_at: datetime  # UTC
    respond_by: datetime | None  # UTC
    assignment_key: str | None
    session_key: str | None


@dataclass(frozen=True, slots=True)
class QuestionPlan:
    kind: str  # scale5 | nps | choice | text
    text: str
    choices: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PulsePlan:
    key: str
    title: str
    anonymous: bool
    audience: str  # participants | alumni | class:<key>
    opens_at: datetime  # UTC
    closes_at: datetime  # UTC
    reminder_at: datetime | None  # UTC
    session_key: str | None  # the session it follows (given, or the one `opens` names)
    questions: tuple[QuestionPlan, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """A validated plan: one programme, one cohort and everything scheduled in it."""

    programme: ProgrammePlan
    cohort: CohortPlan
    classes: tuple[ClassPlan, ...]
    sessions: tuple[SessionPlan, ...]
    assignments: tuple[AssignmentPlan, ...] = ()
    nudges: tuple[NudgePlan, ...] = ()
    pulses: tuple[PulsePlan, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.cohort.timezone)


@dataclass(frozen=True, slots=True, order=True)
class PlanError:
    """One problem in the file: where it is and what was expected."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class PlanInvalid(Exception):
    """The plan file has errors; `errors` holds every one, in line order."""

    def __init__(self, errors: Iterable[PlanError], source: str = "plan") -> None:
        self.errors = tuple(sorted(errors))
        self.source = source
        super().__init__(f"{source}: {len(self.errors)} error(s)")

    def lines(self) -> list[str]:
        """Each error as `source:line: message`, the way compilers print them."""
        return [f"{self.source}:{e.line}: {e.message}" for e in self.errors]


# --- the time grammar ----------------------------------------------------------------------


class WhenError(ValueError):
    """A time expression that does not parse or cannot be resolved; the text says why."""


@dataclass(frozen=True, slots=True)
class When:
    """A parsed time: absolute (`moment` in local wall time) or relative to a session."""

    moment: datetime | None = None  # naive local wall time, for absolute times
    session: str | None = None  # session number or key
    edge: str = "start"  # start | end
    amount: int = 0  # signed: negative is "before"
    unit: str = "days"  # minutes | hours | days | weeks
    at: time | None = None

    @property
    def is_relative(self) -> bool:
        return self.session is not None


_TIME = r"(?P<hh>\d{1,2})[:.](?P<mm>\d{2})"
_ABSOLUTE = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})(?:[ T]+" + _TIME + r"(?::\d{2})?)$")
_RELATIVE = re.compile(
    r"^(?:(?P<n>\d+)\s+(?P<unit>minutes?|hours?|days?|weeks?)\s+(?P<dir>before|after)\s+)?"
    r"(?:(?P<edge>start|end)\s+of\s+)?session\s+(?P<ref>[A-Za-z0-9_.-]+)"
    r"(?:\s+at\s+" + _TIME + r")?$",
    re.IGNORECASE,
)
_DURATION = re.compile(r"^(?P<n>\d+)\s*(?P<unit>minutes?|min|hours?|h|days?|d|weeks?|w)$")
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 24 * 60, "w": 7 * 24 * 60}

WHEN_EXPECTED = (
    "a time like '2026-09-01 09:00', 'end of session 2', "
    "'14 days before session 1 at 09:00' or '3 hours after end of session 1'"
)


def _clock(hh: str, mm: str) -> time:
    hour, minute = int(hh), int(mm)
    if hour > 23 or minute > 59:
        raise WhenError(f"{hh}:{mm} is not a time of day (expected 00:00–23:59)")
    return time(hour, minute)


def parse_when(text: str) -> When:
    """Parse a time expression; raise WhenError saying what was expected."""
    cleaned = " ".join(str(text).split())
    absolute = _ABSOLUTE.match(cleaned)
    if absolute:
        try:
            day = date.fromisoformat(absolute["date"])
        except ValueError:
            raise WhenError(f"'{absolute['date']}' is not a date (expected YYYY-MM-DD)") from None
        return When(moment=datetime.combine(day, _clock(absolute["hh"], absolute["mm"])))
    relative = _RELATIVE.match(cleaned)
    if relative is None:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cleaned):
            raise WhenError(f"'{cleaned}' has a date but no time (expected e.g. '{cleaned} 09:00')")
        raise WhenError(f"'{cleaned}' is not a time: expected {WHEN_EXPECTED}")
    amount, unit = 0, "days"
    if relative["n"] is not None:
        unit = relative["unit"].lower().rstrip("s") + "s"
        amount = int(relative["n"]) * (-1 if relative["dir"].lower() == "before" else 1)
    at = _clock(relative["hh"], relative["mm"]) if relative["hh"] is not None else None
    if at is not None and unit in ("minutes", "hours") and amount != 0:
        raise WhenError(f"'{cleaned}': 'at HH:MM' goes with a day or week offset, not with {unit}")
    return When(
        session=relative["ref"],
        edge=(relative["edge"] or "start").lower(),
        amount=amount,
        unit=unit,
        at=at,
    )


def localize(naive: datetime, zone: ZoneInfo) -> datetime:
    """A local wall time in `zone` as aware UTC; raise WhenError if the clocks skip it.

    A wall time that occurs twice (when the clocks go back) means the first one, summer time.
    """
    aware = naive.replace(tzinfo=zone, fold=0)
    utc = aware.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != naive:
        raise WhenError(
            f"{naive:%Y-%m-%d %H:%M} does not exist in {zone.key} "
            "(the clocks go forward then); pick another time"
        )
    return utc


@dataclass(frozen=True, slots=True)
class SessionTimes:
    """What a relative time needs to know about a session."""

    key: str
    number: int
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC


def resolve_when(when: When, *, zone: ZoneInfo, sessions: Mapping[str, SessionTimes]) -> datetime:
    """The UTC moment `when` names; `sessions` is keyed by session key and by number."""
    if when.moment is not None:
        return localize(when.moment, zone)
    assert when.session is not None
    found = sessions.get(when.session)
    if found is None:
        known = sorted({f"{s.number} ({s.key})" for s in sessions.values()})
        raise WhenError(
            f"reference to unknown session '{when.session}'; expected a session number or key: "
            + (", ".join(known) if known else "the plan has no valid sessions")
        )
    anchor = found.starts_at if when.edge == "start" else found.ends_at
    if when.unit in ("minutes", "hours"):
        return anchor + timedelta(**{when.unit: when.amount})
    local = anchor.astimezone(zone).replace(tzinfo=None)
    local += timedelta(**{when.unit: when.amount})
    if when.at is not None:
        local = datetime.combine(local.date(), when.at)
    return localize(local, zone)


def anchor_session(when: When, sessions: Mapping[str, SessionTimes]) -> str | None:
    """The key of the session a relative time is anchored on, if any."""
    if when.session is None or when.session not in sessions:
        return None
    return sessions[when.session].key


def parse_duration(text: str) -> int:
    """'7 days', '1 day', '12 hours', '30 minutes', '2 weeks' → minutes; raise WhenError."""
    cleaned = " ".join(str(text).split()).lower()
    match = _DURATION.match(cleaned)
    if match is None or int(match["n"]) <= 0:
        raise WhenError(
            f"'{cleaned}' is not a duration: expected e.g. '7 days', '1 day', '12 hours'"
        )
    return int(match["n"]) * _UNIT_MINUTES[match["unit"][0]]


# --- YAML with line numbers ----------------------------------------------------------------


_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


class _Reader:
    """Walks composed YAML nodes, collecting errors with their line numbers."""

    def __init__(self) -> None:
        self.errors: list[PlanError] = []

    def error(self, node: yaml.Node | int, message: str) -> None:
        self.errors.append(PlanError(node if isinstance(node, int) else _line(node), message))

    def mapping(
        self,
        node: yaml.Node,
        where: str,
        *,
        required: Iterable[str],
        optional: Iterable[str] = (),
    ) -> dict[str, yaml.Node] | None:
        required, optional = tuple(required), tuple(optional)
        allowed = (*required, *optional)
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{where}: expected a mapping with the keys {', '.join(allowed)}")
            return None
        out: dict[str, yaml.Node] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, f"{where}: expected a plain key")
                continue
            name = str(key_node.value)
            if name in first_line:
                self.error(
                    key_node,
                    f"{where}: duplicate key '{name}' (first given on line {first_line[name]})",
                )
                continue
            first_line[name] = _line(key_node)
            if name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.error(
                    key_node,
                    f"{where}: unknown key '{name}'{hint}; expected one of: {', '.join(allowed)}",
                )
                continue
            out[name] = value_node
        for name in required:
            if name not in out and name not in first_line:
                self.error(node, f"{where}: missing key '{name}'")
        return out

    def sequence(self, node: yaml.Node, where: str) -> list[yaml.Node] | None:
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"{where}: expected a list (items starting with '- ')")
            return None
        return list(node.value)

    def scalar(self, node: yaml.Node, where: str, expected: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            self.error(node, f"{where}: expected {expected}")
            return None
        return str(node.value)

    def text(
        self, node: yaml.Node, where: str, *, max_length: int, allow_empty: bool = False
    ) -> str | None:
        if (
            allow_empty
            and isinstance(node, yaml.ScalarNode)
            and node.tag == "tag:yaml.org,2002:null"
        ):
            return ""
        value = self.scalar(node, where, "text")
        if value is None:
            return None
        value = value.strip()
        if not value and not allow_empty:
            self.error(node, f"{where}: expected text, got an empty value")
            return None
        if len(value) > max_length:
            self.error(node, f"{where}: at most {max_length} characters, got {len(value)}")
            return None
        return value

    def key(self, node: yaml.Node, where: str) -> str | None:
        value = self.scalar(node, where, "a key such as '2026h' or 's1'")
        if value is None:
            return None
        if not KEY_PATTERN.match(value):
            self.error(
                node,
                f"{where}: '{value}' is not a key: expected letters, digits, '-', '_' or '.', "
                "at most 64 characters",
            )
            return None
        return value

    def boolean(self, node: yaml.Node, where: str) -> bool | None:
        value = self.scalar(node, where, "true or false")
        if value is None:
            return None
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        self.error(node, f"{where}: expected true or false, got '{value}'")
        return None

    def integer(self, node: yaml.Node, where: str, *, minimum: int = 1) -> int | None:
        value = self.scalar(node, where, "a whole number")
        if value is None:
            return None
        if not re.fullmatch(r"\d+", value.strip()) or int(value) < minimum:
            self.error(node, f"{where}: expected a whole number >= {minimum}, got '{value}'")
            return None
        return int(value)

    def day(self, node: yaml.Node, where: str) -> date | None:
        value = self.scalar(node, where, "a date like 2026-09-01")
        if value is None:
            return None
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            self.error(node, f"{where}: expected a date like 2026-09-01, got '{value}'")
            return None

    def parse(
        self, node: yaml.Node, where: str, parser: Callable[[str], T], expected: str
    ) -> T | None:
        value = self.scalar(node, where, expected)
        if value is None:
            return None
        try:
            return parser(value)
        except WhenError as exc:
            self.error(node, f"{where}: {exc}")
            return None


# --- the plan ------------------------------------------------------------------------------


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


def parse_plan(text: str, *, source: str = "plan") -> Plan:
    """Parse and validate a plan; raise PlanInvalid listing every error with its line."""
    reader = _Reader()
    try:
        document = yaml.compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else 1
        raise PlanInvalid(
            [PlanError(line, f"not valid YAML: {exc.problem or exc.context}")], source
        ) from None
    except yaml.YAMLError as exc:
        raise PlanInvalid([PlanError(1, f"not valid YAML: {exc}")], source) from None
    if document is None:
        raise PlanInvalid(
            [PlanError(1, "the file is empty: expected programme, cohort, classes and sessions")],
            source,
        )
    root = reader.mapping(
        document,
        "plan",
        required=("programme", "cohort", "classes", "sessions"),
        optional=("assignments", "nudges", "pulses"),
    )
    if root is None:
        raise PlanInvalid(reader.errors, source)

    programme = _programme(reader, root)
    cohort = _cohort(reader, root)
    zone = ZoneInfo(cohort.timezone) if cohort else ZoneInfo("Europe/Oslo")
    classes = _classes(reader, root)
    sessions, times = _sessions(reader, root, zone, cohort)
    assignments = _assignments(reader, root, times)
    nudges = _nudges(reader, root, times, {a.key for a in assignments}, _keys(root, "assignments"))
    pulses = _pulses(reader, root, times, {c.key for c in classes})

    if reader.errors or programme is None or cohort is None:
        raise PlanInvalid(reader.errors, source)
    return Plan(
        programme=programme,
        cohort=cohort,
        classes=tuple(classes),
        sessions=tuple(sorted(sessions, key=lambda s: s.number)),
        assignments=tuple(assignments),
        nudges=tuple(nudges),
        pulses=tuple(pulses),
    )


def load_plan(path: Path | str) -> Plan:
    """Read and validate a plan file; raise PlanInvalid (errors name the file and line)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise PlanInvalid(
            [PlanError(1, f"cannot read the file: {exc.strerror}")], str(path)
        ) from None
    except UnicodeDecodeError:
        raise PlanInvalid([PlanError(1, "the file is not UTF-8 text")], str(path)) from None
    return parse_plan(text, source=str(path))


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


def _assignments(
    reader: _Reader, root: dict[str, yaml.Node], times: _Times
) -> list[AssignmentPlan]:
    out: list[AssignmentPlan] = []
    seen: dict[str, int] = {}
    for node, where in _items(reader, root, "assignments"):
        fields = reader.mapping(
            node,
            where,
            required=("key", "title", "release", "due"),
            optional=("description", "url", "line_manager", "reminders", "session"),
        )
        if fields is None:
            continue
        key = _unique_key(reader, fields, where, seen, "assignment key")
        title = _title(reader, fields, where)
        description = (
            reader.text(
                fields["description"], f"{where}.description", max_length=20_000, allow_empty=True
            )
            if "description" in fields
            else ""
        )
        url = _url(reader, fields.get("url"), f"{where}.url")
        release = times.when(fields["release"], f"{where}.release") if "release" in fields else None
        due = times.when(fields["due"], f"{where}.due") if "due" in fields else None
        line_manager = (
            reader.boolean(fields["line_manager"], f"{where}.line_manager")
            if "line_manager" in fields
            else False
        )
        reminders = _reminders(reader, fields.get("reminders"), f"{where}.reminders")
        session_key = (
            times.session_ref(fields["session"], f"{where}.session")
            if "session" in fields
            else None
        )
        if release and due and due[0] <= release[0]:
            reader.error(fields["due"], f"{where}.due: must be after the release ({where}.release)")
            continue
        if release and due and reminders:
            window = (due[0] - release[0]).total_seconds() / 60
            for offset in reminders:
                if offset >= window:
                    reader.error(
                        fields["reminders"],
                        f"{where}.reminders: a reminder {_minutes_text(offset)} before the due "
                        "time falls before the release",
                    )
                    break
        if None in (key, title, description, release, due, line_manager, reminders):
            continue
        assert key and title and release and due and reminders is not None
        out.append(
            AssignmentPlan(
                key=key,
                title=title,
                description=description or "",
                url=url,
                release_at=release[0],
                due_at=due[0],
                line_manager=bool(line_manager),
                reminder_offsets=reminders,
                session_key=session_key or release[1],
            )
        )
    return out


def _minutes_text(minutes: int) -> str:
    for size, unit in ((7 * 24 * 60, "week"), (24 * 60, "day"), (60, "hour")):
        if minutes % size == 0:
            n = minutes // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{minutes} minutes"


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


def _nudges(
    reader: _Reader,
    root: dict[str, yaml.Node],
    times: _Times,
    assignment_keys: set[str],
    given_assignment_keys: set[str],
) -> list[NudgePlan]:
    out: list[NudgePlan] = []
    seen: dict[str, int] = {}
    for node, where in _items(reader, root, "nudges"):
        fields = reader.mapping(
            node,
            where,
            required=("key", "kind", "title", "text", "send"),
            optional=("respond_by", "assignment", "session"),
        )
        if fields is None:
            continue
        key = _unique_key(reader, fields, where, seen, "nudge key")
        kind = (
            reader.scalar(fields["kind"], f"{where}.kind", "a nudge kind")
            if "kind" in fields
            else None
        )
        if kind is not None and kind not in NUDGE_KINDS:
            reader.error(
                fields["kind"],
                f"{where}.kind: unknown kind '{kind}'; expected one of: {', '.join(NUDGE_KINDS)}",
            )
            kind = None
        title = _title(reader, fields, where)
        text = (
            reader.text(fields["text"], f"{where}.text", max_length=3000)
            if "text" in fields
            else None
        )
        send = times.when(fields["send"], f"{where}.send") if "send" in fields else None
        respond_by = (
            times.when(fields["respond_by"], f"{where}.respond_by")
            if "respond_by" in fields
            else None
        )
        assignment_key: str | None = None
        if "assignment" in fields:
            assignment_key = reader.scalar(
                fields["assignment"], f"{where}.assignment", "an assignment key"
            )
            if assignment_key is not None and assignment_key not in given_assignment_keys:
                reader.error(
                    fields["assignment"],
                    f"{where}.assignment: reference to unknown assignment '{assignment_key}'; "
                    f"expected one of: {', '.join(sorted(given_assignment_keys)) or 'no assignments'}",
                )
                assignment_key = None
            elif assignment_key not in assignment_keys:
                assignment_key = None  # that assignment has its own errors
        session_key = (
            times.session_ref(fields["session"], f"{where}.session")
            if "session" in fields
            else None
        )
        if kind == "assignment" and "assignment" not in fields:
            reader.error(node, f"{where}: a nudge of kind 'assignment' needs 'assignment: <key>'")
        if kind == "session" and "session" not in fields:
            reader.error(node, f"{where}: a nudge of kind 'session' needs 'session: <number>'")
        if send and respond_by and respond_by[0] <= send[0]:
            reader.error(fields["respond_by"], f"{where}.respond_by: must be after 'send'")
            continue
        if None in (key, kind, title, text, send):
            continue
        if kind == "assignment" and assignment_key is None:
            continue
        if kind == "session" and session_key is None:
            continue
        assert key and kind and title and text and send
        out.append(
            NudgePlan(
                key=key,
                kind=kind,
                title=title,
                text=text,
                send_at=send[0],
                respond_by=respond_by[0] if respond_by else None,
                assignment_key=assignment_key,
                session_key=session_key,
            )
        )
    return out


def _pulses(
    reader: _Reader, root: dict[str, yaml.Node], times: _Times, class_keys: set[str]
) -> list[PulsePlan]:
    out: list[PulsePlan] = []
    seen: dict[str, int] = {}
    for node, where in _items(reader, root, "pulses"):
        fields = reader.mapping(
            node,
            where,
            required=("key", "title", "opens", "closes", "questions"),
            optional=("anonymous", "audience", "reminder", "session"),
        )
        if fields is None:
            continue
        key = _unique_key(reader, fields, where, seen, "pulse key")
        title = _title(reader, fields, where)
        anonymous = (
            reader.boolean(fields["anonymous"], f"{where}.anonymous")
            if "anonymous" in fields
            else True
        )
        audience: str | None = "participants"
        if "audience" in fields:
            audience = reader.scalar(fields["audience"], f"{where}.audience", "an audience")
            if audience is not None:
                audience = _audience(
                    reader, fields["audience"], f"{where}.audience", audience, class_keys
                )
        opens = times.when(fields["opens"], f"{where}.opens") if "opens" in fields else None
        closes = times.when(fields["closes"], f"{where}.closes") if "closes" in fields else None
        reminder = (
            times.when(fields["reminder"], f"{where}.reminder") if "reminder" in fields else None
        )
        session_key = (
            times.session_ref(fields["session"], f"{where}.session")
            if "session" in fields
            else None
        )
        questions = (
            _questions(reader, fields["questions"], where) if "questions" in fields else None
        )
        if opens and closes and closes[0] <= opens[0]:
            reader.error(fields["closes"], f"{where}.closes: must be after 'opens'")
            continue
        if opens and closes and reminder and not (opens[0] < reminder[0] < closes[0]):
            reader.error(
                fields["reminder"], f"{where}.reminder: must be after 'opens' and before 'closes'"
            )
            continue
        if None in (key, title, anonymous, audience, opens, closes, questions):
            continue
        assert key and title and audience and opens and closes and questions
        out.append(
            PulsePlan(
                key=key,
                title=title,
                anonymous=bool(anonymous),
                audience=audience,
                opens_at=opens[0],
                closes_at=closes[0],
                reminder_at=reminder[0] if reminder else None,
                session_key=session_key or opens[1],
                questions=questions,
            )
        )
    return out


def _audience(
    reader: _Reader, node: yaml.Node, where: str, value: str, class_keys: set[str]
) -> str | None:
    if value in ("participants", "alumni"):
        return value
    if value.startswith("class:"):
        key = value.removeprefix("class:")
        if key in class_keys:
            return value
        reader.error(
            node,
            f"{where}: reference to unknown class '{key}'; expected one of: "
            + ", ".join(sorted(class_keys)),
        )
        return None
    reader.error(
        node, f"{where}: unknown audience '{value}'; expected one of: {', '.join(AUDIENCES)}"
    )
    return None


def _questions(reader: _Reader, node: yaml.Node, where: str) -> tuple[QuestionPlan, ...] | None:
    items = reader.sequence(node, f"{where}.questions")
    if items is None:
        return None
    if not 1 <= len(items) <= MAX_QUESTIONS:
        reader.error(
            node, f"{where}.questions: expected 1 to {MAX_QUESTIONS} questions, got {len(items)}"
        )
        return None
    out: list[QuestionPlan] = []
    ok = True
    for index, item in enumerate(items, start=1):
        q_where = f"{where}.questions[{index}]"
        fields = reader.mapping(item, q_where, required=("kind", "text"), optional=("choices",))
        if fields is None:
            ok = False
            continue
        kind = (
            reader.scalar(fields["kind"], f"{q_where}.kind", "a question kind")
            if "kind" in fields
            else None
        )
        if kind is not None and kind not in QUESTION_KINDS:
            reader.error(
                fields["kind"],
                f"{q_where}.kind: unknown question kind '{kind}'; expected one of: "
                + ", ".join(QUESTION_KINDS),
            )
            kind = None
        text = (
            reader.text(fields["text"], f"{q_where}.text", max_length=500)
            if "text" in fields
            else None
        )
        choices: tuple[str, ...] = ()
        if "choices" in fields:
            if kind is not None and kind != "choice":
                reader.error(
                    fields["choices"], f"{q_where}.choices: only a 'choice' question has choices"
                )
                ok = False
            else:
                raw = reader.sequence(fields["choices"], f"{q_where}.choices")
                values = [reader.text(c, f"{q_where}.choices", max_length=75) for c in raw or []]
                if raw is None or None in values:
                    ok = False
                elif not 2 <= len(values) <= MAX_CHOICES:
                    reader.error(
                        fields["choices"],
                        f"{q_where}.choices: expected 2 to {MAX_CHOICES} choices, got {len(values)}",
                    )
                    ok = False
                elif len(set(values)) != len(values):
                    reader.error(fields["choices"], f"{q_where}.choices: a choice is given twice")
                    ok = False
                else:
                    choices = tuple(v for v in values if v is not None)
        elif kind == "choice":
            reader.error(
                item, f"{q_where}: a 'choice' question needs 'choices: [..]' (2 to {MAX_CHOICES})"
            )
            ok = False
        if kind is None or text is None:
            ok = False
            continue
        out.append(QuestionPlan(kind, text, choices))
    return tuple(out) if ok else None
