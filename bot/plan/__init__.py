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

One module per part: `model` (the typed plan and its errors), `when` (the time grammar),
`reader` (YAML with line numbers), `fields` (helpers the sections share), `programme`,
`assignments` and `pulses` (the sections), `parse` (the whole file). Import from `bot.plan`.
"""

from bot.plan.model import (
    AUDIENCES,
    DEFAULT_REMINDERS,
    KEY_PATTERN,
    MAX_CHOICES,
    MAX_QUESTIONS,
    NUDGE_KINDS,
    QUESTION_KINDS,
    AssignmentPlan,
    ClassPlan,
    CohortPlan,
    NudgePlan,
    Plan,
    PlanError,
    PlanInvalid,
    ProgrammePlan,
    PulsePlan,
    QuestionPlan,
    SessionPlan,
)
from bot.plan.parse import load_plan, parse_plan
from bot.plan.when import (
    WHEN_EXPECTED,
    SessionTimes,
    When,
    WhenError,
    anchor_session,
    localize,
    parse_duration,
    parse_when,
    resolve_when,
)

__all__ = [
    "AUDIENCES",
    "DEFAULT_REMINDERS",
    "KEY_PATTERN",
    "MAX_CHOICES",
    "MAX_QUESTIONS",
    "NUDGE_KINDS",
    "QUESTION_KINDS",
    "WHEN_EXPECTED",
    "AssignmentPlan",
    "ClassPlan",
    "CohortPlan",
    "NudgePlan",
    "Plan",
    "PlanError",
    "PlanInvalid",
    "ProgrammePlan",
    "PulsePlan",
    "QuestionPlan",
    "SessionPlan",
    "SessionTimes",
    "When",
    "WhenError",
    "anchor_session",
    "load_plan",
    "localize",
    "parse_duration",
    "parse_plan",
    "parse_when",
    "resolve_when",
]
