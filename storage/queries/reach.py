"""Reach queries: bounced email addresses, who cannot be reached, and pulse reach counts.

An address "bounced" when the newest finished email delivery to it failed permanently (the
server refused the recipient, or answered 5xx): a recorded outcome, cleared by the next email
that gets through. Nothing here is inferred.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import col, delete
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    ERASED_EMAIL_SUFFIX,
    CohortClass,
    Delivery,
    DeliveryState,
    Enrolment,
    EnrolmentStatus,
    Person,
    PersonIdentity,
    PulseReach,
)
from storage.queries import slack_ids

EMAIL = "email"
# The errors the email transport records for a permanent refusal (handlers/web/email_notifier).
BOUNCE_PREFIXES = ("recipient refused", "SMTP 5")
CHUNK = 500


def _bounce_error() -> Any:
    return or_(*(col(Delivery.error).like(f"{p}%") for p in BOUNCE_PREFIXES))


async def bounced_addresses(
    *, session: AsyncSession, emails: Iterable[str] | None = None
) -> dict[str, str]:
    """{address: the refusal} for addresses whose newest finished email delivery bounced.

    `emails` limits the answer to these addresses (None: every address).
    """
    wanted = sorted({e for e in emails or () if e}) if emails is not None else None
    if wanted is not None and not wanted:
        return {}
    out: dict[str, str] = {}
    chunks = [wanted[i : i + CHUNK] for i in range(0, len(wanted), CHUNK)] if wanted else [None]
    for chunk in chunks:
        finished = and_(
            col(Delivery.transport) == EMAIL,
            col(Delivery.state).in_([DeliveryState.SENT, DeliveryState.FAILED]),
        )
        if chunk is not None:
            finished = and_(finished, col(Delivery.target).in_(chunk))
        newest = (
            sa_select(
                col(Delivery.target).label("target"),
                func.max(col(Delivery.updated_at)).label("at"),
            )
            .where(finished)
            .group_by(col(Delivery.target))
            .subquery()
        )
        stmt = (
            sa_select(col(Delivery.target), col(Delivery.error))
            .join(
                newest,
                and_(
                    newest.c.target == col(Delivery.target),
                    newest.c.at == col(Delivery.updated_at),
                ),
            )
            .where(finished, col(Delivery.state) == DeliveryState.FAILED, _bounce_error())
        )
        for target, error in (await session.execute(stmt)).all():
            out[target] = error or ""
    return out


@dataclass(frozen=True)
class ContactRow:
    """A participant or alumnus and the ways the bot could reach them."""

    person_id: int
    name: str
    email: str
    slack_user_id: str | None
    slack_active: bool
    class_name: str | None
    has_teams: bool


async def programme_contacts(*, session: AsyncSession) -> list[ContactRow]:
    """Everybody the bot writes to as a participant (admitted, active) or consenting alumnus."""
    taking_part = or_(
        col(Enrolment.status).in_([EnrolmentStatus.ADMITTED, EnrolmentStatus.ACTIVE]),
        and_(col(Enrolment.is_alumnus), col(Enrolment.alumni_consent).is_(True)),
    )
    slack = slack_ids.slack_alias()
    stmt: Any = (
        sa_select(
            col(Person.id),
            col(Person.name),
            col(Person.email),
            slack_ids.slack_user_id(slack),
            slack_ids.slack_active(slack),
            col(CohortClass.name).label("class_name"),
        )
        .join(Enrolment, col(Enrolment.person_id) == col(Person.id))
        .outerjoin(slack, slack_ids.slack_on(slack, col(Person.id)))
        .outerjoin(CohortClass, col(CohortClass.id) == col(Enrolment.class_id))
        .where(taking_part)
        .order_by(col(Person.name), col(Person.id))
    )
    rows = (await session.execute(stmt)).all()
    teams = {
        pid
        for (pid,) in (
            await session.execute(
                sa_select(col(PersonIdentity.person_id)).where(
                    col(PersonIdentity.platform) == "teams",
                    col(PersonIdentity.active).is_(True),
                    col(PersonIdentity.conversation_id).is_not(None),
                    col(PersonIdentity.service_url).is_not(None),
                )
            )
        ).all()
    }
    seen: set[int] = set()
    out: list[ContactRow] = []
    for pid, name, email, slack_id, active, class_name in rows:
        if pid in seen:
            continue  # enrolled twice (an alumnus of an earlier cohort): one row
        seen.add(pid)
        out.append(
            ContactRow(
                person_id=pid,
                name=name,
                email="" if (email or "").endswith(ERASED_EMAIL_SUFFIX) else (email or ""),
                slack_user_id=slack_id,
                slack_active=bool(active),
                class_name=class_name,
                has_teams=pid in teams,
            )
        )
    return out


async def record_pulse_reach(
    *, session: AsyncSession, pulse_id: int, counts: Mapping[tuple[int | None, str], int]
) -> None:
    """Store the pulse's reach counts per (class, channel), replacing any earlier ones."""
    await session.execute(delete(PulseReach).where(col(PulseReach.pulse_id) == pulse_id))
    for (class_id, channel), people in sorted(
        counts.items(), key=lambda kv: (kv[0][0] is None, kv[0][0] or 0, kv[0][1])
    ):
        session.add(
            PulseReach(pulse_id=pulse_id, class_id=class_id, channel=channel, people=people)
        )
    await session.flush()


async def pulse_reach(
    *, session: AsyncSession, pulse_ids: Iterable[int]
) -> dict[int, dict[tuple[int | None, str], int]]:
    """{pulse id: {(class id, channel): people}} as recorded at invite time."""
    ids = sorted(set(pulse_ids))
    out: dict[int, dict[tuple[int | None, str], int]] = {i: {} for i in ids}
    if not ids:
        return out
    rows = await session.execute(
        sa_select(
            col(PulseReach.pulse_id),
            col(PulseReach.class_id),
            col(PulseReach.channel),
            col(PulseReach.people),
        ).where(col(PulseReach.pulse_id).in_(ids))
    )
    for pulse_id, class_id, channel, people in rows.all():
        out[pulse_id][(class_id, channel)] = int(people)
    return out
