"""Leader networks: channels per cohort and class, peer groups, peer matching, alumni, directory.

Slack work (create, invite, archive, group DMs) goes through the `ChannelAdmin` port; messages
go through the outbox (`bot.delivery.schedule`) in the caller's transaction. Every function
takes the session and `now`; callers commit.

Policies where the issue left room (documented in README/.env.example):
- Withdrawn participants stay in channels by default (`COHORTBOT_WITHDRAWN_POLICY=keep`) but
  their memberships are closed (`left_at`), so they are no longer matched or messaged.
- The cohort network carries peer matching (so pairs can span classes and cities); class
  networks carry no matching. Alumni are matched in the national alumni network.
- An intro counts as ignored when nobody in the group answered a check-in; three ignored in a
  row stop matching (ghosted) until the person opts back in. Any answer resets the count.
- Alumni without an explicit yes are not kept in alumni messaging.
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import delivery
from bot.matching import Candidate, GroupMember, MatchRules, blocked_pairs, form_peer_groups, pair
from bot.matching import match_round as compute_round
from bot.messages import Markup, t
from bot.notifier import Button, OutgoingMessage, Section
from bot.people import Actor, require_staff
from bot.settings import Settings
from bot.text import channel as channel_ref
from bot.text import user
from bot.timing import local_time
from storage.models import (
    Cohort,
    CohortClass,
    CohortStatus,
    EnrolmentStatus,
    MatchGroup,
    MatchRound,
    Network,
    NetworkKind,
    NetworkMembership,
    Person,
)
from storage.queries import broadcasts as bq
from storage.queries import networks as q
from storage.queries.people import get_person_by_slack_id, record_audit

logger = logging.getLogger(__name__)

IGNORED_LIMIT = 3
PROMPT_COUNT = 5
CHECKIN_ANSWERS = ("yes", "not_yet", "could_not")
ACTIVE_STATUSES = (EnrolmentStatus.ACTIVE, EnrolmentStatus.ADMITTED)
MAX_CHANNEL_NAME = 80

# Action ids the Slack adapter listens for, as prefixes: Slack wants the ids in one actions
# block to differ, so each button is "<prefix>:<answer>" (values "<group_id>:<answer>",
# "<cohort_id>:yes").
ACTION_CHECKIN = "network_checkin"
ACTION_CONSENT = "alumni_consent"
ACTION_OPT_IN = "matching_opt_in"
ACTION_OPT_OUT = "matching_opt_out"
ACTION_START_DM = "directory_start_dm"


class ChannelAdmin(Protocol):
    """The port for channel work; `handlers/slack_channels.py` implements it for Slack."""

    async def create_channel(self, name: str, private: bool) -> str:
        """Create the channel, or adopt the existing one with this name; return its id."""
        ...

    async def invite(self, channel: str, user_ids: Sequence[str]) -> None: ...

    async def remove(self, channel: str, user_id: str) -> None: ...

    async def archive(self, channel: str) -> None: ...

    async def open_group_dm(self, user_ids: Sequence[str]) -> str:
        """Open (or reopen) a group DM of these people and the bot; return its channel id."""
        ...


class InvalidRequest(ValueError):
    """Bad input (unknown group, person or answer); nothing was changed."""


# --- names ---------------------------------------------------------------------------------

_TRANSLITERATE = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ä": "a", "ö": "o", "ü": "u"})


def slack_name(*parts: str | None) -> str:
    """Join parts into a Slack-valid channel name: lowercase, a-z0-9-_ only, ≤ 80 chars.

    >>> slack_name("lu", "2026H", "Tromsø")
    'lu-2026h-tromso'
    """
    text = "-".join(p for p in parts if p).lower().translate(_TRANSLITERATE)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9_-]+", "-", text)
    text = re.sub(r"-{2,}", "-", text).strip("-_")
    return text[:MAX_CHANNEL_NAME].rstrip("-_") or "channel"


def cohort_channel_name(settings: Settings, cohort: Cohort) -> str:
    return slack_name(settings.channel_prefix, cohort.key)


def class_channel_name(settings: Settings, cohort: Cohort, klass: CohortClass) -> str:
    return slack_name(settings.channel_prefix, cohort.key, klass.city or klass.key)


def peer_group_channel_name(
    settings: Settings, cohort: Cohort, klass: CohortClass, number: int, generation: int
) -> str:
    suffix = f"r{generation}" if generation > 1 else None
    return slack_name(
        settings.channel_prefix, cohort.key, klass.city or klass.key, "gruppe", str(number), suffix
    )


def alumni_channel_name(settings: Settings, region: str | None = None) -> str:
    return slack_name(settings.channel_prefix, "alumni", region)


def _audit_actor(actor: Actor | None) -> tuple[str, int | None]:
    if actor is None:
        return "system", None
    pid = actor.person_id
    return (f"person:{pid}" if pid else f"slack:{actor.slack_user_id}"), pid


def _staff(actor: Actor | None) -> None:
    """Refuse non-staff; None is the CLI or a job, which are trusted."""
    if actor is not None:
        require_staff(actor)


async def _deliver(
    session: AsyncSession,
    settings: Settings,
    *,
    key: str,
    kind: str,
    target: str,
    message: OutgoingMessage,
    send_at: datetime,
    audience: str,
    person_id: int | None = None,
    source: str | None = None,
    tz: str | None = None,
) -> bool:
    return await delivery.schedule(
        session,
        key=key,
        transport="slack",
        kind=kind,
        target=target,
        message=message,
        send_at=send_at,
        audience=audience,
        settings=settings,
        person_id=person_id,
        source=source,
        tz=tz,
    )


# --- channels and membership ---------------------------------------------------------------


@dataclass
class SyncReport:
    """What a channel sync did."""

    channels: dict[str, str] = field(default_factory=dict)  # network key -> channel id
    invited: list[str] = field(default_factory=list)  # Slack user ids
    left: list[int] = field(default_factory=list)  # person ids whose memberships closed
    removed: list[str] = field(default_factory=list)  # Slack user ids removed (policy "remove")


async def _ensure_network(
    session: AsyncSession,
    admin: ChannelAdmin,
    *,
    kind: str,
    key: str,
    name: str,
    channel_name: str,
    private: bool = False,
    cohort_id: int | None = None,
    class_id: int | None = None,
    region: str | None = None,
    match_every_weeks: int | None = None,
    next_match_at: datetime | None = None,
) -> tuple[Network, bool]:
    """Find or create the network and its channel; True when the channel is new to us."""
    network = await q.get_network_by_key(session=session, key=key)
    if network is None:
        network = Network(
            kind=kind,
            key=key,
            name=name,
            cohort_id=cohort_id,
            class_id=class_id,
            region=region,
            is_private=private,
            match_every_weeks=match_every_weeks,
            next_match_at=next_match_at,
        )
        session.add(network)
        await session.flush()
    fresh = network.slack_channel_id is None
    if fresh:
        network.slack_channel_id = await admin.create_channel(channel_name, private)
        network.slack_channel_name = channel_name
    return network, fresh


async def _join(
    session: AsyncSession, network: Network, person: Person, now: datetime, opt_in: bool = True
) -> bool:
    """Make the person an active member; True if they were not one before."""
    assert network.id is not None and person.id is not None
    membership = await q.get_membership(session=session, network_id=network.id, person_id=person.id)
    if membership is None:
        session.add(
            NetworkMembership(
                network_id=network.id, person_id=person.id, joined_at=now, matching_opt_in=opt_in
            )
        )
        return True
    if membership.left_at is not None:
        membership.left_at = None
        membership.joined_at = now
        return True
    return False


def _first_match_at(settings: Settings, cohort: Cohort, now: datetime) -> datetime:
    """The first round: the cohort's start day at 09:00 local, or now if that has passed."""
    if cohort.start_date is None:
        return now
    start = local_time(cohort.start_date, time(9, 0), cohort.timezone or settings.timezone)
    return max(start, now)


async def sync_cohort_channels(
    session: AsyncSession,
    admin: ChannelAdmin,
    settings: Settings,
    *,
    cohort_id: int,
    now: datetime,
    actor: Actor | None = None,
) -> SyncReport:
    """Create or adopt the cohort's and classes' channels and bring membership in step.

    Active and admitted participants are invited; withdrawn ones have their memberships closed
    (no longer messaged or matched) and, with `withdrawn_policy="remove"`, leave the channels.
    """
    _staff(actor)
    cohort = await q.get_cohort(session=session, cohort_id=cohort_id)
    if cohort is None:
        raise InvalidRequest(f"unknown cohort {cohort_id}")
    report = SyncReport()
    cohort_net, _ = await _ensure_network(
        session,
        admin,
        kind=NetworkKind.COHORT,
        key=f"cohort:{cohort.key}",
        name=cohort.name,
        channel_name=cohort_channel_name(settings, cohort),
        cohort_id=cohort_id,
        match_every_weeks=settings.match_every_weeks,
        next_match_at=_first_match_at(settings, cohort, now),
    )
    cohort.slack_channel_id = cohort_net.slack_channel_id
    networks: dict[int | None, Network] = {None: cohort_net}
    for klass in await q.list_classes(session=session, cohort_id=cohort_id):
        net, _ = await _ensure_network(
            session,
            admin,
            kind=NetworkKind.CLASS,
            key=f"class:{cohort.key}:{klass.key}",
            name=klass.name,
            channel_name=class_channel_name(settings, cohort, klass),
            cohort_id=cohort_id,
            class_id=klass.id,
        )
        klass.slack_channel_id = net.slack_channel_id
        klass.slack_channel_name = net.slack_channel_name
        networks[klass.id] = net
    for net in networks.values():
        assert net.slack_channel_id is not None
        report.channels[net.key] = net.slack_channel_id

    invites: dict[str, list[str]] = {}
    for enrolment, person in await q.list_enrolled(session=session, cohort_id=cohort_id):
        targets = [cohort_net]
        if enrolment.class_id in networks:
            targets.append(networks[enrolment.class_id])
        if enrolment.status in ACTIVE_STATUSES:
            for net in targets:
                joined = await _join(session, net, person, now)
                if joined and person.slack_user_id and net.slack_channel_id:
                    invites.setdefault(net.slack_channel_id, []).append(person.slack_user_id)
        elif enrolment.status == EnrolmentStatus.WITHDRAWN:
            for net in targets:
                assert net.id is not None and person.id is not None
                m = await q.get_membership(session=session, network_id=net.id, person_id=person.id)
                if m is not None and m.left_at is None:
                    m.left_at = now
                    if person.id not in report.left:
                        report.left.append(person.id)
                        # "No longer messaged": drop their pending check-in questions too.
                        await delivery.cancel(
                            session,
                            person_id=person.id,
                            kinds=["match_checkin"],
                            reason="withdrawn",
                        )
                    if (
                        settings.withdrawn_policy == "remove"
                        and person.slack_user_id
                        and net.slack_channel_id
                    ):
                        await admin.remove(net.slack_channel_id, person.slack_user_id)
                        report.removed.append(person.slack_user_id)
    for channel, users in invites.items():
        await admin.invite(channel, users)
        report.invited.extend(u for u in users if u not in report.invited)
    who, actor_id = _audit_actor(actor)
    await record_audit(
        session=session,
        actor=who,
        actor_id=actor_id,
        action="networks.sync",
        subject=f"cohort:{cohort_id}",
        detail={"invited": len(report.invited), "left": len(report.left)},
    )
    await session.flush()
    return report


# --- peer groups ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PeerGroup:
    network_id: int
    number: int
    channel_id: str
    member_ids: tuple[int, ...]


async def form_class_peer_groups(
    session: AsyncSession,
    admin: ChannelAdmin,
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
            if old.slack_channel_id:
                await admin.archive(old.slack_channel_id)
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
            admin,
            kind=NetworkKind.PEER_GROUP,
            key=f"group:{cohort.key}:{klass.key}:{generation}:{number}",
            name=f"{klass.name} – {number}",
            channel_name=peer_group_channel_name(settings, cohort, klass, number, generation),
            private=True,
            cohort_id=cohort.id,
            class_id=class_id,
        )
        assert net.id is not None and net.slack_channel_id is not None
        for pid in member_ids:
            await _join(session, net, people[pid], now)
        slack_ids = [people[pid].slack_user_id for pid in member_ids if people[pid].slack_user_id]
        await admin.invite(net.slack_channel_id, [s for s in slack_ids if s])
        locale = _group_locale([people[pid] for pid in member_ids])
        names = Markup(", ".join(_mention(people[pid]) for pid in member_ids))
        await _deliver(
            session,
            settings,
            key=f"peer-group:{net.id}:welcome",
            kind="peer_group_welcome",
            target=net.slack_channel_id,
            message=OutgoingMessage(
                text=t("networks.group.welcome.text", locale, names=names),
                title=t("networks.group.welcome.title", locale, number=number),
                locale=locale,
            ),
            send_at=now,
            audience="channel",
            source=f"network:{net.id}",
        )
        result.append(PeerGroup(net.id, number, net.slack_channel_id, member_ids))
    who, actor_id = _audit_actor(actor)
    await record_audit(
        session=session,
        actor=who,
        actor_id=actor_id,
        action="networks.form_peer_groups",
        subject=f"class:{class_id}",
        detail={"groups": len(result), "generation": generation},
    )
    await session.flush()
    return result


def _mention(person: Person) -> Markup:
    return user(person.slack_user_id, person.name)


def _group_locale(people: Sequence[Person]) -> str:
    """English only when everyone in the group reads English."""
    return "en" if people and all(p.locale == "en" for p in people) else "nb"


# --- matching rounds -----------------------------------------------------------------------


@dataclass(frozen=True)
class RoundResult:
    round_id: int
    groups: list[tuple[int, ...]]
    ghosted: list[int]  # people stopped because of three ignored intros


async def _candidates(
    session: AsyncSession, network: Network
) -> tuple[list[Candidate], dict[int, Person]]:
    assert network.id is not None
    members = await q.list_members(session=session, network_id=network.id)
    people = {p.id: p for _, p in members if p.id is not None}
    places = await q.enrolment_places(session=session, person_ids=list(people))
    candidates = []
    for membership, person in members:
        if person.id is None or not person.slack_user_id or not person.slack_active:
            continue  # intros are group DMs in Slack
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
    return candidates, people


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
    match_round = await session.get(MatchRound, round_id)
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
    for pid in ghosted:
        person = people[pid]
        if not person.slack_user_id:
            continue
        await _deliver(
            session,
            settings,
            key=f"match-ghosted:{network.id}:{round_id}:{pid}",
            kind="match_ghosted",
            target=person.slack_user_id,
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
            person_id=pid,
            source=f"network:{network.id}",
            tz=person.timezone,
        )
    await session.flush()
    return ghosted


def _checkin_message(
    group_id: int, person: Person, others: Sequence[Person], stage: str
) -> OutgoingMessage:
    locale = person.locale
    names = Markup(", ".join(_mention(o) for o in others))
    text = t("networks.checkin.text", locale, names=names)
    buttons = tuple(
        Button(f"{ACTION_CHECKIN}:{a}", t(f"networks.checkin.{a}", locale), f"{group_id}:{a}")
        for a in CHECKIN_ANSWERS
    )
    return OutgoingMessage(
        text=text,
        title=t("networks.checkin.title", locale),
        sections=(Section(text=text, buttons=buttons),),
        locale=locale,
        meta={"group_id": group_id, "stage": stage},
    )


async def run_matching_round(
    session: AsyncSession,
    admin: ChannelAdmin,
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
    candidates, people = await _candidates(session, network)
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
    match_round = MatchRound(
        network_id=network_id, started_at=now, midpoint_at=midpoint, ends_at=ends_at
    )
    session.add(match_round)
    await session.flush()
    assert match_round.id is not None
    prompt_key = f"networks.prompt.{(number - 1) % PROMPT_COUNT + 1}"
    for member_ids in groups:
        members = [people[pid] for pid in member_ids]
        channel = await admin.open_group_dm([p.slack_user_id for p in members if p.slack_user_id])
        group = MatchGroup(
            round_id=match_round.id, slack_channel_id=channel, member_ids=list(member_ids)
        )
        session.add(group)
        await session.flush()
        assert group.id is not None
        locale = _group_locale(members)
        text = t(
            "networks.intro.text",
            locale,
            names=Markup(", ".join(_mention(p) for p in members)),
            network=network.name,
            weeks=weeks,
            prompt=t(prompt_key, locale),
        )
        await _deliver(
            session,
            settings,
            key=f"match-intro:{group.id}",
            kind="match_intro",
            target=channel,
            message=OutgoingMessage(
                text=text,
                title=t("networks.intro.title", locale),
                sections=(Section(text=text),),
                locale=locale,
                meta={"group_id": group.id, "round_id": match_round.id},
            ),
            send_at=now,
            audience="participant",
            source=f"match-round:{match_round.id}",
        )
        for person in members:
            assert person.id is not None and person.slack_user_id is not None
            others = [o for o in members if o.id != person.id]
            for stage, when in (("mid", midpoint), ("end", final_checkin)):
                await _deliver(
                    session,
                    settings,
                    key=f"match-checkin:{group.id}:{person.id}:{stage}",
                    kind="match_checkin",
                    target=person.slack_user_id,
                    message=_checkin_message(group.id, person, others, stage),
                    send_at=when,
                    audience="participant",
                    person_id=person.id,
                    source=f"match-round:{match_round.id}",
                    tz=person.timezone,
                )
    network.next_match_at = ends_at
    who, actor_id = _audit_actor(actor)
    await record_audit(
        session=session,
        actor=who,
        actor_id=actor_id,
        action="networks.match_round",
        subject=f"network:{network_id}",
        detail={"round": match_round.id, "groups": len(groups)},
    )
    await session.flush()
    return RoundResult(match_round.id, groups, ghosted)


async def record_checkin(
    session: AsyncSession, *, group_id: int, person_id: int, answer: str, now: datetime
) -> None:
    """Store a "Did you meet?" answer; a settled answer cancels the person's later check-in."""
    if answer not in CHECKIN_ANSWERS:
        raise InvalidRequest(f"unknown answer {answer!r}")
    group = await q.get_group(session=session, group_id=group_id)
    if group is None or person_id not in group.member_ids:
        raise InvalidRequest("not a member of this group")
    await q.upsert_checkin(
        session=session, group_id=group_id, person_id=person_id, answer=answer, now=now
    )
    match_round = await session.get(MatchRound, group.round_id)
    assert match_round is not None
    membership = await q.get_membership(
        session=session, network_id=match_round.network_id, person_id=person_id
    )
    if membership is not None:
        membership.ignored_intros = 0
    if answer != "not_yet":
        await delivery.cancel(
            session, key_prefix=f"match-checkin:{group_id}:{person_id}:", reason="answered"
        )
    await session.flush()


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
    for m in memberships:
        m.paused_until = until
    await session.flush()
    return len(memberships)


async def set_matching(
    session: AsyncSession, *, person_id: int, opt_in: bool, network_id: int | None = None
) -> int:
    """Opt in to or out of matching; opting in also lifts a ghosting and its count."""
    memberships = await _memberships(session, person_id, network_id)
    for m in memberships:
        m.matching_opt_in = opt_in
        if opt_in:
            m.ghosted = False
            m.ignored_intros = 0
            m.paused_until = None
    await session.flush()
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


# --- alumni --------------------------------------------------------------------------------


async def complete_cohort(
    session: AsyncSession,
    admin: ChannelAdmin,
    settings: Settings,
    *,
    cohort_id: int,
    now: datetime,
    actor: Actor | None = None,
) -> list[int]:
    """Mark the cohort completed: participants become alumni and are asked for consent.

    Class channels are archived when `class_channels_on_completion="archive"`. Returns the
    person ids asked.
    """
    _staff(actor)
    cohort = await q.get_cohort(session=session, cohort_id=cohort_id)
    if cohort is None:
        raise InvalidRequest(f"unknown cohort {cohort_id}")
    cohort.status = CohortStatus.COMPLETED
    cohort.completed_at = cohort.completed_at or now
    asked: list[int] = []
    for enrolment, person in await q.list_enrolled(session=session, cohort_id=cohort_id):
        if enrolment.status not in (*ACTIVE_STATUSES, EnrolmentStatus.COMPLETED):
            continue
        enrolment.status = EnrolmentStatus.COMPLETED
        enrolment.completed_on = enrolment.completed_on or now.astimezone(settings.zone).date()
        if enrolment.is_alumnus:
            continue
        enrolment.is_alumnus = True
        assert person.id is not None
        asked.append(person.id)
        if person.slack_user_id:
            await _deliver(
                session,
                settings,
                key=f"alumni-consent:{cohort_id}:{person.id}",
                kind="alumni_consent",
                target=person.slack_user_id,
                message=_consent_message(settings, cohort, person),
                send_at=now,
                audience="participant",
                person_id=person.id,
                source=f"cohort:{cohort_id}",
                tz=person.timezone,
            )
    if settings.class_channels_on_completion == "archive":
        for net in await q.list_networks(
            session=session, kind=NetworkKind.CLASS, cohort_id=cohort_id
        ):
            net.archived_at = now
            if net.slack_channel_id:
                await admin.archive(net.slack_channel_id)
    # Matching in the cohort network stops; alumni are matched in the alumni network instead.
    # No rhythm either, so Home stops offering "peer chat every 2 weeks" and its opt-out there.
    for net in await q.list_networks(session=session, kind=NetworkKind.COHORT, cohort_id=cohort_id):
        net.next_match_at = None
        net.match_every_weeks = None
    who, actor_id = _audit_actor(actor)
    await record_audit(
        session=session,
        actor=who,
        actor_id=actor_id,
        action="networks.complete_cohort",
        subject=f"cohort:{cohort_id}",
        detail={"alumni": len(asked)},
    )
    await session.flush()
    return asked


def _consent_message(settings: Settings, cohort: Cohort, person: Person) -> OutgoingMessage:
    locale = person.locale
    text = t(
        "networks.alumni.consent.text",
        locale,
        cohort=cohort.name,
        weeks=settings.alumni_match_every_weeks,
    )
    return OutgoingMessage(
        text=text,
        title=t("networks.alumni.consent.title", locale),
        sections=(
            Section(
                text=text,
                buttons=(
                    Button(
                        f"{ACTION_CONSENT}:yes",
                        t("networks.alumni.consent.yes", locale),
                        f"{cohort.id}:yes",
                        "primary",
                    ),
                    Button(
                        f"{ACTION_CONSENT}:no",
                        t("networks.alumni.consent.no", locale),
                        f"{cohort.id}:no",
                    ),
                ),
            ),
        ),
        locale=locale,
    )


async def complete_due_cohorts(
    session: AsyncSession, admin: ChannelAdmin, settings: Settings, *, now: datetime
) -> list[int]:
    """Complete every cohort whose end date has passed; returns their ids."""
    done = []
    for cohort in await q.list_cohorts_due_for_completion(
        session=session, today=now.astimezone(settings.zone)
    ):
        assert cohort.id is not None
        await complete_cohort(session, admin, settings, cohort_id=cohort.id, now=now)
        done.append(cohort.id)
    return done


async def record_alumni_consent(
    session: AsyncSession,
    admin: ChannelAdmin,
    settings: Settings,
    *,
    person_id: int,
    cohort_id: int,
    consent: bool,
    now: datetime,
) -> list[str]:
    """Record the answer; on yes join the national and regional alumni channels.

    Returns the channel ids joined. A "no" closes any alumni memberships.
    """
    enrolment = await q.get_enrolment(session=session, person_id=person_id, cohort_id=cohort_id)
    if enrolment is None or not enrolment.is_alumnus:
        raise InvalidRequest("not an alumnus of this cohort")
    person = await q.get_person(session=session, person_id=person_id)
    assert person is not None
    enrolment.alumni_consent = consent
    enrolment.alumni_consent_at = now
    alumni_kinds = (NetworkKind.ALUMNI_NATIONAL, NetworkKind.ALUMNI_REGION)
    if not consent:
        for m, _ in await q.list_person_memberships(
            session=session, person_id=person_id, kinds=alumni_kinds
        ):
            m.left_at = now
        await session.flush()
        return []
    # Keep the person's matching choice from the programme.
    previous = await q.list_person_memberships(
        session=session, person_id=person_id, kinds=[NetworkKind.COHORT]
    )
    opt_in = all(m.matching_opt_in for m, _ in previous) if previous else True
    national, _ = await _ensure_network(
        session,
        admin,
        kind=NetworkKind.ALUMNI_NATIONAL,
        key="alumni:national",
        name="Alumni",
        channel_name=alumni_channel_name(settings),
        match_every_weeks=settings.alumni_match_every_weeks,
        next_match_at=now + timedelta(weeks=settings.alumni_match_every_weeks),
    )
    joined = [national]
    if person.county:
        region, _ = await _ensure_network(
            session,
            admin,
            kind=NetworkKind.ALUMNI_REGION,
            key=f"alumni:region:{slack_name(person.county)}",
            name=f"Alumni {person.county}",
            channel_name=alumni_channel_name(settings, person.county),
            region=person.county,
        )
        joined.append(region)
    channels = []
    for net in joined:
        await _join(session, net, person, now, opt_in=opt_in)
        assert net.slack_channel_id is not None
        channels.append(net.slack_channel_id)
        if person.slack_user_id:
            await admin.invite(net.slack_channel_id, [person.slack_user_id])
    if person.slack_user_id:
        await _deliver(
            session,
            settings,
            key=f"alumni-welcome:{person_id}",
            kind="alumni_welcome",
            target=person.slack_user_id,
            message=OutgoingMessage(
                text=t(
                    "networks.alumni.welcome",
                    person.locale,
                    channels=Markup(", ".join(channel_ref(c) for c in channels)),
                ),
                locale=person.locale,
            ),
            send_at=now,
            audience="alumni",
            person_id=person_id,
            tz=person.timezone,
        )
    await session.flush()
    return channels


# --- directory -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """What the directory shows of a person who chose to be findable."""

    person_id: int
    name: str
    slack_user_id: str | None
    municipality: str | None
    county: str | None
    service_area: str | None
    position: str | None
    project_title: str | None
    topics: str | None
    bio: str | None


SEARCH_FIELDS = ("name", "municipality", "county", "service_area", "project_title", "topics")
PROFILE_FIELDS = (
    "municipality",
    "county",
    "service_area",
    "workplace",
    "position",
    "project_title",
    "topics",
    "bio",
)


def _profile(person: Person) -> Profile:
    assert person.id is not None
    return Profile(
        person.id,
        person.name,
        person.slack_user_id,
        person.municipality,
        person.county,
        person.service_area,
        person.position,
        person.project_title,
        person.topics,
        person.bio,
    )


async def search_directory(
    session: AsyncSession, words: str, viewer: Actor, *, limit: int = 20
) -> list[Profile]:
    """Find findable people whose profile contains every word (case- and accent-tolerant).

    Only people known to the programme may search; nobody who has not opted in is ever shown.
    """
    if not viewer.known and not viewer.is_staff:
        return []
    terms = [w.casefold() for w in words.split() if w.strip()]
    found = []
    for person in await q.list_findable_people(session=session):
        if person.id == viewer.person_id:
            continue
        haystack = " ".join(str(getattr(person, f) or "") for f in SEARCH_FIELDS).casefold()
        if all(term in haystack for term in terms):
            found.append(_profile(person))
            if len(found) >= limit:
                break
    return found


async def get_profile(session: AsyncSession, *, person_id: int) -> Profile | None:
    person = await q.get_person(session=session, person_id=person_id)
    return _profile(person) if person is not None else None


async def findable_profile(session: AsyncSession, *, slack_user_id: str) -> Profile | None:
    """The profile of a findable person by Slack id; None for anyone who has not opted in."""
    person = await get_person_by_slack_id(session=session, slack_user_id=slack_user_id)
    return _profile(person) if person is not None and person.findable else None


# --- lookups for staff commands ------------------------------------------------------------


async def resolve_class(session: AsyncSession, ref: str) -> CohortClass | None:
    """A class from "2026h/bergen", or "bergen" in the newest cohort that is not completed."""
    cohort_key, _, class_ref = ref.strip().rpartition("/")
    if cohort_key:
        cohort = await q.get_cohort_by_key(session=session, key=cohort_key)
        cohorts = [cohort] if cohort is not None else []
    else:
        cohorts = list(reversed(await bq.list_active_cohorts(session=session)))
    for cohort in cohorts:
        assert cohort.id is not None
        found = await bq.find_class(session=session, cohort_id=cohort.id, ref=class_ref)
        if found is not None:
            return found
    return None


async def find_cohort(session: AsyncSession, key: str) -> Cohort | None:
    return await q.get_cohort_by_key(session=session, key=key.strip())


async def person_names(session: AsyncSession, person_ids: Sequence[int]) -> dict[int, str]:
    """Names for summaries shown to staff."""
    return {
        pid: p.name
        for pid, p in (await q.get_people(session=session, person_ids=person_ids)).items()
    }


async def own_person(session: AsyncSession, *, person_id: int) -> Person | None:
    """The person's own row, for editing their profile."""
    return await q.get_person(session=session, person_id=person_id)


async def resolve_matching_network(session: AsyncSession, ref: str) -> Network | None:
    """The network that carries matching for "alumni" or a cohort key."""
    ref = ref.strip()
    key = "alumni:national" if ref.lower() == "alumni" else f"cohort:{ref}"
    return await q.get_network_by_key(session=session, key=key)


async def update_profile(
    session: AsyncSession,
    *,
    person_id: int,
    now: datetime,
    findable: bool | None = None,
    **fields: str | None,
) -> Person:
    """Let a person edit their own profile and whether they are findable."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise InvalidRequest(f"not a profile field: {', '.join(sorted(unknown))}")
    person = await q.get_person(session=session, person_id=person_id)
    if person is None:
        raise InvalidRequest(f"unknown person {person_id}")
    for name, value in fields.items():
        cleaned = value.strip() if isinstance(value, str) else None
        setattr(person, name, cleaned or None)
    if findable is not None:
        person.findable = findable
    person.updated_at = now
    await session.flush()
    return person


# --- discussion prompts --------------------------------------------------------------------


async def schedule_prompt(
    session: AsyncSession,
    settings: Settings,
    *,
    network_id: int,
    text: str,
    send_at: datetime,
    key: str,
    actor: Actor | None = None,
) -> bool:
    """Post a discussion prompt in the network's channel at `send_at` (once per `key`)."""
    _staff(actor)
    network = await q.get_network(session=session, network_id=network_id)
    if network is None or not network.slack_channel_id or network.archived_at is not None:
        raise InvalidRequest(f"network {network_id} has no open channel")
    if not text.strip():
        raise InvalidRequest("the prompt has no text")
    return await _deliver(
        session,
        settings,
        key=f"network-prompt:{network_id}:{key}",
        kind="network_prompt",
        target=network.slack_channel_id,
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
            if network.id is None or not network.slack_channel_id:
                continue
            queued += await schedule_prompt(
                session,
                settings,
                network_id=network.id,
                text=prompt,
                send_at=when,
                key=f"{year}-{month:02d}",
            )
    return queued


# --- figures for the report ----------------------------------------------------------------


@dataclass(frozen=True)
class NetworkActivity:
    """Peer matching in a cohort's networks, for the annual report."""

    intros: int  # groups introduced
    people_introduced: int
    answered: int  # intros where someone answered "Did you meet?"
    met: int  # intros where someone answered yes
    share_met: float | None  # met / answered; None when nobody answered
    peer_groups: int


async def network_activity(session: AsyncSession, cohort_id: int) -> NetworkActivity:
    """Count intros, answers and meetings in the cohort's networks."""
    rows = await q.groups_with_answers_for_cohort(session=session, cohort_id=cohort_id)
    people = {pid for g, _ in rows for pid in g.member_ids}
    answered = sum(1 for _, answers in rows if answers)
    met = sum(1 for _, answers in rows if "yes" in answers)
    groups = await q.list_networks(
        session=session, kind=NetworkKind.PEER_GROUP, cohort_id=cohort_id
    )
    return NetworkActivity(
        intros=len(rows),
        people_introduced=len(people),
        answered=answered,
        met=met,
        share_met=(met / answered) if answered else None,
        peer_groups=len(groups),
    )


async def my_networks(
    session: AsyncSession, *, person_id: int
) -> list[tuple[Network, NetworkMembership]]:
    """The person's active networks (for App Home), with their membership settings."""
    rows = await q.list_person_memberships(session=session, person_id=person_id)
    return [(n, m) for m, n in rows]


async def alumni_not_in_network(session: AsyncSession, *, person_id: int) -> list[Cohort]:
    """Cohorts this alumnus completed without saying yes to the alumni network (yet)."""
    cohorts = []
    for enrolment in await q.list_person_enrolments(session=session, person_id=person_id):
        if enrolment.is_alumnus and enrolment.alumni_consent is not True:
            cohort = await q.get_cohort(session=session, cohort_id=enrolment.cohort_id)
            if cohort is not None:
                cohorts.append(cohort)
    return cohorts


__all__ = [
    "ACTION_CHECKIN",
    "ACTION_CONSENT",
    "ACTION_OPT_IN",
    "ACTION_OPT_OUT",
    "ACTION_START_DM",
    "ChannelAdmin",
    "InvalidRequest",
    "NetworkActivity",
    "PeerGroup",
    "Profile",
    "RoundResult",
    "SyncReport",
    "alumni_not_in_network",
    "block_person",
    "close_round",
    "complete_cohort",
    "complete_due_cohorts",
    "find_cohort",
    "findable_profile",
    "form_class_peer_groups",
    "get_profile",
    "my_networks",
    "network_activity",
    "own_person",
    "pause_matching",
    "person_names",
    "record_alumni_consent",
    "record_checkin",
    "resolve_class",
    "resolve_matching_network",
    "run_matching_round",
    "schedule_alumni_prompts",
    "schedule_prompt",
    "search_directory",
    "set_matching",
    "slack_name",
    "sync_cohort_channels",
    "update_profile",
]


@dataclass(frozen=True)
class JoinWelcome:
    """Who joined which network's channel on their own, to greet them there."""

    network_name: str
    person_name: str
    locale: str


async def welcome_for_join(
    session: AsyncSession, *, channel_id: str, slack_user_id: str
) -> JoinWelcome | None:
    """A welcome for a known person joining a network's channel; None for anything else."""
    network = await q.get_network_by_channel(session=session, channel_id=channel_id)
    if network is None or network.archived_at is not None:
        return None
    person = await get_person_by_slack_id(session=session, slack_user_id=slack_user_id)
    if person is None:
        return None
    return JoinWelcome(network.name, person.name, person.locale)
