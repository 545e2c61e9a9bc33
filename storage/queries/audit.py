"""Reading the audit log (writing is `storage.queries.people.record_audit`, one function)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEvent, Person


def mentions(event: AuditEvent, person_id: int) -> bool:
    """Whether an entry is by the person or about them: subject `person:<id>`, or the id in the
    detail (`person_id`, or a list under `person_ids` / `people`)."""
    if event.actor_id == person_id or event.actor == f"person:{person_id}":
        return True
    if event.subject == f"person:{person_id}":
        return True
    detail = event.detail or {}
    if detail.get("person_id") == person_id:
        return True
    ids = detail.get("person_ids") or detail.get("people") or []
    return isinstance(ids, list) and person_id in ids


async def list_audit(
    *, session: AsyncSession, since: datetime | None = None, person_id: int | None = None
) -> list[AuditEvent]:
    """Entries from `since` on, newest first; only those mentioning `person_id` if given.

    The person filter looks inside the JSON detail, so it runs in Python over the period.
    """
    stmt = select(AuditEvent).order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    if since is not None:
        stmt = stmt.where(col(AuditEvent.at) >= since)
    rows = list((await session.exec(stmt)).all())
    if person_id is not None:
        rows = [e for e in rows if mentions(e, person_id)]
    return rows


async def names_of(*, session: AsyncSession, person_ids: list[int]) -> dict[int, str]:
    """Name <email> of the given people, for showing who did what."""
    if not person_ids:
        return {}
    rows = await session.exec(select(Person).where(col(Person.id).in_(sorted(set(person_ids)))))
    return {p.id: f"{p.name} <{p.email}>" for p in rows.all() if p.id is not None}
