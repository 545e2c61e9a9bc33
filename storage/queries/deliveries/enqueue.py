"""Putting deliveries in the outbox (deduplicated) and cancelling pending ones."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import DeliveryState
from storage.queries.deliveries._common import (
    DELIVERY,
    D,
    _clip,
    _insert_for,
    _rowcount,
)
from storage.types import utcnow


async def enqueue_delivery(
    *,
    session: AsyncSession,
    dedupe_key: str,
    transport: str,
    kind: str,
    target: str,
    message: dict[str, Any],
    send_at: datetime,
    person_id: int | None = None,
    source: str | None = None,
    urgent: bool = False,
    replace_pending: bool = False,
    note: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Add a delivery unless one with the same dedupe key exists. True if a row was written.

    `note` starts the row's error column, e.g. "held: email not configured".

    Runs in the caller's transaction, so the message is enqueued with the change that causes it.
    With `replace_pending`, a delivery with the key that is still pending gets the new send time,
    target and message (the planner's re-apply); one already sent, failed or cancelled is left
    alone, so nothing is ever sent twice. `now` stamps created_at/updated_at (the caller's
    clock; the wall clock only when the caller has none).
    """
    now = now or utcnow()
    insert = _insert_for(session)(DELIVERY).values(
        dedupe_key=dedupe_key,
        transport=transport,
        kind=kind,
        target=target,
        message=message,
        send_at=send_at,
        person_id=person_id,
        source=source,
        urgent=urgent,
        state=DeliveryState.PENDING,
        attempts=0,
        unknown_attempts=0,
        found_sent=False,
        error=_clip(note),
        created_at=now,
        updated_at=now,
    )
    if replace_pending:
        stmt = insert.on_conflict_do_update(
            index_elements=["dedupe_key"],
            set_={
                "send_at": insert.excluded.send_at,
                "target": insert.excluded.target,
                "message": insert.excluded.message,
                "urgent": insert.excluded.urgent,
                "updated_at": now,
            },
            where=D.state == DeliveryState.PENDING,
        )
    else:
        stmt = insert.on_conflict_do_nothing(index_elements=["dedupe_key"])
    # RETURNING, not rowcount: psycopg reports -1 for an ORM-style insert that did nothing.
    result = await session.execute(stmt.returning(D.id))
    return result.first() is not None


async def cancel_pending(
    *,
    session: AsyncSession,
    source: str | None = None,
    person_id: int | None = None,
    kinds: Iterable[str] | None = None,
    dedupe_prefix: str | None = None,
    reason: str = "cancelled",
    now: datetime | None = None,
) -> int:
    """Cancel pending deliveries matching every given filter; returns how many.

    `now` stamps updated_at (the caller's clock; the wall clock only when it has none).
    """
    if source is None and person_id is None and dedupe_prefix is None:
        raise ValueError("cancel_pending needs source, person_id or dedupe_prefix")
    stmt = update(DELIVERY).where(D.state == DeliveryState.PENDING)
    if source is not None:
        stmt = stmt.where(D.source == source)
    if person_id is not None:
        stmt = stmt.where(D.person_id == person_id)
    if kinds is not None:
        stmt = stmt.where(D.kind.in_(list(kinds)))
    if dedupe_prefix is not None:
        stmt = stmt.where(D.dedupe_key.startswith(dedupe_prefix))
    stmt = stmt.values(state=DeliveryState.CANCELLED, error=reason, updated_at=now or utcnow())
    result = await session.execute(stmt)
    return _rowcount(result)


async def restore_cancelled(
    *,
    session: AsyncSession,
    person_id: int,
    kinds: Iterable[str],
    reason: str,
    after: datetime,
    now: datetime | None = None,
) -> int:
    """Put back to pending the person's deliveries of these kinds that were cancelled with
    exactly `reason` and are due after `after`; returns how many.

    One cancelled for another reason, or whose time has passed, stays cancelled; one already
    pending again is not matched, so restoring twice restores once.
    """
    stmt = (
        update(DELIVERY)
        .where(
            D.state == DeliveryState.CANCELLED,
            D.person_id == person_id,
            D.kind.in_(list(kinds)),
            D.error == reason,
            D.send_at > after,
        )
        .values(state=DeliveryState.PENDING, error=None, updated_at=now or utcnow())
    )
    return _rowcount(await session.execute(stmt))
