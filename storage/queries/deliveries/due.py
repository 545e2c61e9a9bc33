"""Is anything due (the idle tick's probe), and holding what no process can send."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import DeliveryState
from storage.queries.deliveries._common import (
    DELIVERY,
    HELD_NOTE,
    D,
    _behind_a_retry,
    _clip,
    _due,
    _rowcount,
    _sendable,
)


async def any_due(
    *,
    connection: AsyncConnection,
    now: datetime,
    transports: Collection[str] | None = None,
    lease_now: datetime | None = None,
) -> bool:
    """Is anything due or abandoned? One indexed probe: the idle tick's whole cost.

    A delivery held behind its chain's waiting retry is not counted: a tick could not claim it.
    """
    due = (
        select(D.id)
        .where(_due(now), _sendable(transports), ~_behind_a_retry(now))
        .limit(1)
        .exists()
    )
    abandoned = (
        select(D.id)
        .where(
            D.state.in_([DeliveryState.CLAIMED, DeliveryState.UNCERTAIN]),
            D.lease_until < (lease_now or now),
            _sendable(transports),
        )
        .limit(1)
        .exists()
    )
    result = await connection.execute(select(or_(due, abandoned)))
    return bool(result.scalar())


async def hold_unsendable(
    *, session: AsyncSession, transports: Collection[str], note: dict[str, str], now: datetime
) -> int:
    """Note on pending deliveries of transports with no notifier why they wait (once each).

    `note` maps a transport to its note ("held: email not configured"); the note goes when the
    delivery is sent, so a held row that later goes out reads as any other.
    """
    total = 0
    # A transport configured since: its rows are no longer held, whenever they are due.
    await session.execute(
        update(DELIVERY)
        .where(
            D.state == DeliveryState.PENDING,
            D.transport.in_(sorted(transports)),
            D.error.startswith(HELD_NOTE),
        )
        .values(error=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    for transport, text in note.items():
        if transport in transports:
            continue
        result = await session.execute(
            update(DELIVERY)
            .where(
                D.state == DeliveryState.PENDING,
                D.transport == transport,
                or_(D.error.is_(None), ~D.error.startswith(HELD_NOTE)),
            )
            .values(error=_clip(text), updated_at=now)
            .execution_options(synchronize_session=False)
        )
        total += _rowcount(result)
    return total
