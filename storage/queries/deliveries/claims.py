"""The dispatcher's claim and the outcomes it records.

Life of a delivery: pending -> claimed (a dispatcher holds it under a lease) -> uncertain (the
send is in flight: if the process dies now, the message may or may not have gone) -> sent |
pending (retry at `retry_at`; its place in its target's chain, `send_at`, kept) | failed.
Every outcome write is a compare-and-swap on `claimed_by`, so a dispatcher whose lease was
taken over can never overwrite the new owner's work.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, text, tuple_, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import DeliveryState
from storage.queries.deliveries._common import (
    DELIVERY,
    UNCERTAIN_NOTE,
    D,
    _behind_a_retry,
    _clip,
    _due,
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


# The advisory-lock namespace of a target's claim (PostgreSQL: two int4 keys, this and the hash
# of transport and target). A hash collision only makes two targets wait for each other's claim.
TARGET_LOCK_SPACE = 0x0C0B0D11

LIVE_STATES = (DeliveryState.CLAIMED, DeliveryState.UNCERTAIN)


def _claimable(now: datetime, lease_now: datetime) -> Any:
    """Pending and due, or claimed/in flight under a lease that ran out."""
    return or_(_due(now), and_(D.state.in_(LIVE_STATES), D.lease_until < lease_now))


def _target_held(lease_now: datetime) -> Any:
    """Some delivery of the row's (transport, target) is claimed or in flight under a live lease.

    Any dispatcher's, this one's too: its earlier chain for the target is still going. One
    probe of `ix_delivery_chain`.
    """
    held = DELIVERY.alias("held")
    return (
        select(held.c.id)
        .where(
            held.c.target == D.target,
            held.c.transport == D.transport,
            held.c.state.in_(LIVE_STATES),
            held.c.lease_until >= lease_now,
        )
        .exists()
    )


async def _lock_targets(
    session: AsyncSession, targets: list[tuple[str, str]], *, wanted: int
) -> tuple[list[tuple[str, str]], int]:
    """The first `wanted` of `targets` whose claim lock this transaction got (PostgreSQL), and
    how many of `targets` were tried.

    A target another dispatcher is claiming right now is skipped, not waited for: it is theirs.
    """
    keys = [f"{transport}\x1f{target}" for transport, target in targets]
    rows = await session.execute(
        text(
            "SELECT k.ord FROM unnest(CAST(:keys AS text[])) WITH ORDINALITY AS k(key, ord) "
            "WHERE pg_try_advisory_xact_lock(:space, hashtext(k.key)) LIMIT :wanted"
        ),
        {"keys": keys, "space": TARGET_LOCK_SPACE, "wanted": wanted},
    )
    ords = [int(o) for o in rows.scalars()]
    tried = ords[-1] if len(ords) == wanted else len(targets)
    return [targets[o - 1] for o in ords], tried


async def _chains(
    session: AsyncSession,
    targets: list[tuple[str, str]],
    *,
    now: datetime,
    lease_now: datetime,
    free: Any,
    limit: int,
) -> list[Any]:
    """The claimable deliveries of `targets` none of whose deliveries is held, in order.

    Read after the targets' locks were taken, so a claim that committed meanwhile shows as held.
    One global (send_at, id) order cut at `limit` leaves each target a prefix of its chain.
    """
    if not targets or limit <= 0:
        return []
    chains = (
        select(D.id, D.transport, D.target)
        .where(tuple_(D.transport, D.target).in_(targets), _claimable(now, lease_now), free)
        .order_by(D.send_at, D.id)
        .limit(limit)
    )
    return list((await session.execute(chains)).all())


async def _lock_rows(session: AsyncSession, rows: list[Any]) -> list[Any]:
    """Lock `rows` (PostgreSQL, `SKIP LOCKED`); a chain stops before a row someone else holds
    (a cancel or re-plan writing it), so no later delivery goes without an earlier one."""
    if not rows:
        return []
    lock = select(D.id).where(D.id.in_([r.id for r in rows])).with_for_update(skip_locked=True)
    locked = set((await session.execute(lock)).scalars())
    cut: set[tuple[str, str]] = set()
    kept: list[Any] = []
    for r in rows:
        key = (r.transport, r.target)
        if r.id not in locked:
            cut.add(key)
        elif key not in cut:
            kept.append(r)
    return kept


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

    Claims whole chains: the deliveries of one (transport, target) are claimed by one dispatcher
    at a time and in order (send_at, then id). A target is skipped while any of its deliveries is
    claimed or in flight under a live lease (by anyone), and of a target's due deliveries only a
    prefix is taken, never a later one without the earlier ones: a delivery waiting for its
    retry (`retry_at` after `now`) holds the rest of its chain, since its `send_at` still says
    it goes first. Targets come in the order of their oldest due delivery: claims whose lease
    ran out (their dispatcher died or hung) first, then pending ones. On PostgreSQL a transaction-scoped advisory lock per target keeps two
    concurrent claims off one target, and the rows are locked `FOR UPDATE SKIP LOCKED` (a chain
    is cut before a row someone else holds). SQLite has one writer, so one claim at a time.
    Paused transports are skipped, and so are transports not in `transports` (no notifier for
    them in this process: email without SMTP_URL): those wait, held.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    # Leases run on their own clock (real time) when `lease_now` is given: the local
    # workspace's fast-forward moves `now` but must not make live claims look expired.
    lease_now = lease_now or now
    free = and_(_sendable(transports), ~_target_held(lease_now), ~_behind_a_retry(now))
    # Candidates: more rows than `limit`, so targets another dispatcher is claiming at this
    # moment (its advisory locks) leave this one others to take instead of nothing.
    window = 2 * limit
    expired = (
        select(D.id, D.transport, D.target)
        .where(D.state.in_(LIVE_STATES), D.lease_until < lease_now, free)
        .order_by(D.lease_until)
        .limit(window)
    )
    candidates = list((await session.execute(expired)).all())
    if len(candidates) < window:
        due = (
            select(D.id, D.transport, D.target)
            .where(_due(now), free)
            .order_by(D.send_at, D.id)
            .limit(window - len(candidates))
        )
        candidates += list((await session.execute(due)).all())
    if not candidates:
        return []
    targets = list(dict.fromkeys((r.transport, r.target) for r in candidates))
    if not postgres:
        rows = await _chains(session, targets, now=now, lease_now=lease_now, free=free, limit=limit)
    else:
        # As many targets as the first `limit` candidates name, of those not being claimed
        # now. A target whose claim committed between the read above and its lock turns out
        # held: then lock the next candidates instead (a few rounds at most).
        wanted = len({(r.transport, r.target) for r in candidates[:limit]})
        rows = []
        for _ in range(3):
            if not targets or wanted <= 0 or len(rows) >= limit:
                break
            locked, tried = await _lock_targets(session, targets, wanted=wanted)
            targets = targets[tried:]
            found = await _chains(
                session, locked, now=now, lease_now=lease_now, free=free, limit=limit - len(rows)
            )
            rows += await _lock_rows(session, found)
            wanted -= len({(r.transport, r.target) for r in found})
    ids = [r.id for r in rows]
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
            _claimable(now, lease_now),
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
    taken = await session.execute(
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
        for r in taken.all()
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
    retry_at: datetime,
    error: str,
    count_attempt: bool = True,
    unknown: bool = False,
    message: Any = None,
) -> bool:
    """A transient failure: back to pending, to be tried again at `retry_at`.

    `send_at` is left as it was: the delivery keeps its place in its target's chain, and the
    target's later deliveries wait until it has gone (or failed for good).
    `unknown`: the attempt may have arrived all the same (its answer was lost).
    `message`: the delivery's message from now on (a step keeping its progress)."""
    values: dict[str, Any] = {} if message is None else {"message": message}
    result = await session.execute(
        _owned(delivery_id, claimed_by, DeliveryState.UNCERTAIN).values(
            **values,
            state=DeliveryState.PENDING,
            unknown_attempts=D.unknown_attempts + (1 if unknown else 0),
            retry_at=retry_at,
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
    retry_at: datetime | None = None,
    in_flight: bool = False,
) -> int:
    """Give claimed deliveries back unsent: pending again, not before `retry_at` when given.

    Their `send_at` stays, so they keep their place in their targets' chains.

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
    if retry_at is not None:
        values["retry_at"] = retry_at
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
