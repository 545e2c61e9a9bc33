"""What every part of the line-manager nudges shares: kinds, outbox keys, working days, who a
message goes to, and the staff audit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.identities import reach, teams_identities
from bot.messages import t
from bot.timing import is_public_holiday
from storage.models import NudgeAnswerValue, PersonIdentity
from storage.queries import nudges as q
from storage.queries.people import record_audit

KIND_NUDGE = "nudge"
KIND_REMINDER = "nudge_reminder"
KIND_LATER = "nudge_later"
KIND_RESEND = "nudge_resend"
KIND_CONFIRMED = "nudge_confirmed"
ANSWERS = (NudgeAnswerValue.DONE, NudgeAnswerValue.LATER, NudgeAnswerValue.CANNOT)
FINAL = frozenset({NudgeAnswerValue.DONE.value, NudgeAnswerValue.CANNOT.value})
LATER_DELAY = timedelta(days=7)


class NudgeNotFound(Exception):
    """No nudge answer with that id."""


class NotYourNudge(Exception):
    """Someone other than the participant's manager tried to answer."""


def source_for(nudge_id: int) -> str:
    """The outbox source shared by every delivery of one nudge."""
    return f"nudge:{nudge_id}"


def manager_key(nudge_id: int, manager_id: int) -> str:
    """The dedupe key of a manager's combined message for one wave."""
    return f"nudge:{nudge_id}:manager:{manager_id}"


def working_days_after(moment: datetime, days: int, tz: str | ZoneInfo) -> datetime:
    """The same local time `days` working days later (weekends and public holidays skipped)."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    local = moment.astimezone(zone)
    day: date = local.date()
    left = days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and not is_public_holiday(day):
            left -= 1
    wall = datetime.combine(day, local.time().replace(tzinfo=None))
    return wall.replace(tzinfo=zone).astimezone(moment.tzinfo or zone)


# --- neutral messages ----------------------------------------------------------------------


@dataclass(frozen=True)
class Addressee:
    """The manager a message goes to: transport, target and language."""

    manager_id: int
    name: str
    locale: str
    transport: str  # slack | teams | email
    target: str
    tz: str


def addressee_for(
    row: q.ManagedParticipant | q.AnswerRow, tz: str, teams: PersonIdentity | None = None
) -> Addressee:
    """Slack DM when the manager is on Slack and active, else Teams when they have the app,
    else email."""
    if isinstance(row, q.ManagedParticipant):
        mid, name, locale = row.manager_id, row.manager_name, row.manager_locale
        slack_id, active, email, mtz = (
            row.manager_slack_user_id,
            row.manager_slack_active,
            row.manager_email,
            row.manager_timezone,
        )
    else:
        mid, name, locale = row.answer.manager_id, row.manager_name, row.manager_locale
        slack_id, active, email, mtz = (
            row.manager_slack_user_id,
            row.manager_slack_active,
            row.manager_email,
            row.manager_timezone,
        )
    where = reach(email=email, slack_user_id=slack_id, slack_active=active, teams=teams)
    return Addressee(mid, name, locale, where.transport, where.target, mtz or tz)


async def addressee_of(
    session: AsyncSession, row: q.ManagedParticipant | q.AnswerRow, tz: str
) -> Addressee:
    manager_id = row.manager_id if isinstance(row, q.ManagedParticipant) else row.answer.manager_id
    teams = await teams_identities(session, [manager_id])
    return addressee_for(row, tz, teams.get(manager_id))


def answer_label(answer: str, locale: str) -> str:
    return t(f"nudge.answer.{answer}", locale)


async def audit_staff(
    session: AsyncSession,
    staff_person_id: int | None,
    action: str,
    subject: str,
    *,
    person_ids: Iterable[int | None] | None = None,
) -> None:
    """Audit what staff did (from the CLI when no person is given); `person_ids`: the people a
    view showed, kept in the entry so `cohortbot audit --person` finds it."""
    ids = sorted({i for i in person_ids if i is not None}) if person_ids is not None else None
    await record_audit(
        session=session,
        actor=f"person:{staff_person_id}" if staff_person_id else "cli",
        actor_id=staff_person_id,
        action=action,
        subject=subject,
        detail={"person_ids": ids, "shown": len(ids)} if ids is not None else None,
    )
