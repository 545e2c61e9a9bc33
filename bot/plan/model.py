"""The plan's typed, immutable model and its errors."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
NUDGE_KINDS = ("before_start", "assignment", "session", "custom")
QUESTION_KINDS = ("scale5", "nps", "choice", "text")
AUDIENCES = ("participants", "alumni", "class:<class key>")
MAX_QUESTIONS = 3
MAX_CHOICES = 10
DEFAULT_REMINDERS = (7 * 24 * 60, 24 * 60)


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
