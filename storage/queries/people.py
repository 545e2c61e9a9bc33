"""People, roles and audit queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEvent, Enrolment, EnrolmentStatus, LineManagerLink, Person


async def get_person_by_slack_id(*, session: AsyncSession, slack_user_id: str) -> Person | None:
    result = await session.execute(select(Person).where(Person.slack_user_id == slack_user_id))
    return result.scalar_one_or_none()


async def get_person_by_email(*, session: AsyncSession, email: str) -> Person | None:
    result = await session.execute(select(Person).where(Person.email == email.strip().lower()))
    return result.scalar_one_or_none()


async def person_roles(*, session: AsyncSession, person_id: int) -> set[str]:
    """Roles from the data: participant, alumnus, line_manager (staff is on the person)."""
    roles: set[str] = set()
    rows = await session.execute(
        select(Enrolment.status, Enrolment.is_alumnus).where(Enrolment.person_id == person_id)
    )
    for status, is_alumnus in rows.all():
        if is_alumnus:
            roles.add("alumnus")
        elif status in (EnrolmentStatus.ACTIVE, EnrolmentStatus.ADMITTED):
            roles.add("participant")
    is_manager = await session.execute(
        select(exists().where(LineManagerLink.manager_id == person_id))
    )
    if is_manager.scalar():
        roles.add("line_manager")
    return roles


async def record_audit(
    *,
    session: AsyncSession,
    actor: str,
    action: str,
    actor_id: int | None = None,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write who did what to which data, in the caller's transaction."""
    session.add(
        AuditEvent(
            actor=actor, actor_id=actor_id, action=action, subject=subject, detail=detail or {}
        )
    )
