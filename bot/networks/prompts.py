"""Discussion prompts in network channels, monthly in the alumni channels."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import steps
from bot.identities import TEAMS
from bot.messages import t
from bot.networks.shared import PROMPT_COUNT, InvalidRequest, _deliver, _deliver_to, _staff, reaches
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
    prompt_key: str | None = None,
    per_person: str | None = None,
) -> bool:
    """Post a discussion prompt in the network's channel at `send_at` (once per `key`).

    Members reached in Teams are in no Slack channel: each gets the prompt in their chat with
    the bot, in their language when the prompt is a catalogue text (`prompt_key`); the
    channel's post is in bokmål, as the channel is shared. With `per_person`, a person in
    several of these networks gets that prompt once (the alumni's national and regional ones).
    Returns whether anything new was queued.
    """
    _staff(actor)
    network = await q.get_network(session=session, network_id=network_id)
    if network is None or network.archived_at is not None:
        raise InvalidRequest(f"network {network_id} has no open channel")
    if not text.strip():
        raise InvalidRequest("the prompt has no text")
    members = [p for _, p in await q.list_members(session=session, network_id=network_id)]
    where = await reaches(session, members)
    in_teams = [p for p in members if p.id is not None and where[p.id].transport == TEAMS]
    # A channel still being made is addressed by its network (bot.steps).
    channel = steps.channel_of(network)
    if not channel and not in_teams:
        raise InvalidRequest(f"network {network_id} has no open channel")
    queued = False
    if channel:
        queued = await _deliver(
            session,
            settings,
            now=now,
            key=f"network-prompt:{network_id}:{key}",
            kind="network_prompt",
            target=channel,
            message=OutgoingMessage(
                text=text.strip(), title=t("networks.prompt.title", "nb"), locale="nb"
            ),
            send_at=send_at,
            audience="channel",
            source=f"network:{network_id}",
        )
    for person in in_teams:
        assert person.id is not None
        queued = (
            await _deliver_to(
                session,
                settings,
                where[person.id],
                now=now,
                key=(
                    f"network-prompt:{per_person}:{person.id}"
                    if per_person
                    else f"network-prompt:{network_id}:{key}:{person.id}"
                ),
                kind="network_prompt",
                message=OutgoingMessage(
                    text=t(prompt_key, person.locale) if prompt_key else text.strip(),
                    title=t("networks.prompt.title", person.locale),
                    locale=person.locale,
                ),
                send_at=send_at,
                audience="alumni" if network.kind != NetworkKind.CLASS else "participant",
                person=person,
                source=f"network:{network_id}",
            )
            or queued
        )
    return queued


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
    prompt_key = f"networks.prompt.{month % PROMPT_COUNT + 1}"
    prompt = t(prompt_key, "nb")
    queued = 0
    for kind in (NetworkKind.ALUMNI_NATIONAL, NetworkKind.ALUMNI_REGION):
        for network in await q.list_networks(session=session, kind=kind):
            if network.id is None or network.archived_at is not None:
                continue
            try:
                queued += await schedule_prompt(
                    session,
                    settings,
                    network_id=network.id,
                    text=prompt,
                    prompt_key=prompt_key,
                    per_person=f"alumni:{year}-{month:02d}",
                    send_at=when,
                    key=f"{year}-{month:02d}",
                    now=now,
                )
            except InvalidRequest:
                continue  # neither a channel nor anyone in Teams to ask
    return queued
