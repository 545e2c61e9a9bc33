"""The audit log: every staff action that reads or changes personal data leaves an entry.

One table (`audit_event`), one way in (`record`, or `record_people_read` for a surface that
lists people, which keeps their ids in `detail.person_ids` so `cohortbot audit --person` finds
the entry), one way out (`read_log`). Person export and erasure use the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.emails import canonical_email
from storage.queries import audit as aq
from storage.queries.people import get_person_by_email, record_audit


async def record(
    session: AsyncSession,
    *,
    actor_id: int | None,
    action: str,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
    actor: str | None = None,
    flush: bool = False,
) -> None:
    """Write who did what to which data, in the caller's transaction.

    `actor` defaults to `person:<actor_id>`; the CLI passes its own (e.g. `cli`). With
    `flush`, the entry and the caller's other changes are flushed before returning.
    """
    await record_audit(
        session=session,
        actor=actor or f"person:{actor_id}",
        actor_id=actor_id,
        action=action,
        subject=subject,
        detail=detail,
        flush=flush,
    )


async def record_people_read(
    session: AsyncSession,
    *,
    actor_id: int | None,
    action: str,
    person_ids: Iterable[int | None],
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
    actor: str | None = None,
) -> None:
    """Record that a surface showed these people to `actor`, in the caller's transaction."""
    ids = sorted({pid for pid in person_ids if pid is not None})
    await record(
        session,
        actor_id=actor_id,
        action=action,
        subject=subject,
        detail={**(detail or {}), "person_ids": ids, "shown": len(ids)},
        actor=actor,
    )


@dataclass(frozen=True)
class AuditLine:
    """One entry of the log as staff read it."""

    at: datetime
    actor: str  # "Name <email>", or "cli" / "system" / "person:12" when not a known person
    action: str
    subject: str | None
    people: int  # how many people the entry names
    detail: dict[str, Any]


async def read_log(
    session: AsyncSession,
    *,
    person_id: int | None = None,
    since: datetime | None = None,
    limit: int = 200,
) -> tuple[list[AuditLine], int]:
    """The newest entries (by or about `person_id`, from `since`), at most `limit`, and how many
    matched in all."""
    events = await aq.list_audit(session=session, since=since, person_id=person_id)
    shown = events[:limit]
    names = await aq.names_of(
        session=session, person_ids=[e.actor_id for e in shown if e.actor_id is not None]
    )
    lines = []
    for e in shown:
        detail = e.detail or {}
        ids = detail.get("person_ids") or detail.get("people") or []
        people = len(ids) if isinstance(ids, list) else 0
        if not people and (detail.get("person_id") or (e.subject or "").startswith("person:")):
            people = 1
        actor = names.get(e.actor_id, e.actor) if e.actor_id is not None else e.actor
        lines.append(AuditLine(e.at, actor, e.action, e.subject, people, detail))
    return lines, len(events)


async def person_id_for_email(session: AsyncSession, email: str) -> int | None:
    """The id of the person with this email (any case), for `cohortbot audit --person`."""
    person = await get_person_by_email(session=session, email=canonical_email(email))
    return person.id if person is not None else None
