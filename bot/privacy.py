"""Telling people what happens to their data (GDPR art. 13), in their language.

Everyone the bot knows gets the notice once, as the first message the bot sends them on its own
(a job looks for people not told yet every few minutes: an import, a new Slack link or a new line
manager is picked up without the import knowing about it), and it stays in App Home and behind
`/cohort privacy`. The numbers in it come from the retention settings, so the notice cannot
promise other periods than the bot applies.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import delivery
from bot.identities import reach, slack_identities, teams_identities
from bot.messages import format_day, t
from bot.notifier import OutgoingMessage, Section
from bot.settings import Settings
from storage.queries import rights as q

NOTICE_KIND = "privacy_notice"


def notice_values(settings: Settings, locale: str | None) -> dict[str, object]:
    """The figures the notice quotes, from the settings that enforce them."""
    from datetime import date

    month, day = settings.report_due_month_day
    due = format_day(date(2001, month, day), locale).split(" ", 1)[1]  # "1. mars" / "1 March"
    return {
        "min_group": settings.min_group_size,
        "message_days": settings.retention_message_days,
        "report_due": due,
        "alumni_years": round(settings.retention_alumni_silent_days / 365, 1),
        "audit_years": round(settings.retention_audit_days / 365, 1),
    }


def notice_text(settings: Settings, locale: str | None) -> str:
    return t("privacy.notice.text", locale, **notice_values(settings, locale))


def privacy_notice(settings: Settings, locale: str | None) -> OutgoingMessage:
    """The art. 13 notice as a neutral message: what, why, how long, who sees, your rights."""
    title = t("privacy.notice.title", locale)
    text = notice_text(settings, locale)
    return OutgoingMessage(
        text=title,
        title=title,
        # One section per paragraph: each stays well inside a chat platform's section limit.
        sections=tuple(Section(text=part) for part in text.split("\n") if part.strip()),
        subject=title,
        locale=locale or "nb",
    )


async def send_due_notices(
    session: AsyncSession, settings: Settings, *, now: datetime, limit: int = 500
) -> int:
    """Queue the notice for people not told yet (in the caller's transaction); how many.

    Slack when they are there, else Teams when they have the app, else email (bot.identities).
    The dedupe key is per person, so a rerun or a second process queues nothing twice.
    """
    queued = 0
    people = await q.people_without_notice(session=session, limit=limit)
    teams = await teams_identities(session, [p.id for p in people if p.id is not None])
    slack = await slack_identities(session, [p.id for p in people if p.id is not None])
    for person in people:
        assert person.id is not None
        where = reach(email=person.email, teams=teams.get(person.id), slack=slack.get(person.id))
        await delivery.schedule(
            session,
            now=now,
            key=f"privacy-notice:{person.id}",
            transport=where.transport,
            kind=NOTICE_KIND,
            target=where.target,
            message=privacy_notice(settings, person.locale),
            send_at=now,
            audience="participant",
            settings=settings,
            person_id=person.id,
            tz=person.timezone,
        )
        queued += 1
        person.privacy_notice_at = now
    await q.save(session=session, rows=[])
    return queued
