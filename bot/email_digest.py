"""One email a day: a person's email deliveries due the same local day go as one message.

People reached by email (no Slack, no Teams) get assignments, their reminders and overdue notices, pulse
invitations and reminders, announcements and the privacy notice in their inbox. When the
dispatcher sends the first of these to an address, it takes every other pending one of those
kinds to the same address due before the end of that local day (the person's time zone, else
the programme's) and sends them together: one email, each message a part of it, in send order.

Once only and nothing dropped: every part stays its own delivery with its own dedupe key. The
parts are claimed with the same compare-and-swap as any claim (storage.queries.digest), marked
in flight together, and get the one outcome of the one send (sent with the same Message-ID,
retried, or failed with the server's reason). A part another dispatcher holds is left to it.
A message queued after the day's email went goes on its own (or with others still due).

Nudges to line managers are already one combined email per manager and go as they are.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.messages import format_day, normalise_locale, t
from bot.notifier import OutgoingMessage, Section

DIGEST_KINDS = frozenset(
    {
        "assignment_release",  # bot.assignments.KIND_RELEASE (it imports the dispatcher)
        "assignment_reminder",
        "assignment_overdue",
        "pulse_invite",
        "pulse_reminder",
        "announcement",
        "privacy_notice",
    }
)


def day_end(at: datetime, tz: str | ZoneInfo) -> datetime:
    """The end of the local day containing `at` (the next local midnight), in UTC terms."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    local = at.astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0, 0), tzinfo=zone)
    return midnight


def combine(parts: list[OutgoingMessage], *, day: date) -> OutgoingMessage:
    """One message made of several, in order: a heading per part, then its text and buttons."""
    if len(parts) == 1:
        return parts[0]
    loc = normalise_locale(parts[0].locale)
    count = len(parts)
    sections: list[Section] = [Section(text=t("email.digest.lead", loc, count=count))]
    for n, part in enumerate(parts, start=1):
        heading = t("email.digest.part", loc, n=n, count=count)
        if part.title:
            heading += f": {part.title}"
        body = list(part.sections) or [Section(text=part.text)]
        sections.append(Section(text=heading))
        sections += body
        if part.context:
            sections.append(Section(text=part.context))
    return OutgoingMessage(
        text=t("email.digest.lead", loc, count=count),
        title=t("email.digest.title", loc),
        subject=t("email.digest.subject", loc, count=count, day=format_day(day, loc)),
        sections=tuple(sections),
        locale=loc,
        meta={"digest": [p.meta.get("delivery_key") for p in parts]},
    )


def with_key(message: OutgoingMessage, key: str) -> OutgoingMessage:
    """The message carrying its delivery key (as the dispatcher gives every message)."""
    return replace(message, meta={**message.meta, "delivery_key": key})
