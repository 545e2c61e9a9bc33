"""Outbox queries: enqueue (deduplicated), cancel, the dispatcher's claim and outcomes, pauses,
and what staff see."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import and_, bindparam, case, delete, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Delivery, DeliveryState, OutboxFile, Person, SendingPause
from storage.types import utcnow

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


# --- the dispatcher's claim and outcomes ---------------------------------------------------
#
# Life of a delivery: pending -> claimed (a dispatcher holds it under a lease) -> uncertain (the
# send is in flight: if the process dies now, the message may or may not have gone) -> sent |
# pending (retry later) | failed. Every outcome write is a compare-and-swap on `claimed_by`, so a
# dispatcher whose lease was taken over can never overwrite the new owner's work.

UNCERTAIN_NOTE = "uncertain:"


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
        select(
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
        .where(
            D.id.in_(ids),
            D.claimed_by == claimed_by,
            D.state == DeliveryState.CLAIMED,
        )
        .order_by(D.send_at, D.id)
    )
    return [
        ClaimedDelivery(
            id=r.id,
            dedupe_key=r.dedupe_key,
            transport=r.transport,
            kind=r.kind,
            target=r.target,
            message=r.message,
            attempts=r.attempts,
            urgent=r.urgent,
            person_id=r.person_id,
            uncertain=bool(r.error and r.error.startswith(UNCERTAIN_NOTE)),
            error=r.error,
            unknown_attempts=int(r.unknown_attempts or 0),
        )
        for r in rows.all()
    ]


def _owned(delivery_id: int, claimed_by: str, state: str) -> Any:
    return update(DELIVERY).where(
        D.id == delivery_id,
        D.claimed_by == claimed_by,
        D.state == state,
    )


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


# --- pausing a transport -------------------------------------------------------------------


async def pause_transport(
    *, session: AsyncSession, transport: str, reason: str, now: datetime
) -> bool:
    """Stop all sending on `transport`. True if it was not paused already."""
    stmt = (
        _insert_for(session)(PAUSE)
        .values(transport=transport, reason=reason[:500], paused_at=now)
        .on_conflict_do_nothing(index_elements=["transport"])
        .returning(SP.transport)
    )
    result = await session.execute(stmt)
    return result.first() is not None


async def resume_transport(*, session: AsyncSession, transport: str) -> bool:
    """Lift a pause. True if there was one."""
    result = await session.execute(delete(PAUSE).where(SP.transport == transport))
    return bool(_rowcount(result))


async def list_pauses(*, session: AsyncSession) -> list[SendingPause]:
    result = await session.execute(select(SendingPause).order_by(SP.paused_at))
    return list(result.scalars())


async def staff_contacts(
    *, session: AsyncSession, staff_emails: Sequence[str] = ()
) -> list[tuple[int, str, str | None]]:
    """(person id, email, Slack user id) of every staff member (flagged, or listed in
    COHORTBOT_STAFF_EMAILS), to alert them."""
    emails = [e.lower() for e in staff_emails]
    result = await session.execute(
        select(P.id, P.email, P.slack_user_id).where(or_(P.is_staff.is_(True), P.email.in_(emails)))
    )
    return [(r[0], r[1], r[2]) for r in result.all()]


# --- what staff see ------------------------------------------------------------------------


@dataclass(frozen=True)
class FailedDeliveryRow:
    id: int
    kind: str
    transport: str
    target: str
    error: str | None
    attempts: int
    updated_at: datetime
    person_name: str | None
    person_email: str | None
    person_id: int | None = None


async def count_deliveries_by_state(*, session: AsyncSession) -> dict[str, int]:
    """How many deliveries are in each state."""
    result = await session.execute(select(D.state, func.count()).group_by(D.state))
    return {state: int(n) for state, n in result.all()}


async def count_deliveries_by_state_and_transport(
    *, session: AsyncSession
) -> dict[tuple[str, str], int]:
    """Rows in the outbox per (state, transport), for the metrics endpoint."""
    result = await session.execute(
        select(D.state, D.transport, func.count()).group_by(D.state, D.transport)
    )
    return {(str(state), str(transport)): int(n) for state, transport, n in result.all()}


async def due_backlog(*, session: AsyncSession, now: datetime) -> tuple[int, datetime | None]:
    """Pending deliveries already due at `now`, and the oldest one's due time."""
    result = await session.execute(
        select(func.count(), func.min(D.send_at)).where(
            D.state == DeliveryState.PENDING, D.send_at <= now
        )
    )
    count, oldest = result.one()
    return int(count), oldest


async def count_uncertain_sends(*, session: AsyncSession) -> int:
    """Sent deliveries that a dead process may have sent too (possible duplicates)."""
    result = await session.execute(
        select(func.count()).select_from(DELIVERY).where(D.error.startswith(UNCERTAIN_NOTE))
    )
    return int(result.scalar() or 0)


async def list_failed_deliveries(
    *, session: AsyncSession, limit: int | None = 50
) -> list[FailedDeliveryRow]:
    """The newest failed deliveries with the reason and who they were for (all: limit None)."""
    result = await session.execute(
        select(
            D.id,
            D.kind,
            D.transport,
            D.target,
            D.error,
            D.attempts,
            D.updated_at,
            P.name,
            P.email,
            D.person_id,
        )
        .outerjoin(Person, P.id == D.person_id)
        .where(D.state == DeliveryState.FAILED)
        .order_by(D.updated_at.desc(), D.id.desc())
        .limit(limit)
    )
    return [FailedDeliveryRow(*row) for row in result.all()]


async def next_due_at(*, session: AsyncSession) -> datetime | None:
    """When the next pending delivery on a transport that is not paused is due."""
    result = await session.execute(
        select(func.min(D.send_at)).where(D.state == DeliveryState.PENDING, _not_paused())
    )
    value = result.scalar()
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


async def any_due(
    *,
    connection: AsyncConnection,
    now: datetime,
    transports: Collection[str] | None = None,
    lease_now: datetime | None = None,
) -> bool:
    """Is anything due or abandoned? One indexed probe: the idle tick's whole cost."""
    due = (
        select(D.id)
        .where(D.state == DeliveryState.PENDING, D.send_at <= now, _sendable(transports))
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


async def count_held(*, session: AsyncSession) -> dict[str, int]:
    """Pending deliveries held because their transport is not configured, per transport."""
    result = await session.execute(
        select(D.transport, func.count())
        .where(D.state == DeliveryState.PENDING, D.error.startswith(HELD_NOTE))
        .group_by(D.transport)
    )
    return {transport: int(n) for transport, n in result.all()}


async def sent_messages(*, session: AsyncSession, source: str, kind: str) -> list[Any]:
    """(id, target, result_ref, message) of the sent deliveries of one source and kind."""
    result = await session.execute(
        select(D.id, D.target, D.result_ref, D.message)
        .where(D.source == source, D.kind == kind, D.state == DeliveryState.SENT)
        .order_by(D.id)
    )
    return list(result.all())


async def count_failed(*, session: AsyncSession) -> int:
    """How many deliveries failed for good."""
    result = await session.execute(
        select(func.count()).select_from(DELIVERY).where(D.state == DeliveryState.FAILED)
    )
    return int(result.scalar() or 0)


# --- the planner's bulk path ---------------------------------------------------------------


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


async def existing_for_sources(
    *, session: AsyncSession, sources: Collection[str]
) -> dict[str, ExistingDelivery]:
    """Every delivery (any state) from these sources, by dedupe key: one query, reading the
    message's fingerprint (`meta.plan_hash`) from the JSON in the database, not the message."""
    if not sources:
        return {}
    plan_hash = D.message["meta"]["plan_hash"].as_string()
    result = await session.execute(
        select(D.dedupe_key, D.state, D.transport, D.target, D.send_at, plan_hash, D.urgent).where(
            D.source.in_(sorted(sources))
        )
    )
    out = {}
    for key, state, transport, target, send_at, found, urgent in result.all():
        if send_at is not None and send_at.tzinfo is None:
            send_at = send_at.replace(tzinfo=UTC)
        out[key] = ExistingDelivery(key, state, transport, target, send_at, found, bool(urgent))
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
    stmt = _insert_for(session)(DELIVERY).on_conflict_do_nothing(index_elements=["dedupe_key"])
    await session.execute(stmt, values)
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


_UPDATE_BINDS = (
    ("key", "dedupe_key"),
    ("send_at", "send_at"),
    ("target", "target"),
    ("transport", "transport"),
    ("message", "message"),
    ("urgent", "urgent"),
)


async def clear_unknown_attempts(
    *, session: AsyncSession, delivery_id: int, claimed_by: str
) -> None:
    """No earlier attempt of this claimed delivery arrived (the transport looked)."""
    await session.execute(
        update(DELIVERY)
        .where(D.id == delivery_id, D.claimed_by == claimed_by)
        .values(unknown_attempts=0)
    )


def _copies_at_most() -> Any:
    """How many copies of a delivery may have arrived: each attempt of unknown outcome, plus
    the recorded send unless it was an earlier attempt found in the conversation."""
    sent_now = case((and_(D.state == DeliveryState.SENT, D.found_sent.is_(False)), 1), else_=0)
    return D.unknown_attempts + sent_now


@dataclass(frozen=True)
class DuplicateFigures:
    """Deliveries that may have arrived more than once, and at most how many extra copies."""

    deliveries: int = 0
    extra_copies: int = 0


async def duplicate_figures(
    *, session: AsyncSession, sources: Sequence[str] | None = None
) -> tuple[DuplicateFigures, dict[str, DuplicateFigures]]:
    """What the outbox knows of possible duplicates, counted from attempts whose outcome was
    unknown: in total (over `sources` when given), and per source."""
    copies = _copies_at_most()
    stmt = select(D.source, func.count(), func.sum(copies - 1)).where(copies >= 2)
    if sources is not None:
        stmt = stmt.where(D.source.in_(list(sources)))
    rows = (await session.execute(stmt.group_by(D.source))).all()
    per: dict[str, DuplicateFigures] = {}
    total_n = total_extra = 0
    for source, n, extra in rows:
        if source is not None:
            per[str(source)] = DuplicateFigures(int(n), int(extra or 0))
        total_n += int(n)
        total_extra += int(extra or 0)
    return DuplicateFigures(total_n, total_extra), per


async def get_delivery_by_key(*, session: AsyncSession, dedupe_key: str) -> Delivery | None:
    """The delivery with this dedupe key, if any (an outbox step's predecessor)."""
    result = await session.execute(select(Delivery).where(D.dedupe_key == dedupe_key).limit(1))
    return result.scalars().first()


async def rearm_failed(*, session: AsyncSession, dedupe_key: str, now: datetime) -> bool:
    """Put a failed delivery back to pending, due now, with its attempts reset: decided again.

    True if there was such a failed delivery."""
    result = await session.execute(
        update(DELIVERY)
        .where(D.dedupe_key == dedupe_key, D.state == DeliveryState.FAILED)
        .values(
            state=DeliveryState.PENDING,
            send_at=now,
            attempts=0,
            claimed_by=None,
            lease_until=None,
            updated_at=now,
        )
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
