"""What the outbox's queries share: the tables' columns and small helpers."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, cast

from sqlalchemy import and_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Delivery, Person, SendingPause

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


def _owned(delivery_id: int, claimed_by: str, state: str) -> Any:
    return update(DELIVERY).where(
        D.id == delivery_id,
        D.claimed_by == claimed_by,
        D.state == state,
    )
