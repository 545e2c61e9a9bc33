"""The audit log: every staff action that reads or changes personal data leaves an entry."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.queries.people import record_audit


async def record(
    session: AsyncSession,
    *,
    actor_id: int | None,
    action: str,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
    actor: str | None = None,
) -> None:
    """Write who did what to which data, in the caller's transaction.

    `actor` defaults to `person:<actor_id>`; the CLI passes its own (e.g. `cli`).
    """
    await record_audit(
        session=session,
        actor=actor or f"person:{actor_id}",
        actor_id=actor_id,
        action=action,
        subject=subject,
        detail=detail,
    )
