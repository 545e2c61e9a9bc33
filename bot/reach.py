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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audit
from bot.identities import Reach
from bot.messages import t
from bot.settings import Settings
from bot.suppression import SUPPRESSED_MARK, LinearTable
from bot.text import Markup, trusted
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


def reason_text(person: Unreachable, locale: str) -> str:
    """Why nothing reaches this person, in their reader's language."""
    return t(f"reach.reason.{person.reason}", locale, detail=person.detail[:120])


def unreachable_line(person: Unreachable, locale: str) -> str:
    """ "Eli Hansen (Hemsedal), eli@…: no chat account, and email bounced (…)"."""
    return t(
        "reach.unreachable.item",
        locale,
        name=person.name,
        klass=person.class_name or "–",
        email=person.email or "–",
        reason=reason_text(person, locale),
    )


async def unreachable_for_staff(
    session: AsyncSession,
    *,
    settings: Settings,
    actor_id: int | None,
    subject: str,
    limit: int | None = None,
    actor: str | None = None,
) -> tuple[list[Unreachable], int]:
    """(the first `limit` people nothing reaches, how many in all), the read audited.

    A staff read of personal data: the entry names everybody shown (bot.audit), in the
    caller's transaction.
    """
    everyone = await unreachable_people(session, settings=settings)
    shown = everyone if limit is None else everyone[:limit]
    if shown:
        await audit.record_people_read(
            session,
            actor_id=actor_id,
            actor=actor,
            action="reach.unreachable.view",
            subject=subject,
            person_ids=[u.person_id for u in shown],
            detail={"total": len(everyone)},
        )
    return shown, len(everyone)


# --- reach figures: published per class, under the suppression rules ----------------------


@dataclass(frozen=True)
class ReachFigures:
    """How many of an audience were reached by which channel, per class and in total.

    `rows`: (class id or None or "total", {channel: (count, hidden)}) with channels in
    CHANNELS order; a hidden count is shown as the suppression mark, never as a number.
    """

    rows: list[tuple[int | str | None, dict[str, tuple[int, bool]]]]

    @property
    def empty(self) -> bool:
        return not self.rows


def reach_figures(
    counts: Mapping[tuple[int | None, str], int],
    *,
    min_n: int,
    invited: Mapping[int | None, int] | None = None,
) -> ReachFigures:
    """Suppress a class × channel table of reach counts (with its per-channel totals).

    `invited` are the invited counts per class printed elsewhere in the same output (Slack +
    Teams + email = invited): they are fixed equations the attacker has, so the hidden cells
    must stay uncertain with them too (bot.suppression.LinearTable).
    """
    classes = sorted({c for c, _ in counts}, key=lambda c: (c is None, c or 0))
    if not classes:
        return ReachFigures([])
    table = LinearTable()
    atoms = {(c, ch): table.atom(counts.get((c, ch), 0)) for c in classes for ch in CHANNELS}
    for c in classes:
        for ch in CHANNELS:
            table.publish(("cell", c, ch), [atoms[(c, ch)]])
        table.publish(("row", c), [atoms[(c, ch)] for ch in CHANNELS])
        if invited is not None and c in invited:
            asked = [atoms[(c, ch)] for ch in CHANNELS if ch != "none"]
            table.publish(("invited", c), asked, fixed=True)
    for ch in CHANNELS:
        table.publish(("total", ch), [atoms[(c, ch)] for c in classes])
    if invited is not None:
        every = [atoms[(c, ch)] for c in classes for ch in CHANNELS if ch != "none"]
        table.publish("invited", every, fixed=True)
    hidden = table.solve(min_n=min_n)
    if table.withheld:
        hidden = {i.key for i in table.items if not i.fixed}
    rows: list[tuple[int | str | None, dict[str, tuple[int, bool]]]] = []
    for c in classes:
        rows.append(
            (c, {ch: (counts.get((c, ch), 0), ("cell", c, ch) in hidden) for ch in CHANNELS})
        )
    if len(classes) > 1:
        totals = {
            ch: (sum(counts.get((c, ch), 0) for c in classes), ("total", ch) in hidden)
            for ch in CHANNELS
        }
        rows.append(("total", totals))
    return ReachFigures(rows)


def reach_line(cells: Mapping[str, tuple[int, bool]], locale: str) -> Markup:
    """ "Slack 12 · Teams 0 · e-post * · ikke nådd 0" for one row: the bot's own words."""
    return trusted(
        " · ".join(
            f"{t(f'reach.channel.{ch}', locale)} {SUPPRESSED_MARK if hidden else int(value)}"
            for ch in CHANNELS
            for value, hidden in [cells.get(ch, (0, False))]
        )
    )
