"""Outbox queries: enqueue (deduplicated), cancel, reschedule."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Delivery, DeliveryState
from storage.types import utcnow


def _insert_for(session: AsyncSession) -> Any:
    name = session.get_bind().dialect.name
    return pg_insert if name == "postgresql" else sqlite_insert


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
) -> bool:
    """Add a delivery unless one with the same dedupe key exists. True if a row was written.

    Runs in the caller's transaction, so the message is enqueued with the change that causes it.
    With `replace_pending`, a delivery with the key that is still pending gets the new send time,
    target and message (the planner's re-apply); one already sent, failed or cancelled is left
    alone, so nothing is ever sent twice.
    """
    now = utcnow()
    insert = (
        _insert_for(session)(Delivery)
        .values(
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
            created_at=now,
            updated_at=now,
        )
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
            where=Delivery.state == DeliveryState.PENDING,  # type: ignore[arg-type]
        )
    else:
        stmt = insert.on_conflict_do_nothing(index_elements=["dedupe_key"])
    result = await session.execute(stmt)
    return bool(result.rowcount)


async def cancel_pending(
    *,
    session: AsyncSession,
    source: str | None = None,
    person_id: int | None = None,
    kinds: Iterable[str] | None = None,
    dedupe_prefix: str | None = None,
    reason: str = "cancelled",
) -> int:
    """Cancel pending deliveries matching every given filter; returns how many."""
    if source is None and person_id is None and dedupe_prefix is None:
        raise ValueError("cancel_pending needs source, person_id or dedupe_prefix")
    stmt = update(Delivery).where(Delivery.state == DeliveryState.PENDING)  # type: ignore[arg-type]
    if source is not None:
        stmt = stmt.where(Delivery.source == source)  # type: ignore[arg-type]
    if person_id is not None:
        stmt = stmt.where(Delivery.person_id == person_id)  # type: ignore[arg-type]
    if kinds is not None:
        stmt = stmt.where(Delivery.kind.in_(list(kinds)))  # type: ignore[attr-defined]
    if dedupe_prefix is not None:
        stmt = stmt.where(Delivery.dedupe_key.startswith(dedupe_prefix))  # type: ignore[attr-defined]
    stmt = stmt.values(state=DeliveryState.CANCELLED, error=reason, updated_at=utcnow())
    result = await session.execute(stmt)
    return int(result.rowcount or 0)
