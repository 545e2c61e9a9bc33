"""The dispatcher's claim and the outcomes it records.

Life of a delivery: pending -> claimed (a dispatcher holds it under a lease) -> uncertain (the
send is in flight: if the process dies now, the message may or may not have gone) -> sent |
pending (retry later) | failed. Every outcome write is a compare-and-swap on `claimed_by`, so a
dispatcher whose lease was taken over can never overwrite the new owner's work.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import DeliveryState
from storage.queries.deliveries._common import (
    DELIVERY,
    UNCERTAIN_NOTE,
    D,
    _clip,
    _owned,
    _rowcount,
    _sendable,
)


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery this dispatcher now owns. `uncertain`: a dead process may have sent it."""

    id: int
    dedupe_key: str
    transport: str
    kind: str
    target: str
    message: dict[str, Any]
    attempts: int
    urgent: bool
    person_id: int | None
    uncertain: bool
    error: str | None
    unknown_attempts: int = 0


# What a claim reads back of each delivery it took, for `claimed_from`.
CLAIMED_COLUMNS = (
    D.id,
    D.dedupe_key,
    D.transport,
    D.kind,
    D.target,
    D.message,
    D.attempts,
    D.urgent,
    D.person_id,
    D.error,
    D.unknown_attempts,
)


def claimed_from(row: Any, *, uncertain: bool) -> ClaimedDelivery:
    """A `ClaimedDelivery` from a row of `CLAIMED_COLUMNS`."""
    return ClaimedDelivery(
        id=row.id,
        dedupe_key=row.dedupe_key,
        transport=row.transport,
        kind=row.kind,
        target=row.target,
        message=row.message,
        attempts=row.attempts,
        urgent=row.urgent,
        person_id=row.person_id,
        uncertain=uncertain,
        error=row.error,
        unknown_attempts=int(row.unknown_attempts or 0),
    )


async def claim_due_deliveries(
    *,
    session: AsyncSession,
    now: datetime,
    limit: int,
    claimed_by: str,
    lease_until: datetime,
    transports: Collection[str] | None = None,
    lease_now: datetime | None = None,
) -> list[ClaimedDelivery]:
    """Claim up to `limit` due deliveries for `claimed_by`; commit afterwards.

    Takes, in order: deliveries whose claim expired (their dispatcher died or hung), then
    pending ones whose send time has come, oldest first. On PostgreSQL the rows are locked with
    `FOR UPDATE SKIP LOCKED`, so concurrent dispatchers claim disjoint sets; SQLite has one
    dispatcher. Paused transports are skipped, and so are transports not in `transports` (no
    notifier for them in this process: email without SMTP_URL): those wait, held.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    # Leases run on their own clock (real time) when `lease_now` is given: the local
    # workspace's fast-forward moves `now` but must not make live claims look expired.
    lease_now = lease_now or now
    expired = (
        select(D.id)
        .where(
            D.state.in_([DeliveryState.CLAIMED, DeliveryState.UNCERTAIN]),
            D.lease_until < lease_now,
            _sendable(transports),
        )
        .order_by(D.lease_until)
        .limit(limit)
    )
    if postgres:
        expired = expired.with_for_update(skip_locked=True)
    ids = list((await session.execute(expired)).scalars())
    if len(ids) < limit:
        due = (
            select(D.id)
            .where(
                D.state == DeliveryState.PENDING,
                D.send_at <= now,
                _sendable(transports),
            )
            .order_by(D.send_at)
            .limit(limit - len(ids))
        )
        if postgres:
            due = due.with_for_update(skip_locked=True)
        ids += list((await session.execute(due)).scalars())
    if not ids:
        return []
    state = D.state
    takeover_note = case(
        (
            state == DeliveryState.UNCERTAIN,
            func.substr(
                literal(UNCERTAIN_NOTE + " was in flight at ")
                + func.coalesce(D.claimed_by, "?")
                + literal(" when its lease ran out; sent again, may be a duplicate"),
                1,
                500,
            ),
        ),
        else_=D.error,
    )
    await session.execute(
        update(DELIVERY)
        .where(
            D.id.in_(ids),
            or_(
                and_(state == DeliveryState.PENDING, D.send_at <= now),
                and_(
                    state.in_([DeliveryState.CLAIMED, DeliveryState.UNCERTAIN]),
                    D.lease_until < lease_now,
                ),
            ),
        )
        .values(
            state=DeliveryState.CLAIMED,
            claimed_by=claimed_by,
            lease_until=lease_until,
            error=takeover_note,
            # A send in flight when its dispatcher died: it may have arrived.
            unknown_attempts=D.unknown_attempts
            + case((state == DeliveryState.UNCERTAIN, 1), else_=0),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    rows = await session.execute(
        select(*CLAIMED_COLUMNS)
        .where(
            D.id.in_(ids),
            D.claimed_by == claimed_by,
            D.state == DeliveryState.CLAIMED,
        )
        .order_by(D.send_at, D.id)
    )
    return [
        claimed_from(r, uncertain=bool(r.error and r.error.startswith(UNCERTAIN_NOTE)))
        for r in rows.all()
    ]


async def mark_in_flight(
    *,
    session: AsyncSession,
    delivery_id: int,
    claimed_by: str,
    now: datetime,
    lease_until: datetime,
) -> bool:
    """Record that the send is starting (state uncertain). False if the claim was taken over."""
    result = await session.execute(
        _owned(delivery_id, claimed_by, DeliveryState.CLAIMED).values(
            state=DeliveryState.UNCERTAIN, lease_until=lease_until, updated_at=now
        )
    )
    return bool(_rowcount(result))


async def record_sent(
    *,
    session: AsyncSession,
    delivery_id: int,
    claimed_by: str,
    now: datetime,
    result_ref: str | None,
    note: str | None = None,
    found: bool = False,
) -> bool:
    """The transport accepted the message. `note` keeps an "uncertain:" takeover remark;
    `found`: no new send, an earlier attempt was found to have arrived."""
    result = await session.execute(
        _owned(delivery_id, claimed_by, DeliveryState.UNCERTAIN).values(
            state=DeliveryState.SENT,
            found_sent=or_(D.found_sent, literal(found)),
            sent_at=now,
            result_ref=None if result_ref is None else result_ref[:64],
            attempts=D.attempts + 1,
            lease_until=None,
            error=_clip(note),
            updated_at=now,
        )
    )
    return bool(_rowcount(result))


async def record_retry(
    *,
    session: AsyncSession,
    delivery_id: int,
    claimed_by: str,
    now: datetime,
    send_at: datetime,
    error: str,
    count_attempt: bool = True,
    unknown: bool = False,
) -> bool:
    """A transient failure: back to pending, to be tried again at `send_at`.

    `unknown`: the attempt may have arrived all the same (its answer was lost)."""
    result = await session.execute(
        _owned(delivery_id, claimed_by, DeliveryState.UNCERTAIN).values(
            state=DeliveryState.PENDING,
            unknown_attempts=D.unknown_attempts + (1 if unknown else 0),
            send_at=send_at,
            attempts=D.attempts + (1 if count_attempt else 0),
            claimed_by=None,
            lease_until=None,
            error=_clip(error),
            updated_at=now,
        )
    )
    return bool(_rowcount(result))


async def record_failed(
    *,
    session: AsyncSession,
    delivery_id: int,
    claimed_by: str,
    now: datetime,
    error: str,
    unknown: bool = False,
) -> bool:
    """A permanent failure, with the reason staff will see (`unknown`: it may have arrived)."""
    result = await session.execute(
        _owned(delivery_id, claimed_by, DeliveryState.UNCERTAIN).values(
            state=DeliveryState.FAILED,
            unknown_attempts=D.unknown_attempts + (1 if unknown else 0),
            attempts=D.attempts + 1,
            lease_until=None,
            error=_clip(error),
            updated_at=now,
        )
    )
    return bool(_rowcount(result))


async def release_claims(
    *,
    session: AsyncSession,
    delivery_ids: Sequence[int],
    claimed_by: str,
    now: datetime,
    send_at: datetime | None = None,
    in_flight: bool = False,
) -> int:
    """Give claimed deliveries back unsent (pending again, at `send_at` or as they were).

    `in_flight` releases deliveries already marked uncertain whose send was not attempted
    (the transport was paused before the call went out).
    """
    if not delivery_ids:
        return 0
    values: dict[str, Any] = {
        "state": DeliveryState.PENDING,
        "claimed_by": None,
        "lease_until": None,
        "updated_at": now,
    }
    if send_at is not None:
        values["send_at"] = send_at
    result = await session.execute(
        update(DELIVERY)
        .where(
            D.id.in_(list(delivery_ids)),
            D.claimed_by == claimed_by,
            D.state == (DeliveryState.UNCERTAIN if in_flight else DeliveryState.CLAIMED),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)


async def clear_unknown_attempts(
    *, session: AsyncSession, delivery_id: int, claimed_by: str
) -> None:
    """No earlier attempt of this claimed delivery arrived (the transport looked)."""
    await session.execute(
        update(DELIVERY)
        .where(D.id == delivery_id, D.claimed_by == claimed_by)
        .values(unknown_attempts=0)
    )
