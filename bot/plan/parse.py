"""Parse and validate a whole plan file."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.plan.assignments import _assignments, _nudges
from bot.plan.fields import _keys
from bot.plan.model import Plan, PlanError, PlanInvalid
from bot.plan.programme import _classes, _cohort, _programme, _sessions
from bot.plan.pulses import _pulses
from bot.plan.reader import _Reader


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
