"""Putting messages in the outbox and taking them out: schedule, cancel, pause and resume."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.notifier import OutgoingMessage
from bot.settings import Settings
from bot.timing import QuietHours, next_allowed
from storage.models import ERASED_EMAIL_SUFFIX, SendingPause
from storage.queries import deliveries as q

logger = logging.getLogger(__name__)

# Why a delivery waits when its transport has no notifier in this process. Email without
# SMTP_URL is held, not failed: it goes once email is configured (and the bot restarted).
HELD_NOTES = {"email": "held: email not configured (set SMTP_URL)"}


def held_note(transport: str, settings: Settings) -> str | None:
    """The "held: ..." note for a delivery on a transport that is not configured, else None."""
    if transport == "email" and not settings.smtp_url:
        return HELD_NOTES["email"]
    return None


async def schedule(
    session: AsyncSession,
    *,
    key: str,
    transport: str,
    kind: str,
    target: str,
    message: OutgoingMessage,
    send_at: datetime,
    audience: str,
    settings: Settings,
    person_id: int | None = None,
    source: str | None = None,
    urgent: bool = False,
    tz: str | ZoneInfo | None = None,
    replace_pending: bool = False,
    now: datetime | None = None,
) -> bool:
    """Put a message in the outbox, in the caller's transaction. True if a row was written.

    Args:
        key: the dedupe key, e.g. "pulse:41:invite:person:977"; the same key sends once.
        audience: "participant", "alumni", "channel", "line_manager" or "staff"; picks the
            quiet hours. The send time moves to the next allowed moment unless `urgent`.
        tz: the recipient's time zone; the programme's (settings.timezone) when None.
        replace_pending: re-applying a plan: a still-pending delivery with this key gets the
            new time, target and message; one already sent is left alone.
        now: the caller's clock, for the row's created/updated stamps.
    """
    if target.endswith(ERASED_EMAIL_SUFFIX):
        return False  # an erased person's stub, kept for a report: never messaged
    when = next_allowed(
        send_at,
        audience=audience,
        tz=tz or settings.timezone,
        policy=QuietHours.from_settings(settings),
        urgent=urgent,
    )
    return await q.enqueue_delivery(
        session=session,
        dedupe_key=key,
        transport=transport,
        kind=kind,
        target=target,
        message=message.to_json(),
        send_at=when,
        person_id=person_id,
        source=source,
        urgent=urgent,
        replace_pending=replace_pending,
        note=held_note(transport, settings),
        now=now,
    )


async def restore(
    session: AsyncSession,
    *,
    person_id: int,
    kinds: Iterable[str],
    reason: str,
    now: datetime,
) -> int:
    """Undo `cancel(..., person_id=, kinds=, reason=)` for what is still ahead of `now`.

    For a participant back from a withdrawal: the deliveries the withdrawal cancelled (with
    `reason`) that are due later go again, once; those whose time passed are not sent late.
    """
    return await q.restore_cancelled(
        session=session, person_id=person_id, kinds=kinds, reason=reason, after=now, now=now
    )


async def cancel(
    session: AsyncSession,
    *,
    source: str | None = None,
    person_id: int | None = None,
    kinds: Iterable[str] | None = None,
    key_prefix: str | None = None,
    reason: str = "cancelled",
    now: datetime | None = None,
) -> int:
    """Cancel the pending deliveries matching every filter given, in the caller's transaction.

    E.g. `cancel(s, source="assignment:12", person_id=977, kinds=["assignment_reminder"])`
    when a participant marks an assignment done. Returns how many were cancelled.
    """
    return await q.cancel_pending(
        session=session,
        source=source,
        person_id=person_id,
        kinds=kinds,
        dedupe_prefix=key_prefix,
        reason=reason,
        now=now,
    )


async def resume_sending(session: AsyncSession, *, transport: str) -> bool:
    """Lift a pause (after the token was fixed). True if the transport was paused."""
    resumed = await q.resume_transport(session=session, transport=transport)
    if resumed:
        logger.warning("Sending resumed on %s", transport)
    return resumed


async def paused_transports(session: AsyncSession) -> list[SendingPause]:
    return await q.list_pauses(session=session)
