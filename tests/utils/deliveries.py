"""Factories and stub transports for delivery-engine tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.delivery import schedule
from bot.notifier import OutgoingMessage, SendResult
from bot.settings import Settings
from storage.db import Database
from storage.models import Delivery


def message(text: str = "Hei!") -> OutgoingMessage:
    return OutgoingMessage(text=text, title="Påminnelse")


async def enqueue_many(
    db: Database,
    settings: Settings,
    *,
    count: int,
    send_at: datetime,
    transport: str = "slack",
    prefix: str = "test",
    target: Callable[[int], str] = lambda i: f"U{i:05d}",
    urgent: bool = True,
) -> None:
    """`count` deliveries due at `send_at` (urgent by default, so quiet hours do not move them)."""
    async with db.transaction() as session:
        for i in range(count):
            await schedule(
                session,
                key=f"{prefix}:{i}",
                transport=transport,
                kind="announcement",
                target=target(i),
                message=message(f"Melding {i}"),
                send_at=send_at,
                audience="participant",
                settings=settings,
                urgent=urgent,
            )


async def all_deliveries(db: Database) -> list[Delivery]:
    from sqlmodel import select

    async with db.session() as session:
        return list((await session.exec(select(Delivery).order_by(Delivery.id))).all())  # type: ignore[arg-type]


async def crash(tick: asyncio.Future[Any]) -> None:
    """End a dispatcher as a crash would: its tasks stop where they are, nothing is recorded."""
    workers = [
        t
        for t in asyncio.all_tasks()
        if getattr(t.get_coro(), "__qualname__", "") == "Dispatcher._worker"
    ]
    assert workers
    for task in [*workers, tick]:
        task.cancel()
    await asyncio.gather(*workers, tick, return_exceptions=True)


@dataclass
class ScriptedNotifier:
    """Answers each send from a script: a function of (target, attempt number for that target)."""

    script: Callable[[str, int], SendResult] = lambda target, n: SendResult("sent", ref="ok")
    transport: str = "slack"
    calls: list[str] = field(default_factory=list)
    waits: dict[str, float] = field(default_factory=dict)

    async def send(self, *, target: str, message: OutgoingMessage) -> SendResult:
        self.calls.append(target)
        return self.script(target, self.calls.count(target))

    def ready_in(self, target: str, *, kind: str = "", key: str = "") -> float:
        return self.waits.get(target, 0.0)

    def sent_to(self, target: str) -> int:
        return self.calls.count(target)


def by_target(results: dict[str, list[SendResult]]) -> Callable[[str, int], SendResult]:
    """A script: the n-th call to a target gets results[target][n-1] (then "sent")."""

    def script(target: str, n: int) -> SendResult:
        seq = results.get(target, [])
        return seq[n - 1] if n <= len(seq) else SendResult("sent", ref=f"{target}:{n}")

    return script
