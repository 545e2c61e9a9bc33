"""Time as a parameter: services and jobs take a Clock; nothing deep inside calls datetime.now()."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Now, as an aware UTC datetime."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FrozenClock:
    """A clock that stands still until moved; for tests."""

    current: datetime

    def __post_init__(self) -> None:
        if self.current.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self.current = self.current.astimezone(UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> datetime:
        self.current += delta
        return self.current

    def set(self, when: datetime) -> datetime:
        self.current = when.astimezone(UTC)
        return self.current


@dataclass
class OffsetClock:
    """Real time plus an offset that only grows: the local workspace's "fast-forward".

    `on_change` is called with the new offset after every move (app.py keeps it under data/,
    so a restart resumes at the moved time instead of jumping back).
    """

    offset: timedelta = field(default_factory=timedelta)
    on_change: Callable[[timedelta], None] | None = None

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def fast_forward(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        self.offset += delta
        if self.on_change is not None:
            self.on_change(self.offset)
        return self.now()
