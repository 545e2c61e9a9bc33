"""When a delivery may go: quiet hours, Norwegian public holidays, summer break, DST.

Pure functions; time is always a parameter. Send times are stored in UTC and computed in the
person's (or the programme's) zone, so "09:00" stays 09:00 on both sides of a DST change.

Audiences:
- "participant" (also "alumni", "channel"): every day 08:00–20:00 local;
- "line_manager" and "staff": working days (Monday–Friday) 08:00–16:00 local.
Every audience skips Norwegian public holidays (Easter, Ascension, Whitsun, 1 and 17 May,
Christmas, …) and the optional summer break. Urgent deliveries bypass all of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

import holidays

if TYPE_CHECKING:
    from bot.settings import Settings

Audience = Literal["participant", "alumni", "channel", "line_manager", "staff"]
PARTICIPANT_AUDIENCES = frozenset({"participant", "alumni", "channel"})
WORKING_DAY_AUDIENCES = frozenset({"line_manager", "staff"})
MAX_SEARCH_DAYS = 400  # a summer break plus Christmas can never add up to this


@dataclass(frozen=True)
class Window:
    """Allowed local hours on allowed days."""

    start: time
    end: time
    working_days_only: bool = False


def parse_summer_break(value: str | None) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """`"07-01..08-10"` -> ((7, 1), (8, 10)); None when unset. Raises ValueError when malformed."""
    if value is None or not value.strip():
        return None
    try:
        first, last = (part.strip() for part in value.split(".."))
        start = tuple(int(x) for x in first.split("-"))
        end = tuple(int(x) for x in last.split("-"))
        if len(start) != 2 or len(end) != 2:
            raise ValueError
        date(2024, *start)  # 2024 is a leap year: 02-29 is a valid bound
        date(2024, *end)
    except ValueError:
        raise ValueError(
            f"summer break {value!r}: expected MM-DD..MM-DD, e.g. 07-01..08-10"
        ) from None
    return (start[0], start[1]), (end[0], end[1])


@lru_cache(maxsize=64)
def _norway(year: int) -> holidays.HolidayBase:
    # Norway's calendar counts every Sunday as a holiday by default; we only want the real ones.
    return holidays.country_holidays("NO", years=year, include_sundays=False)


def is_public_holiday(day: date) -> bool:
    """True on a Norwegian public holiday ("helligdag"), Sundays not counted."""
    return day in _norway(day.year)


@dataclass(frozen=True)
class QuietHours:
    """The quiet-hours policy, built once from settings (`QuietHours.from_settings`)."""

    participant: Window = field(default_factory=lambda: Window(time(8, 0), time(20, 0)))
    line_manager: Window = field(
        default_factory=lambda: Window(time(8, 0), time(16, 0), working_days_only=True)
    )
    summer_break: tuple[tuple[int, int], tuple[int, int]] | None = None
    skip_holidays: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> QuietHours:
        return cls(
            participant=Window(settings.quiet_participant_start, settings.quiet_participant_end),
            line_manager=Window(
                settings.quiet_manager_start, settings.quiet_manager_end, working_days_only=True
            ),
            summer_break=parse_summer_break(settings.summer_break),
        )

    def window(self, audience: str) -> Window:
        if audience in PARTICIPANT_AUDIENCES:
            return self.participant
        if audience in WORKING_DAY_AUDIENCES:
            return self.line_manager
        raise ValueError(f"unknown audience {audience!r}")

    def in_summer_break(self, day: date) -> bool:
        if self.summer_break is None:
            return False
        (sm, sd), (em, ed) = self.summer_break
        md = (day.month, day.day)
        if (sm, sd) <= (em, ed):
            return (sm, sd) <= md <= (em, ed)
        return md >= (sm, sd) or md <= (em, ed)  # wraps over New Year, e.g. 12-20..01-05

    def day_allowed(self, day: date, audience: str) -> bool:
        """May anything for `audience` be sent on this local date at all?"""
        if self.window(audience).working_days_only and day.weekday() >= 5:
            return False
        if self.skip_holidays and is_public_holiday(day):
            return False
        return not self.in_summer_break(day)


def _zone(tz: str | ZoneInfo) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def local_time(day: date, at: str | time, tz: str | ZoneInfo) -> datetime:
    """The UTC instant of wall-clock `at` ("09:00") on `day` in `tz`.

    A wall time that does not exist (skipped by the spring-forward change, e.g. 02:30 on
    29 March 2026 in Oslo) becomes the first moment after the gap (03:00 local). A wall time
    that happens twice (autumn, e.g. 02:30 on 25 October 2026) is the first of the two.
    """
    zone = _zone(tz)
    if isinstance(at, str):
        hour, minute = (int(x) for x in at.split(":"))
        at = time(hour, minute)
    wall = datetime.combine(day, at)
    early = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if early.astimezone(zone).replace(tzinfo=None) == wall:
        return early
    # In a gap: fold=1 reads the wall time with the offset after the change, landing before the
    # transition; fold=0 with the offset before it, landing after. Bisect for the transition.
    lo = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    hi = early
    after = hi.astimezone(zone).utcoffset()
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(zone).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0)


def next_allowed(
    moment: datetime,
    *,
    audience: str,
    tz: str | ZoneInfo,
    policy: QuietHours,
    urgent: bool = False,
) -> datetime:
    """The first moment at or after `moment` (UTC) when a delivery to `audience` may go."""
    if moment.tzinfo is None:
        raise ValueError("next_allowed needs an aware datetime")
    moment = moment.astimezone(UTC)
    if urgent:
        return moment
    zone = _zone(tz)
    window = policy.window(audience)
    day = moment.astimezone(zone).date()
    for _ in range(MAX_SEARCH_DAYS):
        if policy.day_allowed(day, audience):
            start = local_time(day, window.start, zone)
            end = local_time(day, window.end, zone)
            if moment < start:
                return start
            if moment < end:
                return moment
        day += timedelta(days=1)
    raise ValueError(f"no allowed moment for {audience} within {MAX_SEARCH_DAYS} days")
