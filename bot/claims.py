"""Scheduled work done once, whatever the number of bot processes.

Three ways, by the shape of the work:
- `claim_once(session, job, subject, due)`: a unique key inserted in the transaction that does
  the work — one matching round per network per due time, one digest per week, one completion
  per cohort. A rolled-back attempt leaves no claim, so the next tick tries again.
- `serialise(session, job)`: the job's row lock for the length of the transaction, for ticks
  whose work is driven by rows' states (pulse opening and closing, nudge follow-ups): a second
  process waits and then finds nothing left to do.
- `lease(db, job, subject)`: for work spanning many short transactions (the planner), a lease
  on the real clock (`time.time`), so the local workspace's fast-forward never makes a live
  lease look expired.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import Database
from storage.queries import jobs as q

PROCESS_TOKEN = f"{os.getpid()}:{uuid.uuid4().hex[:12]}"


def real_now() -> datetime:
    """The real time, for leases: never the local workspace's shifted clock."""
    return datetime.fromtimestamp(time.time(), UTC)


def due_key(when: datetime) -> str:
    """A due time as a claim key: UTC, to the second."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def claim_once(
    session: AsyncSession, *, job: str, subject: str, due: str, now: datetime
) -> bool:
    """Take (job, subject, due) in the caller's transaction; False if it was done already."""
    return await q.claim_once(
        session=session, job=job, subject=subject, due=due, claimed_by=PROCESS_TOKEN, now=now
    )


async def serialise(session: AsyncSession, *, job: str) -> None:
    """Run the rest of the caller's transaction as the only instance of `job` (call it first)."""
    await q.lock_job(session=session, job=job)


class LeaseLost(Exception):
    """Another process took the lease over (this one was too slow to renew it)."""


class Lease:
    """A held lease; `renew()` between steps of long work."""

    def __init__(
        self,
        db: Database,
        *,
        job: str,
        subject: str,
        seconds: float,
        holder: str,
        real_clock: Callable[[], datetime],
    ) -> None:
        self.db, self.job, self.subject = db, job, subject
        self.seconds, self.holder, self._clock = seconds, holder, real_clock

    async def acquire(self) -> bool:
        now = self._clock()
        async with self.db.transaction() as session:
            return await q.acquire_lease(
                session=session,
                job=self.job,
                subject=self.subject,
                due="-",
                claimed_by=self.holder,
                lease_now=now,
                lease_until=now + timedelta(seconds=self.seconds),
            )

    async def renew(self) -> None:
        if not await self.acquire():
            raise LeaseLost(f"{self.job} {self.subject}")

    async def release(self) -> None:
        async with self.db.transaction() as session:
            await q.release_lease(
                session=session, job=self.job, subject=self.subject, due="-", claimed_by=self.holder
            )


@asynccontextmanager
async def lease(
    db: Database,
    *,
    job: str,
    subject: str,
    seconds: float = 120.0,
    holder: str | None = None,
    real_clock: Callable[[], datetime] = real_now,
) -> AsyncIterator[Lease | None]:
    """Hold (job, subject) for the block, or yield None when another process holds it."""
    held = Lease(
        db,
        job=job,
        subject=subject,
        seconds=seconds,
        holder=holder or f"{PROCESS_TOKEN}:{uuid.uuid4().hex[:6]}",
        real_clock=real_clock,
    )
    if not await held.acquire():
        yield None
        return
    try:
        yield held
    finally:
        await held.release()
