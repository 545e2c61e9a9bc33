"""Matching rounds: intros, ignored intros and ghosting, and each person's matching settings."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.identities import TEAMS, Reach
from bot.matching import Candidate, MatchRules, blocked_pairs
from bot.matching import match_round as compute_round
from bot.messages import Markup, t
from bot.networks.checkins import _checkin_message
from bot.networks.shared import (
    ACTION_OPT_IN,
    IGNORED_LIMIT,
    PROMPT_COUNT,
    InvalidRequest,
    _audit_actor,
    _deliver,
    _deliver_to,
    _group_locale,
    _mention,
    _staff,
    in_chat,
    reaches,
)
from bot.notifier import Button, OutgoingMessage, Section, group_target
from bot.people import Actor
from bot.settings import Settings
from storage.models import Network, NetworkKind, NetworkMembership, Person
from storage.queries import networks as q
from storage.queries.people import record_audit


@dataclass(frozen=True)
class RoundResult:
    round_id: int
    groups: list[tuple[int, ...]]
    ghosted: list[int]  # people stopped because of three ignored intros


async def _candidates(
    session: AsyncSession, network: Network
) -> tuple[list[Candidate], dict[int, Person], dict[int, Reach]]:
    assert network.id is not None
    members = await q.list_members(session=session, network_id=network.id)
    people = {p.id: p for _, p in members if p.id is not None}
    places = await q.enrolment_places(session=session, person_ids=list(people))
    where = await reaches(session, list(people.values()))
    candidates = []
    for membership, person in members:
        if person.id is None or not in_chat(where.get(person.id)):
            continue  # intros and check-ins are chats (Slack or Teams), not email
        cohort_key, city = places.get(person.id, (None, None))
        candidates.append(
            Candidate(
                id=person.id,
                municipality=person.municipality,
                city=city,
                cohort=cohort_key,
                opted_in=membership.matching_opt_in,
                paused_until=membership.paused_until,
                ghosted=membership.ghosted,
            )
        )
    return candidates, people, where


async def close_round(
    session: AsyncSession,
    settings: Settings,
    *,
    round_id: int,
    now: datetime,
    count_ignored: bool = True,
) -> list[int]:
    """Count ignored intros for a finished round; ghost and tell those at the limit.

    Returns the ids of people ghosted now.
    """
    match_round = await q.get_round(session=session, round_id=round_id)
    if match_round is None:
        raise InvalidRequest(f"unknown round {round_id}")
    network = await q.get_network(session=session, network_id=match_round.network_id)
    assert network is not None and network.id is not None
    groups = await q.list_groups(session=session, round_id=round_id)
    answered = {
        c.group_id
        for c in await q.list_checkins(session=session, group_ids=[g.id for g in groups if g.id])
    }
    ghosted: list[int] = []
    for group in groups:
        for pid in group.member_ids:
            m = await q.get_membership(session=session, network_id=network.id, person_id=pid)
            if m is None:
                continue
            if group.id in answered:
                m.ignored_intros = 0
                continue
            if not count_ignored:
                continue
            m.ignored_intros += 1
            if m.ignored_intros >= IGNORED_LIMIT and not m.ghosted:
                m.ghosted = True
                ghosted.append(pid)
    people = await q.get_people(session=session, person_ids=ghosted)
    where = await reaches(session, list(people.values()))
    for pid in ghosted:
        person = people[pid]
        if not in_chat(where.get(pid)):
            continue
        await _deliver_to(
            session,
            settings,
            where[pid],
            now=now,
            key=f"match-ghosted:{network.id}:{round_id}:{pid}",
            kind="match_ghosted",
            person=person,
            message=OutgoingMessage(
                text=t("networks.ghosted.text", person.locale, network=network.name),
                sections=(
                    Section(
                        text=t("networks.ghosted.text", person.locale, network=network.name),
                        buttons=(
                            Button(
                                ACTION_OPT_IN,
                                t("networks.button.opt_in", person.locale),
                                str(network.id),
                                "primary",
                            ),
                        ),
                    ),
                ),
                locale=person.locale,
            ),
            send_at=now,
            audience="participant",
            source=f"network:{network.id}",
        )
    return ghosted


async def run_matching_round(
    session: AsyncSession,
    settings: Settings,
    *,
    network_id: int,
    now: datetime,
    actor: Actor | None = None,
    seed: int | None = None,
) -> RoundResult:
    """Close the previous round, match the network's eligible members and send the intros.

    Each group gets a group DM with a conversation prompt; every member is asked "Did you
    meet?" at the midpoint and two days before the round ends.
    """
    _staff(actor)
    network = await q.get_network(session=session, network_id=network_id)
    if network is None or network.archived_at is not None:
        raise InvalidRequest(f"unknown network {network_id}")
    weeks = network.match_every_weeks or settings.match_every_weeks
    previous = await q.latest_round(session=session, network_id=network_id)
    ghosted = (
        await close_round(
            session,
            settings,
            round_id=previous.id,
            now=now,
            # A round cut short by staff starting the next one early gave people no fair
            # chance to meet: answers still count, silence does not.
            count_ignored=previous.ends_at is None or previous.ends_at <= now,
        )
        if previous is not None and previous.id is not None
        else []
    )
    number = await q.count_rounds(session=session, network_id=network_id) + 1
    candidates, people, where = await _candidates(session, network)
    blocks = await q.list_blocks(session=session, person_ids=[c.id for c in candidates])
    history = await q.pair_history(session=session, network_ids=[network_id])
    today = now.astimezone(settings.zone).date()
    # The search is CPU work (well under a second for a thousand alumni): keep it off the loop.
    groups = await asyncio.to_thread(
        compute_round,
        candidates,
        history,
        MatchRules(
            today=today,
            blocked=blocked_pairs(blocks),
            mix_cohorts=network.kind == NetworkKind.ALUMNI_NATIONAL,
            seed=seed if seed is not None else network_id * 1000 + number,
        ),
    )
    ends_at = now + timedelta(weeks=weeks)
    midpoint = now + (ends_at - now) / 2
    final_checkin = max(midpoint, ends_at - timedelta(days=2))
    match_round = await q.create_match_round(
        session=session,
        network_id=network_id,
        started_at=now,
        midpoint_at=midpoint,
        ends_at=ends_at,
    )
    assert match_round.id is not None
    for member_ids in groups:
        members = [people[pid] for pid in member_ids]
        group = await q.create_match_group(
            session=session, round_id=match_round.id, member_ids=member_ids
        )
        assert group.id is not None
        await _send_intros(
            session,
            settings,
            members=members,
            where=where,
            group_id=group.id,
            round_id=match_round.id,
            network=network,
            weeks=weeks,
            round_number=number,
            now=now,
        )
        for person in members:
            assert person.id is not None
            others = [o for o in members if o.id != person.id]
            for stage, when in (("mid", midpoint), ("end", final_checkin)):
                await _deliver_to(
                    session,
                    settings,
                    where[person.id],
                    now=now,
                    key=f"match-checkin:{group.id}:{person.id}:{stage}",
                    kind="match_checkin",
                    message=_checkin_message(group.id, person, others, stage, where),
                    send_at=when,
                    audience="participant",
                    person=person,
                    source=f"match-round:{match_round.id}",
                )
    who, actor_id = _audit_actor(actor)
    await record_audit(
        session=session,
        actor=who,
        actor_id=actor_id,
        action="networks.match_round",
        subject=f"network:{network_id}",
        detail={"round": match_round.id, "groups": len(groups)},
    )
    # Also flushes the audit row, as the round's last step.
    await q.set_next_match_at(session=session, network=network, next_match_at=ends_at)
    return RoundResult(match_round.id, groups, ghosted)


def _intro_message(
    members: list[Person],
    *,
    where: Mapping[int, Reach],
    network: Network,
    weeks: int,
    round_number: int,
    locale: str,
    group_id: int,
    round_id: int,
    chat_with: list[str] | None = None,
) -> OutgoingMessage:
    text = t(
        "networks.intro.text",
        locale,
        names=Markup(", ".join(_mention(p, where) for p in members)),
        network=network.name,
        weeks=weeks,
        prompt=t(f"networks.prompt.{(round_number - 1) % PROMPT_COUNT + 1}", locale),
    )
    meta: dict[str, object] = {"group_id": group_id, "round_id": round_id}
    if chat_with:
        # The addresses of the others, so a transport that cannot open the group's chat itself
        # (Teams: a bot makes no group chats without Graph) can offer the person a link to one.
        meta["chat_with"] = chat_with
    return OutgoingMessage(
        text=text,
        title=t("networks.intro.title", locale),
        sections=(Section(text=text),),
        locale=locale,
        meta=meta,
    )


async def _send_intros(
    session: AsyncSession,
    settings: Settings,
    *,
    members: list[Person],
    where: dict[int, Reach],
    group_id: int,
    round_id: int,
    network: Network,
    weeks: int,
    round_number: int,
    now: datetime,
) -> None:
    """One group DM when everyone is in Slack; otherwise one intro to each member where they are.

    The Slack group DM is opened by the outbox when it sends (`group_target`), after this
    transaction commits: a round rolled back leaves nothing in Slack, and a crash after the
    commit resumes with the dispatcher. A bot cannot create a Teams group chat (that needs
    Microsoft Graph), so a group with anyone in Teams gets a 1:1 intro each, naming the others,
    and the Teams card links to a group chat of them all (Teams opens it for the person).
    """
    source = f"match-round:{round_id}"
    if all(where[p.id].transport == "slack" for p in members if p.id is not None):
        await _deliver(
            session,
            settings,
            now=now,
            key=f"match-intro:{group_id}",
            kind="match_intro",
            target=group_target([where[p.id].target for p in members if p.id is not None]),
            message=_intro_message(
                members,
                where=where,
                network=network,
                weeks=weeks,
                round_number=round_number,
                locale=_group_locale(members),
                group_id=group_id,
                round_id=round_id,
            ),
            send_at=now,
            audience="participant",
            source=source,
        )
        return
    for person in members:
        assert person.id is not None
        # Only the others who are in Teams: a chat link naming someone who is not would fail.
        others = [
            o.email
            for o in members
            if o.id != person.id and o.id is not None and o.email and where[o.id].transport == TEAMS
        ]
        await _deliver_to(
            session,
            settings,
            where[person.id],
            now=now,
            key=f"match-intro:{group_id}:{person.id}",
            kind="match_intro",
            message=_intro_message(
                members,
                where=where,
                network=network,
                weeks=weeks,
                round_number=round_number,
                locale=person.locale,
                group_id=group_id,
                round_id=round_id,
                chat_with=others,
            ),
            send_at=now,
            audience="participant",
            person=person,
            source=source,
        )


# --- personal matching settings ------------------------------------------------------------


async def _memberships(
    session: AsyncSession, person_id: int, network_id: int | None
) -> list[NetworkMembership]:
    rows = await q.list_person_memberships(session=session, person_id=person_id)
    found = [
        m for m, n in rows if n.match_every_weeks and (network_id is None or n.id == network_id)
    ]
    if network_id is not None and not found:
        raise InvalidRequest(f"not a member of network {network_id}")
    return found


async def pause_matching(
    session: AsyncSession, *, person_id: int, until: date, network_id: int | None = None
) -> int:
    """Pause the person's matching (in one network or all) until `until`; returns how many."""
    memberships = await _memberships(session, person_id, network_id)
    await q.pause_memberships(session=session, memberships=memberships, until=until)
    return len(memberships)


async def set_matching(
    session: AsyncSession, *, person_id: int, opt_in: bool, network_id: int | None = None
) -> int:
    """Opt in to or out of matching; opting in also lifts a ghosting and its count."""
    memberships = await _memberships(session, person_id, network_id)
    await q.set_memberships_matching(session=session, memberships=memberships, opt_in=opt_in)
    return len(memberships)


async def block_person(session: AsyncSession, *, person_id: int, blocked_person_id: int) -> bool:
    """Never match the person with the other (the block holds both ways)."""
    if person_id == blocked_person_id:
        raise InvalidRequest("cannot block yourself")
    if await q.get_person(session=session, person_id=blocked_person_id) is None:
        raise InvalidRequest(f"unknown person {blocked_person_id}")
    return await q.add_block(
        session=session, person_id=person_id, blocked_person_id=blocked_person_id
    )


async def networks_due_for_matching(session: AsyncSession, *, now: datetime) -> list[int]:
    """The ids of the networks whose next matching round is due at `now`."""
    due = await q.list_networks_due_for_matching(session=session, now=now)
    return [n.id for n in due if n.id is not None]
