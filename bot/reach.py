"""Who the bot can reach, by which channel, and who it cannot reach at all and why.

The channel of one message is `bot.identities.reach` (Slack → Teams → email). This module adds
what staff need around it:
- `channel_of`: the channel a person counts under in pulse results and the report (slack,
  teams, email, none); "none" when there is no chat account and no usable address (none at
  all, or the newest email to it bounced);
- `unreachable_people`: everybody taking part whom nothing reaches, with the reason, for the
  staff Home tab and `cohortbot deliveries` (reading it is an audited staff read).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.identities import Reach
from bot.settings import Settings
from storage.models import ERASED_EMAIL_SUFFIX
from storage.queries import reach as q

CHANNELS = ("slack", "teams", "email", "none")
# Why nobody can be reached: the codes are stable (CLI, Home), the words in bot.messages.
NO_ADDRESS = "no_address"  # no chat account and no email address
BOUNCED = "bounced"  # no chat account; the newest email to the address was refused
EMAIL_OFF = "email_off"  # no chat account; SMTP_URL is not set, so email is held
REASONS = (NO_ADDRESS, BOUNCED, EMAIL_OFF)


def usable_email(email: str | None) -> str:
    """The address, or "" for none (an erased person's stub has none)."""
    email = (email or "").strip()
    return "" if not email or email.endswith(ERASED_EMAIL_SUFFIX) else email


def channel_of(where: Reach, *, bounced: Iterable[str] = ()) -> str:
    """The channel a person counts under: slack | teams | email | none."""
    if where.transport != "email":
        return where.transport
    address = usable_email(where.target)
    if not address or address in set(bounced):
        return "none"
    return "email"


async def bounced(session: AsyncSession, emails: Iterable[str] | None = None) -> dict[str, str]:
    """{address: refusal} for addresses whose newest email bounced."""
    return await q.bounced_addresses(session=session, emails=emails)


@dataclass(frozen=True)
class Unreachable:
    """One person nothing reaches, and why (`reason` in REASONS; `detail`: the refusal)."""

    person_id: int
    name: str
    email: str
    class_name: str | None
    reason: str
    detail: str = ""


async def unreachable_people(session: AsyncSession, *, settings: Settings) -> list[Unreachable]:
    """Everybody taking part (participants, consenting alumni) whom no channel reaches.

    Sorted by name. Callers that show it to staff record the read (bot.audit).
    """
    contacts = await q.programme_contacts(session=session)
    email_only = [
        c for c in contacts if not (c.slack_user_id and c.slack_active) and not c.has_teams
    ]
    refused = await bounced(session, [c.email for c in email_only if c.email])
    out: list[Unreachable] = []
    for c in email_only:
        if not c.email:
            reason, detail = NO_ADDRESS, ""
        elif c.email in refused:
            reason, detail = BOUNCED, refused[c.email]
        elif not settings.smtp_url:
            reason, detail = EMAIL_OFF, ""
        else:
            continue
        out.append(Unreachable(c.person_id, c.name, c.email, c.class_name, reason, detail))
    return out
