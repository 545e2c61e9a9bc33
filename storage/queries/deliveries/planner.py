"""The planner's bulk path: existing deliveries of its sources, bulk insert and update."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import DeliveryState
from storage.queries.bulk import insert_rows
from storage.queries.deliveries._common import DELIVERY, D
from storage.types import utcnow


@dataclass(frozen=True)
class ExistingDelivery:
    """What the planner compares a wanted delivery with."""

    dedupe_key: str
    state: str
    transport: str
    target: str
    send_at: datetime
    plan_hash: str | None  # the message's meta.plan_hash: what it was built from
    urgent: bool
    error: str | None = None  # a cancelled row's reason (who cancelled it, and why)


async def existing_for_sources(
    *, session: AsyncSession, sources: Collection[str]
) -> dict[str, ExistingDelivery]:
    """Every delivery (any state) from these sources, by dedupe key: one query, reading the
    message's fingerprint (`meta.plan_hash`) from the JSON in the database, not the message."""
    if not sources:
        return {}
    plan_hash = D.message["meta"]["plan_hash"].as_string()
    result = await session.execute(
        select(
            D.dedupe_key, D.state, D.transport, D.target, D.send_at, plan_hash, D.urgent, D.error
        ).where(D.source.in_(sorted(sources)))
    )
    out = {}
    for key, state, transport, target, send_at, found, urgent, error in result.all():
        if send_at is not None and send_at.tzinfo is None:
            send_at = send_at.replace(tzinfo=UTC)
        out[key] = ExistingDelivery(
            key, state, transport, target, send_at, found, bool(urgent), error
        )
    return out


async def insert_deliveries(
    *, session: AsyncSession, rows: list[dict[str, Any]], now: datetime | None = None
) -> int:
    """Insert new deliveries in one statement per batch; keys that exist are left alone.

    Each row has dedupe_key, transport, kind, target, message, send_at, person_id, source,
    urgent and error (a "held:" note or None). `now` stamps created_at/updated_at (the
    caller's clock; the wall clock only when it has none).
    """
    if not rows:
        return 0
    now = now or utcnow()
    values = [
        {**r, "state": DeliveryState.PENDING, "attempts": 0, "created_at": now, "updated_at": now}
        for r in rows
    ]
    await insert_rows(session=session, table=DELIVERY, rows=values, conflict=["dedupe_key"])
    return len(rows)


async def update_pending_deliveries(
    *, session: AsyncSession, rows: list[dict[str, Any]], now: datetime | None = None
) -> int:
    """Give still-pending deliveries a new time, target, transport and message (executemany).

    A row no longer pending (sent, failed, cancelled meanwhile) is left alone.
    """
    if not rows:
        return 0
    stmt = (
        update(DELIVERY)
        .where(D.dedupe_key == bindparam("b_key"), D.state == DeliveryState.PENDING)
        .values(
            send_at=bindparam("b_send_at"),
            target=bindparam("b_target"),
            transport=bindparam("b_transport"),
            message=bindparam("b_message"),
            urgent=bindparam("b_urgent"),
            updated_at=now or utcnow(),
        )
    )
    conn = await session.connection()
    await conn.execute(stmt, [{f"b_{k}": r[n] for k, n in _UPDATE_BINDS} for r in rows])
    return len(rows)


async def restore_cancelled_deliveries(
    *,
    session: AsyncSession,
    rows: list[dict[str, Any]],
    reasons: Collection[str],
    now: datetime | None = None,
) -> int:
    """Put cancelled deliveries back to pending with a new time, target and message.

    Only a row still cancelled with one of `reasons` (the planner's own "no longer in the
    plan") is touched: one cancelled for another reason (answered, closed, by staff), sent or
    pending again meanwhile is left alone, so two planners restoring at once restore it once.
    """
    if not rows:
        return 0
    stmt = (
        update(DELIVERY)
        .where(
            D.dedupe_key == bindparam("b_key"),
            D.state == DeliveryState.CANCELLED,
            # Not IN: an expanding parameter cannot go with executemany.
            or_(*(D.error == reason for reason in sorted(reasons))),
        )
        .values(
            state=DeliveryState.PENDING,
            send_at=bindparam("b_send_at"),
            target=bindparam("b_target"),
            transport=bindparam("b_transport"),
            message=bindparam("b_message"),
            urgent=bindparam("b_urgent"),
            error=bindparam("b_error"),
            updated_at=now or utcnow(),
        )
    )
    conn = await session.connection()
    await conn.execute(
        stmt,
        [{**{f"b_{k}": r[n] for k, n in _UPDATE_BINDS}, "b_error": r.get("error")} for r in rows],
    )
    return len(rows)


_UPDATE_BINDS = (
    ("key", "dedupe_key"),
    ("send_at", "send_at"),
    ("target", "target"),
    ("transport", "transport"),
    ("message", "message"),
    ("urgent", "urgent"),
)
