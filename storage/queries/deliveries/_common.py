"""What the outbox's queries share: the tables' columns and small helpers."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, cast

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Delivery, DeliveryState, Person, SendingPause

# The tables' columns, typed loosely: SQLModel's attribute types confuse SQLAlchemy's overloads.
D: Any = cast(Any, Delivery).__table__.c
P: Any = cast(Any, Person).__table__.c
SP: Any = cast(Any, SendingPause).__table__.c
DELIVERY: Any = cast(Any, Delivery).__table__
PAUSE: Any = cast(Any, SendingPause).__table__


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0)


def _insert_for(session: AsyncSession) -> Any:
    name = session.get_bind().dialect.name
    return pg_insert if name == "postgresql" else sqlite_insert


UNCERTAIN_NOTE = "uncertain:"


def _clip(text: str | None) -> str | None:
    return None if text is None else text[:500]


def _not_paused() -> Any:
    return D.transport.not_in(select(SP.transport))


def _sendable(transports: Collection[str] | None) -> Any:
    """Not paused, and (when `transports` is given) on a transport this process can send on."""
    if transports is None:
        return _not_paused()
    return and_(_not_paused(), D.transport.in_(sorted(transports)))


HELD_NOTE = "held:"


def _due(now: datetime) -> Any:
    """Pending, its time come, and not waiting for its own retry."""
    return and_(
        D.state == DeliveryState.PENDING,
        D.send_at <= now,
        or_(D.retry_at.is_(None), D.retry_at <= now),
    )


def _behind_a_retry(now: datetime) -> Any:
    """An earlier delivery (send_at, then id) of the row's (transport, target) is pending and
    waits for its retry after `now`: the chain is held behind it, so nothing overtakes it.

    One probe of `ix_delivery_chain` (target, transport, state = pending).
    """
    earlier = DELIVERY.alias("earlier")
    e = earlier.c
    return (
        select(e.id)
        .where(
            e.target == D.target,
            e.transport == D.transport,
            e.state == DeliveryState.PENDING,
            e.retry_at > now,
            or_(e.send_at < D.send_at, and_(e.send_at == D.send_at, e.id < D.id)),
        )
        .exists()
    )


def _owned(delivery_id: int, claimed_by: str, state: str) -> Any:
    return update(DELIVERY).where(
        D.id == delivery_id,
        D.claimed_by == claimed_by,
        D.state == state,
    )
