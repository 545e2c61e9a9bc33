"""Outbox steps' lookups: a delivery by key, re-arming a failed one, stored upload files."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Delivery, DeliveryState, OutboxFile
from storage.queries.deliveries._common import (
    DELIVERY,
    D,
    _rowcount,
)


async def get_delivery_by_key(*, session: AsyncSession, dedupe_key: str) -> Delivery | None:
    """The delivery with this dedupe key, if any (an outbox step's predecessor)."""
    result = await session.execute(select(Delivery).where(D.dedupe_key == dedupe_key).limit(1))
    return result.scalars().first()


async def rearm_failed(
    *, session: AsyncSession, dedupe_key: str, now: datetime, message: Any = None
) -> bool:
    """Put a failed delivery back to pending, due now, with its attempts reset: decided again
    (with `message`, as decided now: a class renamed since, say).

    True if there was such a failed delivery."""
    values: dict[str, Any] = {
        "state": DeliveryState.PENDING,
        "send_at": now,
        "attempts": 0,
        "claimed_by": None,
        "lease_until": None,
        "updated_at": now,
    }
    if message is not None:
        values["message"] = message
    result = await session.execute(
        update(DELIVERY)
        .where(D.dedupe_key == dedupe_key, D.state == DeliveryState.FAILED)
        .values(**values)
    )
    return bool(_rowcount(result))


async def add_outbox_file(
    *,
    session: AsyncSession,
    filename: str,
    content: bytes,
    now: datetime,
    person_id: int | None = None,
) -> int:
    """Store a file an upload step will send (`person_id`: whose data it holds); returns its id."""
    row = OutboxFile(filename=filename, content=content, created_at=now, person_id=person_id)
    session.add(row)
    await session.flush()
    assert row.id is not None
    return row.id


async def get_outbox_file(*, session: AsyncSession, file_id: int) -> OutboxFile | None:
    return await session.get(OutboxFile, file_id)


async def delete_outbox_file(*, session: AsyncSession, file_id: int) -> None:
    """The upload is done (or failed for good): its bytes are not kept."""
    await session.execute(delete(OutboxFile).where(cast(Any, OutboxFile).id == file_id))
