"""The time grammar: absolute times, times relative to a session, and durations."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


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
