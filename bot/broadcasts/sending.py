"""Send an announcement through the outbox, and report what became of it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import delivery
from bot.broadcasts.audience import MAX_TEXT, Audience
from bot.broadcasts.recipients import resolve
from bot.messages import t
from bot.networks import InvalidRequest
from bot.notifier import OutgoingMessage, Section
from bot.people import Actor, require_staff
from bot.settings import Settings
from bot.text import formatted
from storage.models import Broadcast, DeliveryState
from storage.queries import broadcasts as q
from storage.queries import deliveries as dq
from storage.queries import networks as nq
from storage.queries.people import record_audit


def _message(text: str, locale: str, broadcast_id: int, urgent: bool) -> OutgoingMessage:
    title = t("broadcast.title.urgent" if urgent else "broadcast.title", locale)
    # Staff's words: their *bold* and _italic_ work, but never a ping, mention or disguised link.
    text = formatted(text)
    return OutgoingMessage(
        text=text,
        title=title,
        subject=title,
        sections=(Section(text=text),),
        locale=locale,
        meta={"broadcast_id": broadcast_id},
    )


async def send(
    session: AsyncSession,
    settings: Settings,
    *,
    actor: Actor | None,
    audience: Audience,
    text: str,
    mode: str = "dm",
    send_at: datetime,
    urgent: bool = False,
    actor_label: str = "cli",
    now: datetime | None = None,
) -> Broadcast:
    """Record the announcement and enqueue one delivery per recipient, in one transaction.

    `actor` None is the command line (trusted); a Slack actor must be staff. `now` (the
    caller's clock) stamps the deliveries.
    """
    if actor is not None:
        require_staff(actor)
    text = text.strip()
    if not text:
        raise InvalidRequest("the announcement has no text")
    if len(text) > MAX_TEXT:
        raise InvalidRequest(f"the announcement is longer than {MAX_TEXT} characters")
    resolved = await resolve(session, audience, mode)
    if not resolved.recipients:
        raise InvalidRequest("nobody is in this audience")
    broadcast = await q.create_broadcast(
        session=session,
        created_by_id=actor.person_id if actor else None,
        audience=audience.to_json(),
        text=text,
        mode=mode,
        send_at=send_at,
        urgent=urgent,
        recipient_count=resolved.count,
    )
    assert broadcast.id is not None
    for r in resolved.recipients:
        await delivery.schedule(
            session,
            key=f"broadcast:{broadcast.id}:{r.transport}:{r.target}",
            transport=r.transport,
            kind="announcement",
            target=r.target,
            message=_message(text, r.locale, broadcast.id, urgent),
            send_at=send_at,
            audience=r.audience,
            settings=settings,
            person_id=r.person_id,
            source=f"broadcast:{broadcast.id}",
            urgent=urgent,
            tz=r.tz,
            now=now,
        )
    who = f"person:{actor.person_id}" if actor and actor.person_id else actor_label
    await record_audit(
        session=session,
        actor=who,
        actor_id=actor.person_id if actor else None,
        action="broadcasts.send",
        subject=f"broadcast:{broadcast.id}",
        detail={"audience": audience.to_json(), "mode": mode, "recipients": resolved.count},
        flush=True,
    )
    return broadcast


@dataclass(frozen=True)
class DeliveryReport:
    """How an announcement went: counts by state, and each failure with its reason."""

    broadcast_id: int
    total: int
    counts: dict[str, int]
    failures: list[tuple[str, str, str]]  # (who or where, transport, reason)
    # Deliveries that may have arrived twice (or more), and at most how many extra copies:
    # counted from attempts whose outcome the outbox does not know.
    maybe_twice: int = 0
    extra_copies: int = 0

    @property
    def sent(self) -> int:
        return self.counts.get(DeliveryState.SENT, 0)

    @property
    def failed(self) -> int:
        return self.counts.get(DeliveryState.FAILED, 0)

    @property
    def waiting(self) -> int:
        return sum(
            self.counts.get(s, 0)
            for s in (DeliveryState.PENDING, DeliveryState.CLAIMED, DeliveryState.UNCERTAIN)
        )


async def delivery_report(
    session: AsyncSession, broadcast_id: int, *, actor: Actor | None = None
) -> DeliveryReport:
    """Count the announcement's deliveries by state and list failures with reasons."""
    if actor is not None:
        require_staff(actor)
    if await q.get_broadcast(session=session, broadcast_id=broadcast_id) is None:
        raise InvalidRequest(f"unknown announcement {broadcast_id}")
    rows = await q.deliveries_for_source(session=session, source=f"broadcast:{broadcast_id}")
    people = await nq.get_people(
        session=session, person_ids=[r.person_id for r in rows if r.person_id is not None]
    )
    failures = []
    named: list[int] = []
    for r in rows:
        if r.state == DeliveryState.FAILED:
            person = people.get(r.person_id) if r.person_id is not None else None
            failures.append((person.name if person else r.target, r.transport, r.error or "?"))
            if r.person_id is not None:
                named.append(r.person_id)
    # The failures name people: audited from Slack and from the command line alike.
    await record_audit(
        session=session,
        actor=f"person:{actor.person_id}" if actor is not None else "cli",
        actor_id=actor.person_id if actor is not None else None,
        action="broadcasts.report",
        subject=f"broadcast:{broadcast_id}",
        detail={"person_ids": sorted(set(named)), "shown": len(set(named))},
    )
    dupes, _ = await dq.duplicate_figures(session=session, sources=[f"broadcast:{broadcast_id}"])
    return DeliveryReport(
        broadcast_id,
        len(rows),
        dict(Counter(r.state for r in rows)),
        failures,
        dupes.deliveries,
        dupes.extra_copies,
    )
