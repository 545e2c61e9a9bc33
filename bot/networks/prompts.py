"""Discussion prompts in network channels, monthly in the alumni channels."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import steps
from bot.messages import t
from bot.networks.shared import PROMPT_COUNT, InvalidRequest, _deliver, _staff
from bot.notifier import OutgoingMessage
from bot.people import Actor
from bot.settings import Settings
from bot.timing import local_time
from storage.models import NetworkKind
from storage.queries import networks as q


async def schedule_prompt(
    session: AsyncSession,
    settings: Settings,
    *,
    network_id: int,
    text: str,
    send_at: datetime,
    key: str,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> bool:
    """Post a discussion prompt in the network's channel at `send_at` (once per `key`)."""
    _staff(actor)
    network = await q.get_network(session=session, network_id=network_id)
    if network is None or network.archived_at is not None:
        raise InvalidRequest(f"network {network_id} has no open channel")
    if not text.strip():
        raise InvalidRequest("the prompt has no text")
    return await _deliver(
        session,
        settings,
        now=now,
        key=f"network-prompt:{network_id}:{key}",
        kind="network_prompt",
        # A channel still being made is addressed by its network (bot.steps).
        target=steps.channel_of(network),
        message=OutgoingMessage(
            text=text.strip(), title=t("networks.prompt.title", "nb"), locale="nb"
        ),
        send_at=send_at,
        audience="channel",
        source=f"network:{network_id}",
    )


def first_tuesday(year: int, month: int) -> date:
    """The month's first Tuesday: alumni prompts go out then, away from Monday inboxes."""
    day = date(year, month, 1)
    return day + timedelta(days=(1 - day.weekday()) % 7)


async def schedule_alumni_prompts(
    session: AsyncSession, settings: Settings, *, now: datetime
) -> int:
    """Queue next month's (or this month's, if still ahead) prompt in every alumni channel."""
    local = now.astimezone(settings.zone)
    year, month = local.year, local.month
    when = local_time(first_tuesday(year, month), time(9, 0), settings.timezone)
    if when <= now:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        when = local_time(first_tuesday(year, month), time(9, 0), settings.timezone)
    prompt = t(f"networks.prompt.{month % PROMPT_COUNT + 1}", "nb")
    queued = 0
    for kind in (NetworkKind.ALUMNI_NATIONAL, NetworkKind.ALUMNI_REGION):
        for network in await q.list_networks(session=session, kind=kind):
            if network.id is None:
                continue
            queued += await schedule_prompt(
                session,
                settings,
                network_id=network.id,
                text=prompt,
                send_at=when,
                key=f"{year}-{month:02d}",
                now=now,
            )
    return queued
