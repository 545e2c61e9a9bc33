"""Which period a participant, an intake, a completion, a withdrawal and a result count in.

The written rule is in docs/pulses-and-report.md ("Which year counts what"); this module is that
rule as code, on plain rows (one per enrolment), so it is tested without a database. Everything
here comes from recorded facts: statuses and their dates, never the calendar alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

STARTED_STATUSES = ("active", "completed")


@dataclass(frozen=True)
class Window:
    """A closed period of days: a calendar year, or several for the final report."""

    first: date
    last: date

    @classmethod
    def years(cls, first_year: int, last_year: int) -> Window:
        return cls(date(first_year, 1, 1), date(last_year, 12, 31))

    def holds(self, day: date | None) -> bool:
        return day is not None and self.first <= day <= self.last


def intake_day(e: Any) -> date | None:
    """The cohort's start: a cohort's applicants and admissions count in the year it starts."""
    day: date | None = e.cohort_start
    return day


def started(e: Any) -> bool:
    """Began the programme: recorded active or completed, or withdrew after starting.

    A withdrawal counts as after the start when a start day is recorded, or when it is dated on
    or after the cohort's first day; before that it is a withdrawal before the start.
    """
    if e.status in STARTED_STATUSES:
        return True
    if e.status != "withdrawn":
        return False
    if e.started_on is not None:
        return True
    return (
        e.withdrawn_on is not None
        and e.cohort_start is not None
        and (e.withdrawn_on >= e.cohort_start)
    )


def start_day(e: Any) -> date | None:
    """The day someone entered the programme: never before the cohort's own start."""
    days = [d for d in (e.started_on, e.cohort_start) if d is not None]
    return max(days) if days else None


def end_day(e: Any) -> date | None:
    """The day someone's participation ended as recorded; None while it goes on."""
    if e.status == "completed":
        day: date | None = e.completed_on or e.cohort_end
        return day
    if e.status == "withdrawn":
        return e.withdrawn_on or start_day(e)
    return None


def in_intake(e: Any, w: Window) -> bool:
    """The cohort's intake counts in the window (a cohort without dates: in every window)."""
    day = intake_day(e)
    return day is None or w.holds(day)


def participant_in(e: Any, w: Window) -> bool:
    """In the programme on at least one day of the window."""
    if not started(e):
        return False
    begin, end = start_day(e), end_day(e)
    if begin is not None and begin > w.last:
        return False
    return not (end is not None and end < w.first)


def completed_in(e: Any, w: Window) -> bool:
    return e.status == "completed" and _in(end_day(e), e, w)


def withdrawn_in(e: Any, w: Window) -> bool:
    """A withdrawal counts on its recorded day (without one: with the cohort's intake)."""
    if e.status != "withdrawn":
        return False
    return _in(e.withdrawn_on, e, w)


def not_started_in(e: Any, w: Window) -> bool:
    return e.status == "not_started" and _in(e.not_started_on, e, w)


def in_progress_at_end(e: Any, w: Window) -> bool:
    """In the programme on the window's last day: started, and not ended by then."""
    end = end_day(e)
    return participant_in(e, w) and (end is None or end > w.last)


def outcome_missing(e: Any, w: Window) -> bool:
    """Still recorded active although the cohort ended within the window: staff must record it."""
    return (
        participant_in(e, w)
        and e.status == "active"
        and e.cohort_end is not None
        and e.cohort_end <= w.last
    )


def result_in(e: Any, w: Window) -> bool:
    """Credits or an exam result count on the day they were recorded as final."""
    if e.credits is None and e.exam_result is None:
        return False
    return _in(e.result_on or end_day(e), e, w)


def _in(day: date | None, e: Any, w: Window) -> bool:
    if day is not None:
        return w.holds(day)
    return in_intake(e, w)
