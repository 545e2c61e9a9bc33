"""Networks, memberships, matching rounds, check-ins and the directory."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from itertools import combinations

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Cohort,
    CohortClass,
    Enrolment,
    MatchBlock,
    MatchCheckin,
    MatchGroup,
    MatchRound,
    Network,
    NetworkChannel,
    NetworkMembership,
    Person,
)

# --- cohorts and enrolments -----------------------------------------------------------------


async def get_cohort(*, session: AsyncSession, cohort_id: int) -> Cohort | None:
    return await session.get(Cohort, cohort_id)


async def get_cohort_by_key(*, session: AsyncSession, key: str) -> Cohort | None:
    result = await session.execute(select(Cohort).where(col(Cohort.key) == key))
    return result.scalar_one_or_none()


async def list_classes(*, session: AsyncSession, cohort_id: int) -> list[CohortClass]:
    result = await session.execute(
        select(CohortClass)
        .where(col(CohortClass.cohort_id) == cohort_id)
        .order_by(col(CohortClass.key))
    )
    return list(result.scalars())


async def get_class(*, session: AsyncSession, class_id: int) -> CohortClass | None:
    return await session.get(CohortClass, class_id)


async def list_enrolled(
    *, session: AsyncSession, cohort_id: int, class_id: int | None = None
) -> list[tuple[Enrolment, Person]]:
    """Every enrolment of a cohort (or one class) with its person, any status."""
    stmt = (
        select(Enrolment, Person)
        .join(Person, col(Person.id) == col(Enrolment.person_id))
        .where(col(Enrolment.cohort_id) == cohort_id)
        .order_by(col(Person.id))
    )
    if class_id is not None:
        stmt = stmt.where(col(Enrolment.class_id) == class_id)
    result = await session.execute(stmt)
    return [(e, p) for e, p in result.all()]


async def get_enrolment(
    *, session: AsyncSession, person_id: int, cohort_id: int
) -> Enrolment | None:
    result = await session.execute(
        select(Enrolment).where(
            col(Enrolment.person_id) == person_id, col(Enrolment.cohort_id) == cohort_id
        )
    )
    return result.scalar_one_or_none()


async def list_cohorts_due_for_completion(
    *, session: AsyncSession, today: datetime
) -> list[Cohort]:
    """Cohorts whose end date has passed and that are not yet marked completed."""
    result = await session.execute(
        select(Cohort).where(
            col(Cohort.end_date).is_not(None),
            col(Cohort.end_date) < today.date(),
            col(Cohort.status) != "completed",
        )
    )
    return list(result.scalars())


# --- networks and memberships --------------------------------------------------------------


async def get_network(*, session: AsyncSession, network_id: int) -> Network | None:
    return await session.get(Network, network_id)


async def get_network_by_key(*, session: AsyncSession, key: str) -> Network | None:
    result = await session.execute(select(Network).where(col(Network.key) == key))
    return result.scalar_one_or_none()


async def get_network_by_channel(*, session: AsyncSession, channel_id: str) -> Network | None:
    result = await session.execute(
        select(Network).where(col(Network.slack_channel_id) == channel_id).limit(1)
    )
    return result.scalar_one_or_none()


async def list_networks(
    *,
    session: AsyncSession,
    kind: str | None = None,
    cohort_id: int | None = None,
    class_id: int | None = None,
    include_archived: bool = False,
) -> list[Network]:
    stmt = select(Network).order_by(col(Network.id))
    if kind is not None:
        stmt = stmt.where(col(Network.kind) == kind)
    if cohort_id is not None:
        stmt = stmt.where(col(Network.cohort_id) == cohort_id)
    if class_id is not None:
        stmt = stmt.where(col(Network.class_id) == class_id)
    if not include_archived:
        stmt = stmt.where(col(Network.archived_at).is_(None))
    result = await session.execute(stmt)
    return list(result.scalars())


async def list_networks_due_for_matching(*, session: AsyncSession, now: datetime) -> list[Network]:
    result = await session.execute(
        select(Network)
        .where(
            col(Network.match_every_weeks).is_not(None),
            col(Network.next_match_at).is_not(None),
            col(Network.next_match_at) <= now,
            col(Network.archived_at).is_(None),
        )
        .order_by(col(Network.id))
    )
    return list(result.scalars())


async def get_membership(
    *, session: AsyncSession, network_id: int, person_id: int
) -> NetworkMembership | None:
    result = await session.execute(
        select(NetworkMembership).where(
            col(NetworkMembership.network_id) == network_id,
            col(NetworkMembership.person_id) == person_id,
        )
    )
    return result.scalar_one_or_none()


async def list_members(
    *, session: AsyncSession, network_id: int, include_left: bool = False
) -> list[tuple[NetworkMembership, Person]]:
    stmt = (
        select(NetworkMembership, Person)
        .join(Person, col(Person.id) == col(NetworkMembership.person_id))
        .where(col(NetworkMembership.network_id) == network_id)
        .order_by(col(Person.id))
    )
    if not include_left:
        stmt = stmt.where(col(NetworkMembership.left_at).is_(None))
    result = await session.execute(stmt)
    return [(m, p) for m, p in result.all()]


async def list_person_memberships(
    *, session: AsyncSession, person_id: int, kinds: Sequence[str] | None = None
) -> list[tuple[NetworkMembership, Network]]:
    stmt = (
        select(NetworkMembership, Network)
        .join(Network, col(Network.id) == col(NetworkMembership.network_id))
        .where(
            col(NetworkMembership.person_id) == person_id,
            col(NetworkMembership.left_at).is_(None),
            col(Network.archived_at).is_(None),
        )
        .order_by(col(Network.id))
    )
    if kinds is not None:
        stmt = stmt.where(col(Network.kind).in_(list(kinds)))
    result = await session.execute(stmt)
    return [(m, n) for m, n in result.all()]


# --- matching ------------------------------------------------------------------------------


async def list_blocks(*, session: AsyncSession, person_ids: Iterable[int]) -> list[tuple[int, int]]:
    """(person, blocked person) rows touching any of the people, in either direction."""
    ids = list(person_ids)
    if not ids:
        return []
    result = await session.execute(
        select(col(MatchBlock.person_id), col(MatchBlock.blocked_person_id)).where(
            or_(
                col(MatchBlock.person_id).in_(ids),
                col(MatchBlock.blocked_person_id).in_(ids),
            )
        )
    )
    return [(a, b) for a, b in result.all()]


async def add_block(*, session: AsyncSession, person_id: int, blocked_person_id: int) -> bool:
    """Add "don't match me with X"; False if it was there already."""
    existing = await session.execute(
        select(MatchBlock).where(
            col(MatchBlock.person_id) == person_id,
            col(MatchBlock.blocked_person_id) == blocked_person_id,
        )
    )
    if existing.scalar_one_or_none() is not None:
        return False
    session.add(MatchBlock(person_id=person_id, blocked_person_id=blocked_person_id))
    await session.flush()
    return True


async def pair_history(
    *, session: AsyncSession, network_ids: Iterable[int]
) -> Counter[frozenset[int]]:
    """How often each pair has been introduced in these networks."""
    ids = list(network_ids)
    counts: Counter[frozenset[int]] = Counter()
    if not ids:
        return counts
    result = await session.execute(
        select(col(MatchGroup.member_ids))
        .join(MatchRound, col(MatchRound.id) == col(MatchGroup.round_id))
        .where(col(MatchRound.network_id).in_(ids))
    )
    for (members,) in result.all():
        counts.update(frozenset(p) for p in combinations(sorted(members), 2))
    return counts


async def latest_round(
    *, session: AsyncSession, network_id: int, before_id: int | None = None
) -> MatchRound | None:
    stmt = select(MatchRound).where(col(MatchRound.network_id) == network_id)
    if before_id is not None:
        stmt = stmt.where(col(MatchRound.id) < before_id)
    result = await session.execute(stmt.order_by(col(MatchRound.id).desc()).limit(1))
    return result.scalar_one_or_none()


async def count_rounds(*, session: AsyncSession, network_id: int) -> int:
    result = await session.execute(
        select(col(MatchRound.id)).where(col(MatchRound.network_id) == network_id)
    )
    return len(result.all())


async def get_round(*, session: AsyncSession, round_id: int) -> MatchRound | None:
    return await session.get(MatchRound, round_id)


async def create_match_round(
    *,
    session: AsyncSession,
    network_id: int,
    started_at: datetime,
    midpoint_at: datetime,
    ends_at: datetime,
) -> MatchRound:
    """Insert a matching round and flush it so it has an id."""
    match_round = MatchRound(
        network_id=network_id, started_at=started_at, midpoint_at=midpoint_at, ends_at=ends_at
    )
    session.add(match_round)
    await session.flush()
    return match_round


async def create_match_group(
    *, session: AsyncSession, round_id: int, member_ids: Sequence[int]
) -> MatchGroup:
    """Insert one group of a round (its DM is opened later, by the outbox) and flush it."""
    group = MatchGroup(round_id=round_id, slack_channel_id=None, member_ids=list(member_ids))
    session.add(group)
    await session.flush()
    return group


async def create_network(
    *,
    session: AsyncSession,
    kind: str,
    key: str,
    name: str,
    cohort_id: int | None,
    class_id: int | None,
    region: str | None,
    is_private: bool,
    match_every_weeks: int | None,
    next_match_at: datetime | None,
) -> Network:
    """Insert a network (its channel is created by the caller) and flush it so it has an id."""
    network = Network(
        kind=kind,
        key=key,
        name=name,
        cohort_id=cohort_id,
        class_id=class_id,
        region=region,
        is_private=is_private,
        match_every_weeks=match_every_weeks,
        next_match_at=next_match_at,
    )
    session.add(network)
    await session.flush()
    return network


def add_membership(
    *, session: AsyncSession, network_id: int, person_id: int, joined_at: datetime, opt_in: bool
) -> NetworkMembership:
    """Add an active membership to the transaction (flushed with the caller's next write)."""
    membership = NetworkMembership(
        network_id=network_id, person_id=person_id, joined_at=joined_at, matching_opt_in=opt_in
    )
    session.add(membership)
    return membership


async def leave_memberships(
    *, session: AsyncSession, memberships: Iterable[NetworkMembership], now: datetime
) -> None:
    """Mark memberships as left (keeping an earlier leaving date) and flush."""
    for m in memberships:
        m.left_at = m.left_at or now
    await session.flush()


async def reset_ignored_intros(
    *, session: AsyncSession, membership: NetworkMembership | None
) -> None:
    """Clear the ignored-intro count after an answer, and flush the answer's changes."""
    if membership is not None:
        membership.ignored_intros = 0
    await session.flush()


async def save_profile(
    *,
    session: AsyncSession,
    person: Person,
    fields: dict[str, str | None],
    findable: bool | None,
    now: datetime,
) -> None:
    """Write a person's cleaned profile fields (and findable flag) and flush."""
    for name, value in fields.items():
        setattr(person, name, value)
    if findable is not None:
        person.findable = findable
    person.updated_at = now
    await session.flush()


async def set_next_match_at(
    *, session: AsyncSession, network: Network, next_match_at: datetime | None
) -> None:
    network.next_match_at = next_match_at
    await session.flush()


async def pause_memberships(
    *, session: AsyncSession, memberships: Iterable[NetworkMembership], until: date
) -> None:
    for m in memberships:
        m.paused_until = until
    await session.flush()


async def set_memberships_matching(
    *, session: AsyncSession, memberships: Iterable[NetworkMembership], opt_in: bool
) -> None:
    """Opt in or out; opting in also lifts a ghosting, its count and any pause."""
    for m in memberships:
        m.matching_opt_in = opt_in
        if opt_in:
            m.ghosted = False
            m.ignored_intros = 0
            m.paused_until = None
    await session.flush()


async def list_groups(*, session: AsyncSession, round_id: int) -> list[MatchGroup]:
    result = await session.execute(
        select(MatchGroup).where(col(MatchGroup.round_id) == round_id).order_by(col(MatchGroup.id))
    )
    return list(result.scalars())


async def get_group(*, session: AsyncSession, group_id: int) -> MatchGroup | None:
    return await session.get(MatchGroup, group_id)


async def list_checkins(*, session: AsyncSession, group_ids: Iterable[int]) -> list[MatchCheckin]:
    ids = list(group_ids)
    if not ids:
        return []
    result = await session.execute(select(MatchCheckin).where(col(MatchCheckin.group_id).in_(ids)))
    return list(result.scalars())


async def upsert_checkin(
    *, session: AsyncSession, group_id: int, person_id: int, answer: str, now: datetime
) -> MatchCheckin:
    """Record a "Did you meet?" answer; a later answer replaces an earlier one."""
    result = await session.execute(
        select(MatchCheckin).where(
            col(MatchCheckin.group_id) == group_id, col(MatchCheckin.person_id) == person_id
        )
    )
    checkin = result.scalar_one_or_none()
    if checkin is None:
        checkin = MatchCheckin(
            group_id=group_id, person_id=person_id, answer=answer, answered_at=now
        )
        session.add(checkin)
    else:
        checkin.answer = answer
        checkin.answered_at = now
    await session.flush()
    return checkin


async def groups_with_answers_for_cohort(
    *, session: AsyncSession, cohort_id: int
) -> list[tuple[MatchGroup, list[str]]]:
    """Every intro made in the cohort's networks, with the check-in answers it got."""
    result = await session.execute(
        select(MatchGroup)
        .join(MatchRound, col(MatchRound.id) == col(MatchGroup.round_id))
        .join(Network, col(Network.id) == col(MatchRound.network_id))
        .where(col(Network.cohort_id) == cohort_id)
        .order_by(col(MatchGroup.id))
    )
    groups = list(result.scalars())
    answers: dict[int, list[str]] = {g.id: [] for g in groups if g.id is not None}
    for checkin in await list_checkins(session=session, group_ids=answers):
        answers[checkin.group_id].append(checkin.answer)
    return [(g, answers.get(g.id or 0, [])) for g in groups]


# --- directory -----------------------------------------------------------------------------


async def list_findable_people(*, session: AsyncSession) -> list[Person]:
    """People who chose to be findable; filtering by words happens in Python (casefold, æøå)."""
    result = await session.execute(
        select(Person).where(col(Person.findable).is_(True)).order_by(col(Person.name))
    )
    return list(result.scalars())


async def get_person(*, session: AsyncSession, person_id: int) -> Person | None:
    return await session.get(Person, person_id)


async def get_people(*, session: AsyncSession, person_ids: Iterable[int]) -> dict[int, Person]:
    ids = list(set(person_ids))
    if not ids:
        return {}
    result = await session.execute(select(Person).where(col(Person.id).in_(ids)))
    return {p.id: p for p in result.scalars() if p.id is not None}


async def enrolment_places(
    *, session: AsyncSession, person_ids: Sequence[int]
) -> dict[int, tuple[str, str | None]]:
    """Each person's latest cohort key and class city (what matching mixes across)."""
    if not person_ids:
        return {}
    result = await session.execute(
        select(col(Enrolment.person_id), col(Cohort.key), col(CohortClass.city))
        .join(Cohort, col(Cohort.id) == col(Enrolment.cohort_id))
        .outerjoin(CohortClass, col(CohortClass.id) == col(Enrolment.class_id))
        .where(col(Enrolment.person_id).in_(list(person_ids)))
        .order_by(col(Enrolment.id))
    )
    return {pid: (key, city) for pid, key, city in result.all()}


async def list_person_enrolments(*, session: AsyncSession, person_id: int) -> list[Enrolment]:
    result = await session.execute(
        select(Enrolment).where(col(Enrolment.person_id) == person_id).order_by(col(Enrolment.id))
    )
    return list(result.scalars())


# --- channels on other platforms (network_channel) ------------------------------------------


async def get_network_channel(
    *, session: AsyncSession, network_id: int, platform: str
) -> NetworkChannel | None:
    result = await session.execute(
        select(NetworkChannel).where(
            col(NetworkChannel.network_id) == network_id, col(NetworkChannel.platform) == platform
        )
    )
    return result.scalar_one_or_none()


async def network_of_channel(
    *, session: AsyncSession, platform: str, container_id: str, channel_id: str
) -> int | None:
    """The network whose channel this is on `platform` (in `container_id`), if any."""
    result = await session.execute(
        select(col(NetworkChannel.network_id)).where(
            col(NetworkChannel.platform) == platform,
            col(NetworkChannel.container_id) == container_id,
            col(NetworkChannel.channel_id) == channel_id,
        )
    )
    return result.scalar_one_or_none()


async def save_network_channel(
    *,
    session: AsyncSession,
    network_id: int,
    platform: str,
    container_id: str,
    channel_id: str,
    name: str,
    now: datetime,
) -> NetworkChannel:
    """Store (or correct) the network's channel on `platform`."""
    row = await get_network_channel(session=session, network_id=network_id, platform=platform)
    if row is None:
        row = NetworkChannel(
            network_id=network_id,
            platform=platform,
            container_id=container_id,
            channel_id=channel_id,
            name=name,
            created_at=now,
        )
    else:
        row.container_id, row.channel_id, row.name = container_id, channel_id, name
    session.add(row)
    await session.flush()
    return row
