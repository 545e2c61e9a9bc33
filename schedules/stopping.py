"""What a scheduler's jobs ask to be told when the process stops (before it waits for them)."""

from __future__ import annotations

import weakref
from collections.abc import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

_on_stop: weakref.WeakKeyDictionary[AsyncIOScheduler, list[Callable[[], None]]] = (
    weakref.WeakKeyDictionary()
)


def on_stop(scheduler: AsyncIOScheduler, callback: Callable[[], None]) -> None:
    """Call `callback` when `scheduler` is being stopped, before running jobs are awaited."""
    _on_stop.setdefault(scheduler, []).append(callback)


def stopping(scheduler: AsyncIOScheduler) -> None:
    """Tell every registered job that the scheduler is stopping."""
    for callback in _on_stop.pop(scheduler, []):
        callback()
