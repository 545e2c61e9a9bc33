"""What the preview and the list of announcements say."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.broadcasts.audience import Audience
from bot.broadcasts.recipients import Preview
from bot.messages import format_when, t
from storage.queries import broadcasts as q
from storage.queries import networks as nq

# --- what the preview and the list say -----------------------------------------------------


async def audience_label(session: AsyncSession, audience: Audience, locale: str) -> str:
    """The audience in staff's words: "Kull 2026 høst – Bergen", "Alumni", with its filters."""
    cohort = (
        await nq.get_cohort_by_key(session=session, key=audience.cohort)
        if audience.cohort
        else None
    )
    cohort_name = cohort.name if cohort else (audience.cohort or "")
    klass = audience.klass or ""
    if cohort is not None and cohort.id is not None and audience.klass:
        found = await q.find_class(session=session, cohort_id=cohort.id, ref=audience.klass)
        klass = found.name if found else klass
    if audience.scope == "alumni":
        key = "broadcast.audience.alumni_cohort" if audience.cohort else "broadcast.audience.alumni"
    else:
        key = f"broadcast.audience.{audience.scope}"
    label = t(key, locale, cohort=cohort_name, klass=klass)
    filters = [*audience.counties, *audience.service_areas, *audience.roles]
    if filters:
        label += " (" + ", ".join(filters) + ")"
    return label


def preview_lines(
    preview: Preview,
    *,
    audience_text: str,
    mode: str,
    send_at: datetime | None,
    urgent: bool,
    email_configured: bool,
    locale: str,
    tz: str,
) -> list[str]:
    """Audience, where, when, and how many by Slack, by email and not at all: for the preview."""
    by = preview.by_transport
    slack, email = by.get("slack", 0), by.get("email", 0)
    unreachable = len(preview.unreachable) + (0 if email_configured else email)
    if mode == "channel":
        where = t(
            "broadcast.where.channels",
            locale,
            channels=", ".join(r.label for r in preview.recipients),
        )
    else:
        where = t("broadcast.where.dm", locale)
    when = (
        t("broadcast.when.at", locale, when=format_when(send_at, locale, tz))
        if send_at is not None
        else t("broadcast.when.now", locale)
    )
    if not urgent:
        when += " " + t("broadcast.when.quiet", locale)
    lines = [
        t("broadcast.preview.audience", locale, audience=audience_text),
        t("broadcast.preview.where", locale, where=where),
        t("broadcast.preview.when", locale, when=when),
        t(
            "broadcast.preview.counts",
            locale,
            count=preview.count,
            slack=slack,
            email=email,
            unreachable=unreachable,
        ),
    ]
    if not email_configured and email:
        lines.append(t("broadcast.preview.email_held", locale, n=email))
    if preview.unreachable:
        lines.append(t("broadcast.confirm.unreachable", locale, count=len(preview.unreachable)))
    return lines
