"""Claims on scheduled work: done once per (job, subject, due), across any number of processes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import JobClaim

J: Any = JobClaim


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def claim_once(
    *, session: AsyncSession, job: str, subject: str, due: str, claimed_by: str, now: datetime
) -> bool:
    """Take (job, subject, due) for the caller's transaction; False if it is taken.

    The row is part of the caller's transaction: if the work rolls back, so does the claim,
    and the next tick (here or in another process) does the work. A second process inserting
    the same key waits for the first one's commit (PostgreSQL's unique index; SQLite's single
    writer) and then finds it taken.
    """
    stmt = (
        _insert(session)(JobClaim)
        .values(job=job, subject=subject, due=due, claimed_by=claimed_by, done_at=now)
        .on_conflict_do_nothing(index_elements=["job", "subject", "due"])
        .returning(J.id)
    )
    result = await session.execute(stmt)
    return result.first() is not None


async def acquire_lease(
    *,
    session: AsyncSession,
    job: str,
    subject: str,
    due: str,
    claimed_by: str,
    lease_now: datetime,
    lease_until: datetime,
) -> bool:
    """Hold (job, subject, due) until `lease_until`, for work spanning several transactions.

    True when the caller holds it now: it was free, its lease ran out, or the caller already
    held it (renewal). Commit right away, so other processes see the lease. `lease_now` and
    `lease_until` are on the real clock.
    """
    stmt = (
        _insert(session)(JobClaim)
        .values(job=job, subject=subject, due=due, claimed_by=claimed_by, lease_until=lease_until)
        .on_conflict_do_nothing(index_elements=["job", "subject", "due"])
        .returning(J.id)
    )
    if (await session.execute(stmt)).first() is not None:
        return True
    taken = await session.execute(
        update(JobClaim)
        .where(
            J.job == job,
            J.subject == subject,
            J.due == due,
            J.done_at.is_(None),
            or_(
                J.claimed_by == claimed_by,
                J.lease_until.is_(None),
                J.lease_until < lease_now,
            ),
        )
        .values(claimed_by=claimed_by, lease_until=lease_until)
        .returning(J.id)
    )
    return taken.first() is not None


async def release_lease(
    *, session: AsyncSession, job: str, subject: str, due: str, claimed_by: str
) -> bool:
    """Give the lease back (the work is finished for now); True if the caller held it."""
    result = await session.execute(
        update(JobClaim)
        .where(and_(J.job == job, J.subject == subject, J.due == due, J.claimed_by == claimed_by))
        .values(lease_until=None, claimed_by=None)
        .returning(J.id)
    )
    return result.first() is not None


async def list_claims(*, session: AsyncSession, job: str) -> list[JobClaim]:
    """Every claim of a job (for tests and staff tools)."""
    rows = await session.execute(select(JobClaim).where(J.job == job).order_by(J.id))
    return list(rows.scalars())


async def lock_job(*, session: AsyncSession, job: str) -> None:
    """Hold the job's row lock until the caller's transaction ends (run it first in the
    transaction): ticks of `job` in other processes wait, then see what this one changed."""
    await session.execute(
        _insert(session)(JobClaim)
        .values(job=job, subject="lock", due="-")
        .on_conflict_do_nothing(index_elements=["job", "subject", "due"])
    )
    # A write on SQLite (taking the database's write lock), a row lock on PostgreSQL.
    await session.execute(
        update(JobClaim)
        .where(J.job == job, J.subject == "lock", J.due == "-")
        .values(claimed_by=J.claimed_by)
    )
