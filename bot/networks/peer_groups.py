"""Peer groups within a class: private channels and a welcome with a first task."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import steps
from bot.identities import TEAMS, Reach
from bot.matching import GroupMember, form_peer_groups, pair
from bot.messages import Markup, t
from bot.networks.channels import _ensure_network, _join
from bot.networks.shared import (
    ACTIVE_STATUSES,
    InvalidRequest,
    _audit_actor,
    _deliver,
    _deliver_to,
    _group_locale,
    _mention,
    _staff,
    peer_group_channel_name,
    reaches,
    slack_ids,
)
from bot.notifier import OutgoingMessage
from bot.people import Actor
from bot.settings import Settings
from storage.models import NetworkKind, Person
from storage.queries import networks as q
from storage.queries.people import record_audit


@dataclass(frozen=True)
class PeerGroup:
    network_id: int
    number: int
    channel_id: (
        str  # "network:<id>" until the outbox has made the channel (bot.steps); "" without Slack
    )
    member_ids: tuple[int, ...]
    channel_name: str = ""


async def form_class_peer_groups(
    session: AsyncSession,
    settings: Settings,
    *,
    class_id: int,
    now: datetime,
    actor: Actor | None,
    seed: int | None = None,
    size_min: int = 4,
    size_max: int = 6,
) -> list[PeerGroup]:
    """Form (or re-form) a class's peer groups: private channels and a welcome with a first task.

    Re-forming archives the previous groups and prefers new combinations of people.
    """
    _staff(actor)
    klass = await q.get_class(session=session, class_id=class_id)
    if klass is None:
        raise InvalidRequest(f"unknown class {class_id}")
    cohort = await q.get_cohort(session=session, cohort_id=klass.cohort_id)
    assert cohort is not None
    classes = await q.list_classes(session=session, cohort_id=cohort.id or 0)
    enrolled = [
        p
        for e, p in await q.list_enrolled(
            session=session, cohort_id=cohort.id or 0, class_id=class_id
        )
        if e.status in ACTIVE_STATUSES
    ]
    everyone = await q.list_networks(
        session=session, kind=NetworkKind.PEER_GROUP, class_id=class_id, include_archived=True
    )
    generation = 1 + len({n.key.rsplit(":", 1)[0] for n in everyone})
    together_before: set[frozenset[int]] = set()
    for old in everyone:
        assert old.id is not None
        members = [
            p.id
            for _, p in await q.list_members(session=session, network_id=old.id, include_left=True)
        ]
        together_before.update(pair(a, b) for a in members for b in members if a and b and a < b)
        if old.archived_at is None:
            old.archived_at = now
            await steps.archive(session, settings, network=old, now=now)
    people = {p.id: p for p in enrolled if p.id is not None}
    groups = await asyncio.to_thread(
        form_peer_groups,
        [
            GroupMember(pid, p.municipality, p.workplace, p.service_area)
            for pid, p in people.items()
        ],
        size_min,
        size_max,
        seed if seed is not None else generation,
        together_before,
    )
    result: list[PeerGroup] = []
    for number, member_ids in enumerate(groups, start=1):
        net, _ = await _ensure_network(
            session,
            settings,
            kind=NetworkKind.PEER_GROUP,
            key=f"group:{cohort.key}:{klass.key}:{generation}:{number}",
            name=f"{klass.name} – {number}",
            channel_name=peer_group_channel_name(
                settings, cohort, klass, number, generation, classes
            ),
            private=True,
            cohort_id=cohort.id,
            class_id=class_id,
            now=now,
        )
        assert net.id is not None
        channel = steps.channel_of(net)
        for pid in member_ids:
            await _join(session, net, people[pid], now)
        group_people = [people[pid] for pid in member_ids]
        where = await reaches(session, group_people)
        if channel:
            accounts = await slack_ids(session, group_people)
            await steps.invite(
                session,
                settings,
                network=net,
                user_ids=[accounts[pid] for pid in member_ids if pid in accounts],
                now=now,
            )
            locale = _group_locale(group_people)
            names = Markup(", ".join(_mention(p, where) for p in group_people))
            await _deliver(
                session,
                settings,
                now=now,
                key=f"peer-group:{net.id}:welcome",
                kind="peer_group_welcome",
                target=channel,
                message=OutgoingMessage(
                    text=t("networks.group.welcome.text", locale, names=names),
                    title=t("networks.group.welcome.title", locale, number=number),
                    locale=locale,
                ),
                send_at=now,
                audience="channel",
                source=f"network:{net.id}",
            )
        await _welcome_in_teams(session, settings, group_people, where, net.id, number, now)
        result.append(
            PeerGroup(net.id, number, channel, member_ids, net.slack_channel_name or net.name)
        )
    who, actor_id = _audit_actor(actor)
    await record_audit(
        session=session,
        actor=who,
        actor_id=actor_id,
        action="networks.form_peer_groups",
        subject=f"class:{class_id}",
        detail={"groups": len(result), "generation": generation},
        flush=True,
    )
    return result


async def _welcome_in_teams(
    session: AsyncSession,
    settings: Settings,
    members: list[Person],
    where: dict[int, Reach],
    network_id: int,
    number: int,
    now: datetime,
) -> None:
    """Members reached in Teams are in no Slack channel: each gets the group's welcome in their
    chat with the bot, with a link that opens a Teams group chat of the group's Teams members."""
    in_teams = [p for p in members if p.id is not None and where[p.id].transport == TEAMS]
    for person in in_teams:
        assert person.id is not None
        names = Markup(", ".join(_mention(p, where) for p in members))
        others = [o.email for o in in_teams if o.id != person.id and o.email]
        meta: dict[str, object] = {"chat_with": others} if others else {}
        await _deliver_to(
            session,
            settings,
            where[person.id],
            now=now,
            key=f"peer-group:{network_id}:welcome:{person.id}",
            kind="peer_group_welcome",
            message=OutgoingMessage(
                text=t("networks.group.welcome.text_chat", person.locale, names=names),
                title=t("networks.group.welcome.title", person.locale, number=number),
                locale=person.locale,
                meta=meta,
            ),
            send_at=now,
            audience="participant",
            person=person,
            source=f"network:{network_id}",
        )
