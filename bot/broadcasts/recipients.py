"""Resolve an audience to its recipients (DM, Teams, email, channels) and preview the count."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import steps
from bot.broadcasts.audience import MODES, Audience
from bot.identities import reach, slack_identities, teams_identities
from bot.networks import InvalidRequest
from bot.people import Actor, require_staff
from bot.reach import bounced, usable_email
from storage.models import Cohort, NetworkKind, Person
from storage.queries import broadcasts as q
from storage.queries import networks as nq


@dataclass(frozen=True)
class Recipient:
    """One delivery target: a person (DM or email) or a channel."""

    transport: str  # slack | email
    target: str
    audience: str  # participant | alumni | line_manager | channel: picks the quiet hours
    label: str
    person_id: int | None = None
    locale: str = "nb"
    tz: str | None = None


@dataclass(frozen=True)
class Preview:
    recipients: list[Recipient]
    unreachable: list[str] = field(default_factory=list)  # names with neither Slack nor email route

    @property
    def count(self) -> int:
        return len(self.recipients)

    @property
    def by_transport(self) -> dict[str, int]:
        return dict(Counter(r.transport for r in self.recipients))


def _matches(value: str | None, wanted: tuple[str, ...], *, contains: bool = False) -> bool:
    if not wanted:
        return True
    have = (value or "").casefold()
    if contains:
        return any(w.casefold() in have for w in wanted)
    return have in {w.casefold() for w in wanted}


async def _cohort(session: AsyncSession, key: str | None) -> Cohort | None:
    if key is None:
        return None
    cohort = await nq.get_cohort_by_key(session=session, key=key)
    if cohort is None:
        raise InvalidRequest(f"unknown cohort {key!r}")
    return cohort


async def _class_id(session: AsyncSession, cohort: Cohort | None, ref: str | None) -> int | None:
    if ref is None:
        return None
    if cohort is None or cohort.id is None:
        raise InvalidRequest("a class needs its cohort, e.g. class:2026h/bergen")
    klass = await q.find_class(session=session, cohort_id=cohort.id, ref=ref)
    if klass is None:
        raise InvalidRequest(f"unknown class {ref!r} in {cohort.key}")
    return klass.id


async def _people(session: AsyncSession, audience: Audience) -> tuple[list[Person], str]:
    """The people in scope, and the quiet-hours audience they belong to."""
    cohort = await _cohort(session, audience.cohort)
    class_id = await _class_id(session, cohort, audience.klass)
    cohort_ids = [cohort.id] if cohort is not None and cohort.id is not None else None
    if audience.scope == "programme":
        ids = [c.id for c in await q.list_active_cohorts(session=session) if c.id is not None]
        return await q.participants(session=session, cohort_ids=ids), "participant"
    if audience.scope in ("cohort", "class"):
        people = await q.participants(session=session, cohort_ids=cohort_ids, class_id=class_id)
        return people, "participant"
    if audience.scope == "peer_groups":
        groups = await q.networks_of(
            session=session,
            kind=NetworkKind.PEER_GROUP,
            cohort_id=cohort.id if cohort else None,
            class_id=class_id,
        )
        ids = [g.id for g in groups if g.id is not None]
        return await q.network_members(session=session, network_ids=ids), "participant"
    if audience.scope == "alumni":
        return await q.consenting_alumni(
            session=session, cohort_id=cohort.id if cohort else None
        ), "alumni"
    people = await q.line_managers(session=session, cohort_ids=cohort_ids, class_id=class_id)
    return people, "line_manager"


async def _channels(session: AsyncSession, audience: Audience) -> list[Recipient]:
    cohort = await _cohort(session, audience.cohort)
    class_id = await _class_id(session, cohort, audience.klass)
    if audience.scope == "line_managers":
        raise InvalidRequest("line managers have no channel: send the announcement as DMs")
    if not audience.fits_a_channel:
        raise InvalidRequest("filters apply to DMs only: a channel post reaches the whole channel")
    if audience.scope == "alumni":
        kind = NetworkKind.ALUMNI_REGION if audience.counties else NetworkKind.ALUMNI_NATIONAL
        networks = [
            n
            for n in await q.networks_of(session=session, kind=kind)
            if not audience.counties or _matches(n.region, audience.counties)
        ]
    elif audience.scope == "programme":
        networks = []
        for c in await q.list_active_cohorts(session=session):
            networks += await q.networks_of(
                session=session, kind=NetworkKind.COHORT, cohort_id=c.id
            )
    else:
        kind = {
            "cohort": NetworkKind.COHORT,
            "class": NetworkKind.CLASS,
            "peer_groups": NetworkKind.PEER_GROUP,
        }[audience.scope]
        networks = await q.networks_of(
            session=session,
            kind=kind,
            cohort_id=cohort.id if cohort else None,
            class_id=class_id,
        )
    # A channel decided but not made yet (bot.steps) has its name: the post waits for it.
    missing = [n.name for n in networks if not n.slack_channel_id and not n.slack_channel_name]
    if missing or not networks:
        raise InvalidRequest("no channel for this audience yet: sync the cohort's channels first")
    return [
        Recipient("slack", steps.channel_of(n), "channel", f"#{n.slack_channel_name or n.name}")
        for n in networks
    ]


async def resolve(session: AsyncSession, audience: Audience, mode: str) -> Preview:
    """Work out who (or which channels) an announcement reaches."""
    if mode not in MODES:
        raise InvalidRequest(f"unknown mode {mode!r}: expected dm or channel")
    if mode == "channel":
        return Preview(await _channels(session, audience))
    people, kind = await _people(session, audience)
    teams = await teams_identities(session, [p.id for p in people if p.id is not None])
    slack = await slack_identities(session, [p.id for p in people if p.id is not None])
    refused = await bounced(session, [p.email for p in people if p.email])
    recipients: list[Recipient] = []
    unreachable: list[str] = []
    for p in people:
        if not (
            _matches(p.county, audience.counties)
            and _matches(p.service_area, audience.service_areas)
            and _matches(p.position, audience.roles, contains=True)
        ):
            continue
        on_slack = slack.get(p.id) if p.id is not None else None
        if on_slack is not None and on_slack.active:
            recipients.append(
                Recipient("slack", on_slack.user_id, kind, p.name, p.id, p.locale, p.timezone)
            )
        elif p.id in teams:
            where = reach(email=p.email, teams=teams[p.id])
            recipients.append(
                Recipient(where.transport, where.target, kind, p.name, p.id, p.locale, p.timezone)
            )
        elif usable_email(p.email) and p.email not in refused:
            # Not in Slack or Teams (line managers often, some participants): by email.
            recipients.append(Recipient("email", p.email, kind, p.name, p.id, p.locale, p.timezone))
        else:
            unreachable.append(p.name)
    return Preview(recipients, unreachable)


async def preview(
    session: AsyncSession, *, actor: Actor | None, audience: Audience, mode: str = "dm"
) -> Preview:
    """Show staff who an announcement would reach, before they confirm."""
    if actor is not None:
        require_staff(actor)
    return await resolve(session, audience, mode)
