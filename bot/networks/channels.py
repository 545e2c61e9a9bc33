"""Channels per cohort and class, and membership kept in step with enrolments.

Channel work (create, invite, kick) is decided here and done by the outbox after the commit
(`bot.steps`): nothing reaches Slack or Teams from inside the transaction.

In Teams (TEAMS_TEAM_ID set) each class gets a private channel in the programme's team; the
team itself (its General channel) is the cohort's space, so the cohort gets none. Members are
added by their Entra object id; class members without one are listed (`teams_missing`), not
dropped. A person who leaves a class (withdrawn, or moved to another class) leaves its
private channel whatever `withdrawn_policy` says: in Teams the channel is the class's gate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import delivery, steps
from bot.networks.shared import (
    ACTIVE_STATUSES,
    InvalidRequest,
    _audit_actor,
    _staff,
    class_channel_name,
    cohort_channel_name,
    slack_ids,
)
from bot.people import Actor
from bot.settings import Settings
from bot.timing import local_time
from storage.models import Cohort, CohortClass, EnrolmentStatus, Network, NetworkKind, Person
from storage.queries import networks as q
from storage.queries.identities import identities_by_person
from storage.queries.people import get_person_by_slack_id, record_audit

CHECKIN_KIND = "match_checkin"
# The reason a withdrawal cancels with; a participant back from it gets exactly those back.
WITHDRAWN = "withdrawn"


@dataclass
class SyncReport:
    """What a channel sync did."""

    # network key -> channel id, or "network:<id>" while its create step has not run yet
    channels: dict[str, str] = field(default_factory=dict)
    invited: list[str] = field(default_factory=list)  # Slack user ids (steps queued)
    left: list[int] = field(default_factory=list)  # person ids whose memberships closed
    removed: list[str] = field(default_factory=list)  # Slack user ids removed (policy "remove")
    names: dict[str, str] = field(default_factory=dict)  # network key -> channel name
    # Teams class channels (bot.steps.makes_teams_channels): network key -> channel name for
    # the ones whose create was decided now, people whose adds were decided, and class members
    # whom Teams cannot be asked to add (no Entra object id yet: not in Teams, or never seen).
    teams_channels: dict[str, str] = field(default_factory=dict)
    teams_added: list[int] = field(default_factory=list)  # person ids
    teams_missing: list[str] = field(default_factory=list)  # names, to tell staff
    moved: list[int] = field(default_factory=list)  # person ids who left a class for another


async def _ensure_network(
    session: AsyncSession,
    settings: Settings,
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
    now: datetime,
) -> tuple[Network, bool]:
    """Find or create the network and decide its channel; True when the channel is new to us.

    The channel is made by an outbox step after the commit (`bot.steps`); until then address
    it with `steps.channel_of(network)`.
    """
    network = await q.get_network_by_key(session=session, key=key)
    if network is None:
        network = await q.create_network(
            session=session,
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
    fresh = network.slack_channel_id is None
    if fresh:
        # Without Slack (Teams only) no channel is decided: the network lives in the database.
        if await steps.create_channel(
            session, settings, network=network, name=channel_name, private=private, now=now
        ):
            network.slack_channel_name = channel_name
    return network, fresh


async def _join(
    session: AsyncSession, network: Network, person: Person, now: datetime, opt_in: bool = True
) -> bool:
    """Make the person an active member; True if they were not one before."""
    assert network.id is not None and person.id is not None
    membership = await q.get_membership(session=session, network_id=network.id, person_id=person.id)
    if membership is None:
        q.add_membership(
            session=session,
            network_id=network.id,
            person_id=person.id,
            joined_at=now,
            opt_in=opt_in,
        )
        return True
    if membership.left_at is not None:
        membership.left_at = None
        membership.joined_at = now
        # Back (a withdrawal undone): the check-ins the withdrawal cancelled and still ahead.
        await delivery.restore(
            session, person_id=person.id, kinds=[CHECKIN_KIND], reason=WITHDRAWN, now=now
        )
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
    settings: Settings,
    *,
    cohort_id: int,
    now: datetime,
    actor: Actor | None = None,
) -> SyncReport:
    """Decide the cohort's and classes' channels (created or adopted) and bring membership in step.

    Active and admitted participants are invited; withdrawn ones have their memberships closed
    (no longer messaged or matched) and, with `withdrawn_policy="remove"`, leave the channels.
    The Slack work is queued as outbox steps, done after the caller commits.
    """
    _staff(actor)
    cohort = await q.get_cohort(session=session, cohort_id=cohort_id)
    if cohort is None:
        raise InvalidRequest(f"unknown cohort {cohort_id}")
    report = SyncReport()
    teams = steps.makes_teams_channels(settings)
    owner = await _channel_owner(session, settings, actor) if teams else None
    cohort_net, _ = await _ensure_network(
        session,
        settings,
        kind=NetworkKind.COHORT,
        key=f"cohort:{cohort.key}",
        name=cohort.name,
        channel_name=cohort_channel_name(settings, cohort),
        cohort_id=cohort_id,
        match_every_weeks=settings.match_every_weeks,
        next_match_at=_first_match_at(settings, cohort, now),
        now=now,
    )
    if cohort_net.slack_channel_id:  # made earlier: keep the cohort's copy in step
        cohort.slack_channel_id = cohort_net.slack_channel_id
    networks: dict[int | None, Network] = {None: cohort_net}
    classes = await q.list_classes(session=session, cohort_id=cohort_id)
    for klass in classes:
        net, _ = await _ensure_network(
            session,
            settings,
            kind=NetworkKind.CLASS,
            key=f"class:{cohort.key}:{klass.key}",
            name=klass.name,
            channel_name=class_channel_name(settings, cohort, klass, classes),
            cohort_id=cohort_id,
            class_id=klass.id,
            now=now,
        )
        if net.slack_channel_id:
            klass.slack_channel_id = net.slack_channel_id
            klass.slack_channel_name = net.slack_channel_name
        networks[klass.id] = net
        if teams and net.id is not None:
            made = await q.get_network_channel(
                session=session, network_id=net.id, platform=steps.TEAMS
            )
            name = team_channel_name(cohort, klass)
            if made is None and await steps.create_team_channel(
                session, settings, network=net, name=name, owner=owner, now=now
            ):
                report.teams_channels[net.key] = name
    for net in networks.values():
        if steps.channel_of(net):  # none without Slack
            report.channels[net.key] = steps.channel_of(net)
            report.names[net.key] = net.slack_channel_name or net.name

    invites: dict[int, tuple[Network, list[str]]] = {}
    enrolled = await q.list_enrolled(session=session, cohort_id=cohort_id)
    accounts = await slack_ids(session, [person for _, person in enrolled])
    aad = (
        {
            pid: i.aad_object_id
            for pid, i in (
                await identities_by_person(
                    session=session,
                    person_ids=[p.id for _, p in enrolled if p.id is not None],
                    platform=steps.TEAMS,
                )
            ).items()
            if i.aad_object_id
        }
        if teams
        else {}
    )
    for enrolment, person in enrolled:
        targets = [cohort_net]
        if enrolment.class_id in networks:
            targets.append(networks[enrolment.class_id])
        account = accounts.get(person.id) if person.id is not None else None
        if enrolment.status in ACTIVE_STATUSES:
            for net in targets:
                joined = await _join(session, net, person, now)
                if joined and account and net.id is not None:
                    invites.setdefault(net.id, (net, []))[1].append(account)
            others = [n for k, n in networks.items() if k is not None and k != enrolment.class_id]
            if await _leave(
                session, settings, report, others, person, account, now, withdrawn=False
            ):
                assert person.id is not None
                report.moved.append(person.id)
            if teams and enrolment.class_id in networks:
                await _add_to_team_channel(
                    session, settings, report, networks[enrolment.class_id], person, aad, now
                )
        elif enrolment.status == EnrolmentStatus.WITHDRAWN:
            await _leave(session, settings, report, targets, person, account, now)
    for net, users in invites.values():
        await steps.invite(session, settings, network=net, user_ids=users, now=now)
        report.invited.extend(u for u in users if u not in report.invited)
    who, actor_id = _audit_actor(actor)
    await record_audit(
        session=session,
        actor=who,
        actor_id=actor_id,
        action="networks.sync",
        subject=f"cohort:{cohort_id}",
        detail={"invited": len(report.invited), "left": len(report.left)},
        flush=True,
    )
    return report


def team_channel_lines(report: SyncReport, *, cohort_name: str, locale: str) -> list[str]:
    """What a sync decided for the Teams class channels, for staff (in Teams or in Slack)."""
    from bot.messages import esc, t

    channels = ", ".join(esc(n) for n in report.teams_channels.values())
    lines = [
        t(
            "teams.sync.done",
            locale,
            cohort=esc(cohort_name),
            channels=channels or t("teams.sync.none", locale),
            added=len(report.teams_added),
            left=len(report.left),
            moved=len(report.moved),
        )
    ]
    if report.teams_missing:
        names = ", ".join(esc(n) for n in report.teams_missing)
        lines.append(t("teams.sync.missing", locale, names=names))
    return lines


def team_channel_name(cohort: Cohort, klass: CohortClass) -> str:
    """The neutral name of a class's Teams channel; the adapter makes it a valid one."""
    return f"{klass.name} ({cohort.key})"


async def _channel_owner(
    session: AsyncSession, settings: Settings, actor: Actor | None
) -> str | None:
    """The private channels' first owner: TEAMS_CHANNEL_OWNER, else the staff member syncing."""
    if settings.teams_channel_owner:
        return settings.teams_channel_owner
    if actor is None or actor.person_id is None:
        return None
    found = await identities_by_person(
        session=session, person_ids=[actor.person_id], platform=steps.TEAMS
    )
    identity = found.get(actor.person_id)
    return identity.aad_object_id if identity is not None else None


async def _add_to_team_channel(
    session: AsyncSession,
    settings: Settings,
    report: SyncReport,
    net: Network,
    person: Person,
    aad: dict[int, str],
    now: datetime,
) -> None:
    """Decide the person's add to the class's Teams channel, once per membership."""
    assert net.id is not None and person.id is not None
    user = aad.get(person.id)
    if user is None:
        if person.name not in report.teams_missing:
            report.teams_missing.append(person.name)
        return
    membership = await q.get_membership(session=session, network_id=net.id, person_id=person.id)
    assert membership is not None
    # Keyed by the membership's start: decided once per joining, again after leaving and
    # coming back, and for someone whose Entra id is new since the last sync.
    if await steps.add_team_channel_members(
        session,
        settings,
        network=net,
        user_ids=[user],
        since=membership.joined_at,
        now=now,
    ):
        report.teams_added.append(person.id)


async def _leave(
    session: AsyncSession,
    settings: Settings,
    report: SyncReport,
    targets: list[Network],
    person: Person,
    slack_user_id: str | None,
    now: datetime,
    *,
    withdrawn: bool = True,
) -> bool:
    """Close a withdrawn (or moved) participant's memberships in `targets`, take them out of
    the classes' Teams channels and, by policy, out of Slack; True if any was open."""
    left = False
    for net in targets:
        assert net.id is not None and person.id is not None
        m = await q.get_membership(session=session, network_id=net.id, person_id=person.id)
        if m is None or m.left_at is not None:
            continue
        m.left_at = now
        left = True
        if net.kind == NetworkKind.CLASS:
            identity = (
                await identities_by_person(
                    session=session, person_ids=[person.id], platform=steps.TEAMS
                )
            ).get(person.id)
            if identity is not None and identity.aad_object_id:
                await steps.remove_team_channel_member(
                    session,
                    settings,
                    network=net,
                    user_id=identity.aad_object_id,
                    now=now,
                    person_id=person.id,
                    since=m.joined_at,
                )
        if not withdrawn:
            continue
        if person.id not in report.left:
            report.left.append(person.id)
            # "No longer messaged": drop their pending check-in questions too.
            await delivery.cancel(
                session,
                now=now,
                person_id=person.id,
                kinds=[CHECKIN_KIND],
                reason=WITHDRAWN,
            )
        if settings.withdrawn_policy == "remove" and slack_user_id:
            await steps.kick(
                session,
                settings,
                network=net,
                user_id=slack_user_id,
                now=now,
                person_id=person.id,
            )
            report.removed.append(slack_user_id)
    return left


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
