"""Scheduled announcements: list, change and cancel those not started."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import delivery
from bot.broadcasts.audience import Audience, check
from bot.broadcasts.recipients import resolve
from bot.broadcasts.sending import _message
from bot.messages import t
from bot.networks import InvalidRequest
from bot.people import Actor, require_staff
from bot.settings import Settings
from storage.models import Broadcast, DeliveryState
from storage.queries import broadcasts as q
from storage.queries.assignments import cancel_by_keys
from storage.queries.people import record_audit

# --- scheduled announcements: list, change, cancel -----------------------------------------

NOT_STARTED = (DeliveryState.PENDING, DeliveryState.CANCELLED)


@dataclass(frozen=True)
class BroadcastSummary:
    """One announcement as staff see it in the list: when, to whom, how far it has got.

    `status`: scheduled (nothing has gone yet), sending, sent, cancelled, or held (every
    pending delivery waits for a transport that is not configured).
    """

    id: int
    send_at: datetime
    audience: Audience
    mode: str
    urgent: bool
    text: str
    counts: dict[str, int]
    by_transport: dict[str, int]
    held: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def started(self) -> bool:
        return any(n for state, n in self.counts.items() if state not in NOT_STARTED)

    @property
    def status(self) -> str:
        pending = self.counts.get(DeliveryState.PENDING, 0)
        if self.total and self.counts.get(DeliveryState.CANCELLED, 0) == self.total:
            return "cancelled"
        if not self.started:
            return "held" if pending and self.held == pending else "scheduled"
        if pending or self.counts.get(DeliveryState.CLAIMED, 0):
            return "sending"
        return "sent"


def _audience_of(data: dict[str, Any]) -> Audience:
    return Audience(
        scope=str(data.get("scope", "programme")),
        cohort=data.get("cohort"),
        klass=data.get("klass"),
        counties=tuple(data.get("counties") or ()),
        service_areas=tuple(data.get("service_areas") or ()),
        roles=tuple(data.get("roles") or ()),
    )


def _summary(b: Broadcast, rows: list[Any]) -> BroadcastSummary:
    assert b.id is not None
    counts: Counter[str] = Counter()
    by_transport: Counter[str] = Counter()
    held = 0
    for r in rows:
        counts[str(r.state)] += int(r.n)
        if r.state != DeliveryState.CANCELLED:
            by_transport[str(r.transport)] += int(r.n)
        if r.state == DeliveryState.PENDING:
            held += int(r.held or 0)
    return BroadcastSummary(
        b.id,
        b.send_at,
        _audience_of(b.audience),
        b.mode,
        b.urgent,
        b.text,
        dict(counts),
        dict(by_transport),
        held,
    )


async def list_broadcasts(
    session: AsyncSession, *, actor: Actor | None, now: datetime, days: int = 14
) -> list[BroadcastSummary]:
    """Announcements still to go or still going, and those of the last `days` days, newest
    first by send time."""
    if actor is not None:
        require_staff(actor)
    found = await q.recent_broadcasts(session=session, since=now - timedelta(days=days))
    counts = await q.delivery_counts_by_source(
        session=session, sources=[f"broadcast:{b.id}" for b in found]
    )
    return [_summary(b, counts.get(f"broadcast:{b.id}", [])) for b in found]


async def get_summary(session: AsyncSession, broadcast_id: int) -> BroadcastSummary:
    """One announcement's summary; InvalidRequest if there is none."""
    b = await q.get_broadcast(session=session, broadcast_id=broadcast_id)
    if b is None or b.id is None:
        raise InvalidRequest(f"unknown announcement {broadcast_id}")
    counts = await q.delivery_counts_by_source(session=session, sources=[f"broadcast:{b.id}"])
    return _summary(b, counts.get(f"broadcast:{b.id}", []))


def _refuse_started(summary: BroadcastSummary, verb: str) -> None:
    if summary.status == "cancelled":
        raise InvalidRequest(f"announcement {summary.id} is cancelled already")
    if summary.started:
        raise InvalidRequest(
            f"announcement {summary.id} has started going out "
            f"({summary.counts.get(DeliveryState.SENT, 0)} sent): it can no longer be {verb}"
        )


async def cancel_broadcast(
    session: AsyncSession,
    broadcast_id: int,
    *,
    actor: Actor | None,
    now: datetime,
    actor_label: str = "cli",
) -> int:
    """Cancel an announcement that has not started; returns how many deliveries were cancelled.

    Raises InvalidRequest for an unknown announcement, or one that has started (a message
    already sent cannot be unsent, and half an audience is worse than all or none).
    """
    if actor is not None:
        require_staff(actor)
    summary = await get_summary(session, broadcast_id)
    _refuse_started(summary, "cancelled")
    cancelled = await delivery.cancel(
        session,
        source=f"broadcast:{broadcast_id}",
        reason="announcement cancelled by staff",
        now=now,
    )
    await record_audit(
        session=session,
        actor=f"person:{actor.person_id}" if actor and actor.person_id else actor_label,
        actor_id=actor.person_id if actor else None,
        action="broadcasts.cancel",
        subject=f"broadcast:{broadcast_id}",
        detail={"deliveries": cancelled},
    )
    return cancelled


async def change_broadcast(
    session: AsyncSession,
    settings: Settings,
    broadcast_id: int,
    *,
    actor: Actor | None,
    now: datetime,
    text: str | None = None,
    send_at: datetime | None = None,
    actor_label: str = "cli",
) -> BroadcastSummary:
    """Change the text or the time of an announcement that has not started.

    The audience is resolved again, so the change reaches who is in it now: deliveries of
    people who left are cancelled, newcomers get one. Raises InvalidRequest as `send` does,
    and for an announcement that has started or a time in the past.
    """
    if actor is not None:
        require_staff(actor)
    summary = await get_summary(session, broadcast_id)
    _refuse_started(summary, "changed")
    b = await q.get_broadcast(session=session, broadcast_id=broadcast_id)
    assert b is not None and b.id is not None
    new_text = (text if text is not None else b.text).strip()
    new_time = send_at if send_at is not None else b.send_at
    problems = check(summary.audience, text=new_text, mode=b.mode, send_at=new_time, now=now)
    if problems:
        raise InvalidRequest(", ".join(t(k, "en") for k in problems.values()))
    resolved = await resolve(session, summary.audience, b.mode)
    if not resolved.recipients:
        raise InvalidRequest("nobody is in this audience any more: cancel it instead")
    await q.update_broadcast(
        session=session,
        broadcast_id=b.id,
        text=new_text,
        send_at=new_time,
        recipient_count=resolved.count,
    )
    wanted = set()
    for r in resolved.recipients:
        key = f"broadcast:{b.id}:{r.transport}:{r.target}"
        wanted.add(key)
        await delivery.schedule(
            session,
            now=now,
            key=key,
            transport=r.transport,
            kind="announcement",
            target=r.target,
            message=_message(new_text, r.locale, b.id, b.urgent),
            send_at=new_time,
            audience=r.audience,
            settings=settings,
            person_id=r.person_id,
            source=f"broadcast:{b.id}",
            urgent=b.urgent,
            tz=r.tz,
            replace_pending=True,
        )
    gone = [
        k
        for k in await q.pending_keys(session=session, source=f"broadcast:{b.id}")
        if k not in wanted
    ]
    await cancel_by_keys(session=session, dedupe_keys=gone, reason="left the audience", now=now)
    changed = [f for f, v in (("text", text), ("send_at", send_at)) if v is not None]
    await record_audit(
        session=session,
        actor=f"person:{actor.person_id}" if actor and actor.person_id else actor_label,
        actor_id=actor.person_id if actor else None,
        action="broadcasts.change",
        subject=f"broadcast:{b.id}",
        detail={"changed": changed, "recipients": resolved.count, "cancelled": len(gone)},
    )
    return await get_summary(session, b.id)
