"""Staff announcements: resolve an audience, preview the count, send through the outbox, report.

An audience is a scope (programme, cohort, class, peer groups, alumni, line managers) narrowed
by filters (county, service area, role). Sent as DMs, one delivery per person; line managers
who are not on Slack get it by email. Sent as a channel post, one delivery per channel. Only
urgent announcements may go outside quiet hours (the delivery engine moves the rest).

"role" filters on the person's position (e.g. "enhetsleder"), since the programme roles are
already the scopes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import delivery, steps
from bot.identities import reach, teams_identities
from bot.messages import format_when, t
from bot.networks import InvalidRequest
from bot.notifier import OutgoingMessage, Section
from bot.people import Actor, require_staff
from bot.reach import bounced, usable_email
from bot.settings import Settings
from bot.text import formatted
from storage.models import Broadcast, Cohort, DeliveryState, NetworkKind, Person
from storage.queries import broadcasts as q
from storage.queries import deliveries as dq
from storage.queries import networks as nq
from storage.queries.assignments import cancel_by_keys
from storage.queries.people import record_audit

SCOPES = ("programme", "cohort", "class", "peer_groups", "alumni", "line_managers")
MODES = ("dm", "channel")
MAX_TEXT = 3000  # one Slack section


@dataclass(frozen=True)
class Audience:
    """Who an announcement is for."""

    scope: str
    cohort: str | None = None  # cohort key
    klass: str | None = None  # class key or city, within the cohort
    counties: tuple[str, ...] = ()
    service_areas: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()

    @classmethod
    def parse(
        cls,
        spec: str,
        *,
        counties: tuple[str, ...] = (),
        service_areas: tuple[str, ...] = (),
        roles: tuple[str, ...] = (),
    ) -> Audience:
        """Read "cohort:2026h", "class:2026h/bergen", "peer_groups:2026h", "alumni", ..."""
        scope, _, rest = spec.strip().partition(":")
        scope = scope.strip().lower().replace("-", "_")
        if scope not in SCOPES:
            raise InvalidRequest(f"unknown audience {spec!r}: expected one of {', '.join(SCOPES)}")
        cohort, _, klass = rest.strip().partition("/")
        if scope in ("cohort", "class") and not cohort:
            raise InvalidRequest(f"{scope} needs a cohort key, e.g. {scope}:2026h")
        if scope == "class" and not klass:
            raise InvalidRequest("class needs a cohort and class, e.g. class:2026h/bergen")

        def clean(values: Iterable[str]) -> tuple[str, ...]:
            return tuple(v.strip() for v in values if v.strip())

        return cls(
            scope,
            cohort or None,
            klass or None,
            clean(counties),
            clean(service_areas),
            clean(roles),
        )

    def to_json(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @property
    def filtered(self) -> bool:
        return bool(self.counties or self.service_areas or self.roles)

    @property
    def fits_a_channel(self) -> bool:
        """Whether a channel post can honour the filters (only alumni by county: the regions)."""
        if self.scope == "line_managers":
            return False
        return not self.filtered or (
            self.scope == "alumni" and not (self.service_areas or self.roles)
        )


@dataclass(frozen=True)
class AudienceChoice:
    """One audience staff can pick: its spec for `Audience.parse` and what to call it."""

    spec: str
    scope: str
    cohort: str | None = None  # the cohort's name
    klass: str | None = None  # the class's name


@dataclass(frozen=True)
class AudienceChoices:
    """What the announcement form offers: audiences, and the values to filter on."""

    audiences: list[AudienceChoice]
    counties: list[str] = field(default_factory=list)
    service_areas: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)


async def audience_choices(
    session: AsyncSession, *, actor: Actor | None, limit: int = 100
) -> AudienceChoices:
    """List the audiences and filter values staff can pick from, at most `limit` of each."""
    if actor is not None:
        require_staff(actor)
    cohorts = await q.list_active_cohorts(session=session)
    ids = [c.id for c in cohorts if c.id is not None]
    classes = await q.list_classes_of(session=session, cohort_ids=ids)
    grouped = {
        g.cohort_id for g in await q.networks_of(session=session, kind=NetworkKind.PEER_GROUP)
    }
    audiences = [AudienceChoice("programme", "programme")]
    for c in cohorts:
        audiences.append(AudienceChoice(f"cohort:{c.key}", "cohort", c.name))
        audiences += [
            AudienceChoice(f"class:{c.key}/{k.key}", "class", c.name, k.name)
            for k in classes
            if k.cohort_id == c.id
        ]
        if c.id in grouped:
            audiences.append(AudienceChoice(f"peer_groups:{c.key}", "peer_groups", c.name))
        audiences.append(AudienceChoice(f"line_managers:{c.key}", "line_managers", c.name))
    audiences.append(AudienceChoice("alumni", "alumni"))
    audiences += [
        AudienceChoice(f"alumni:{c.key}", "alumni", c.name)
        for c in await q.list_completed_cohorts(session=session)
    ]

    async def values(name: Any) -> list[str]:
        return await q.distinct_person_values(session=session, field=name, limit=limit)

    return AudienceChoices(
        audiences[:limit],
        await values("county"),
        await values("service_area"),
        await values("position"),
    )


def check(
    audience: Audience, *, text: str, mode: str, send_at: datetime | None, now: datetime
) -> dict[str, str]:
    """Say what is wrong with an announcement before resolving it: field -> message key.

    Fields are "text", "mode" and "when". A time in the current minute is not in the past:
    pickers choose whole minutes.
    """
    problems: dict[str, str] = {}
    if not text.strip():
        problems["text"] = "broadcast.error.no_text"
    elif len(text.strip()) > MAX_TEXT:
        problems["text"] = "broadcast.error.too_long"
    if mode == "channel" and audience.scope == "line_managers":
        problems["mode"] = "broadcast.error.no_channel"
    elif mode == "channel" and not audience.fits_a_channel:
        problems["mode"] = "broadcast.error.channel_filters"
    if send_at is not None and send_at < now.replace(second=0, microsecond=0):
        problems["when"] = "broadcast.error.past"
    return problems


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
        if p.slack_user_id and p.slack_active:
            recipients.append(
                Recipient("slack", p.slack_user_id, kind, p.name, p.id, p.locale, p.timezone)
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


def _message(text: str, locale: str, broadcast_id: int, urgent: bool) -> OutgoingMessage:
    title = t("broadcast.title.urgent" if urgent else "broadcast.title", locale)
    # Staff's words: their *bold* and _italic_ work, but never a ping, mention or disguised link.
    text = formatted(text)
    return OutgoingMessage(
        text=text,
        title=title,
        subject=title,
        sections=(Section(text=text),),
        locale=locale,
        meta={"broadcast_id": broadcast_id},
    )


async def send(
    session: AsyncSession,
    settings: Settings,
    *,
    actor: Actor | None,
    audience: Audience,
    text: str,
    mode: str = "dm",
    send_at: datetime,
    urgent: bool = False,
    actor_label: str = "cli",
    now: datetime | None = None,
) -> Broadcast:
    """Record the announcement and enqueue one delivery per recipient, in one transaction.

    `actor` None is the command line (trusted); a Slack actor must be staff. `now` (the
    caller's clock) stamps the deliveries.
    """
    if actor is not None:
        require_staff(actor)
    text = text.strip()
    if not text:
        raise InvalidRequest("the announcement has no text")
    if len(text) > MAX_TEXT:
        raise InvalidRequest(f"the announcement is longer than {MAX_TEXT} characters")
    resolved = await resolve(session, audience, mode)
    if not resolved.recipients:
        raise InvalidRequest("nobody is in this audience")
    broadcast = await q.create_broadcast(
        session=session,
        created_by_id=actor.person_id if actor else None,
        audience=audience.to_json(),
        text=text,
        mode=mode,
        send_at=send_at,
        urgent=urgent,
        recipient_count=resolved.count,
    )
    assert broadcast.id is not None
    for r in resolved.recipients:
        await delivery.schedule(
            session,
            key=f"broadcast:{broadcast.id}:{r.transport}:{r.target}",
            transport=r.transport,
            kind="announcement",
            target=r.target,
            message=_message(text, r.locale, broadcast.id, urgent),
            send_at=send_at,
            audience=r.audience,
            settings=settings,
            person_id=r.person_id,
            source=f"broadcast:{broadcast.id}",
            urgent=urgent,
            tz=r.tz,
            now=now,
        )
    who = f"person:{actor.person_id}" if actor and actor.person_id else actor_label
    await record_audit(
        session=session,
        actor=who,
        actor_id=actor.person_id if actor else None,
        action="broadcasts.send",
        subject=f"broadcast:{broadcast.id}",
        detail={"audience": audience.to_json(), "mode": mode, "recipients": resolved.count},
        flush=True,
    )
    return broadcast


@dataclass(frozen=True)
class DeliveryReport:
    """How an announcement went: counts by state, and each failure with its reason."""

    broadcast_id: int
    total: int
    counts: dict[str, int]
    failures: list[tuple[str, str, str]]  # (who or where, transport, reason)
    # Deliveries that may have arrived twice (or more), and at most how many extra copies:
    # counted from attempts whose outcome the outbox does not know.
    maybe_twice: int = 0
    extra_copies: int = 0

    @property
    def sent(self) -> int:
        return self.counts.get(DeliveryState.SENT, 0)

    @property
    def failed(self) -> int:
        return self.counts.get(DeliveryState.FAILED, 0)

    @property
    def waiting(self) -> int:
        return sum(
            self.counts.get(s, 0)
            for s in (DeliveryState.PENDING, DeliveryState.CLAIMED, DeliveryState.UNCERTAIN)
        )


async def delivery_report(
    session: AsyncSession, broadcast_id: int, *, actor: Actor | None = None
) -> DeliveryReport:
    """Count the announcement's deliveries by state and list failures with reasons."""
    if actor is not None:
        require_staff(actor)
    if await q.get_broadcast(session=session, broadcast_id=broadcast_id) is None:
        raise InvalidRequest(f"unknown announcement {broadcast_id}")
    rows = await q.deliveries_for_source(session=session, source=f"broadcast:{broadcast_id}")
    people = await nq.get_people(
        session=session, person_ids=[r.person_id for r in rows if r.person_id is not None]
    )
    failures = []
    named: list[int] = []
    for r in rows:
        if r.state == DeliveryState.FAILED:
            person = people.get(r.person_id) if r.person_id is not None else None
            failures.append((person.name if person else r.target, r.transport, r.error or "?"))
            if r.person_id is not None:
                named.append(r.person_id)
    # The failures name people: audited from Slack and from the command line alike.
    await record_audit(
        session=session,
        actor=f"person:{actor.person_id}" if actor is not None else "cli",
        actor_id=actor.person_id if actor is not None else None,
        action="broadcasts.report",
        subject=f"broadcast:{broadcast_id}",
        detail={"person_ids": sorted(set(named)), "shown": len(set(named))},
    )
    dupes, _ = await dq.duplicate_figures(session=session, sources=[f"broadcast:{broadcast_id}"])
    return DeliveryReport(
        broadcast_id,
        len(rows),
        dict(Counter(r.state for r in rows)),
        failures,
        dupes.deliveries,
        dupes.extra_copies,
    )


# --- scheduled announcements: list, change, cancel -----------------------------------------

NOT_STARTED = (DeliveryState.PENDING, DeliveryState.CANCELLED)


@dataclass(frozen=True)
class BroadcastSummary:
    """One announcement as staff see it in the list: when, to whom, how far it has got.

    `status`: scheduled (nothing has gone yet), sending, sent, cancelled, or held (every
    pending delivery waits for a transport that is not configured).
    """

    id: int
    send_at: datetime
    audience: Audience
    mode: str
    urgent: bool
    text: str
    counts: dict[str, int]
    by_transport: dict[str, int]
    held: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def started(self) -> bool:
        return any(n for state, n in self.counts.items() if state not in NOT_STARTED)

    @property
    def status(self) -> str:
        pending = self.counts.get(DeliveryState.PENDING, 0)
        if self.total and self.counts.get(DeliveryState.CANCELLED, 0) == self.total:
            return "cancelled"
        if not self.started:
            return "held" if pending and self.held == pending else "scheduled"
        if pending or self.counts.get(DeliveryState.CLAIMED, 0):
            return "sending"
        return "sent"


def _audience_of(data: dict[str, Any]) -> Audience:
    return Audience(
        scope=str(data.get("scope", "programme")),
        cohort=data.get("cohort"),
        klass=data.get("klass"),
        counties=tuple(data.get("counties") or ()),
        service_areas=tuple(data.get("service_areas") or ()),
        roles=tuple(data.get("roles") or ()),
    )


def _summary(b: Broadcast, rows: list[Any]) -> BroadcastSummary:
    assert b.id is not None
    counts: Counter[str] = Counter()
    by_transport: Counter[str] = Counter()
    held = 0
    for r in rows:
        counts[str(r.state)] += int(r.n)
        if r.state != DeliveryState.CANCELLED:
            by_transport[str(r.transport)] += int(r.n)
        if r.state == DeliveryState.PENDING:
            held += int(r.held or 0)
    return BroadcastSummary(
        b.id,
        b.send_at,
        _audience_of(b.audience),
        b.mode,
        b.urgent,
        b.text,
        dict(counts),
        dict(by_transport),
        held,
    )


async def list_broadcasts(
    session: AsyncSession, *, actor: Actor | None, now: datetime, days: int = 14
) -> list[BroadcastSummary]:
    """Announcements still to go or still going, and those of the last `days` days, newest
    first by send time."""
    if actor is not None:
        require_staff(actor)
    found = await q.recent_broadcasts(session=session, since=now - timedelta(days=days))
    counts = await q.delivery_counts_by_source(
        session=session, sources=[f"broadcast:{b.id}" for b in found]
    )
    return [_summary(b, counts.get(f"broadcast:{b.id}", [])) for b in found]


async def get_summary(session: AsyncSession, broadcast_id: int) -> BroadcastSummary:
    """One announcement's summary; InvalidRequest if there is none."""
    b = await q.get_broadcast(session=session, broadcast_id=broadcast_id)
    if b is None or b.id is None:
        raise InvalidRequest(f"unknown announcement {broadcast_id}")
    counts = await q.delivery_counts_by_source(session=session, sources=[f"broadcast:{b.id}"])
    return _summary(b, counts.get(f"broadcast:{b.id}", []))


def _refuse_started(summary: BroadcastSummary, verb: str) -> None:
    if summary.status == "cancelled":
        raise InvalidRequest(f"announcement {summary.id} is cancelled already")
    if summary.started:
        raise InvalidRequest(
            f"announcement {summary.id} has started going out "
            f"({summary.counts.get(DeliveryState.SENT, 0)} sent): it can no longer be {verb}"
        )


async def cancel_broadcast(
    session: AsyncSession,
    broadcast_id: int,
    *,
    actor: Actor | None,
    now: datetime,
    actor_label: str = "cli",
) -> int:
    """Cancel an announcement that has not started; returns how many deliveries were cancelled.

    Raises InvalidRequest for an unknown announcement, or one that has started (a message
    already sent cannot be unsent, and half an audience is worse than all or none).
    """
    if actor is not None:
        require_staff(actor)
    summary = await get_summary(session, broadcast_id)
    _refuse_started(summary, "cancelled")
    cancelled = await delivery.cancel(
        session,
        source=f"broadcast:{broadcast_id}",
        reason="announcement cancelled by staff",
        now=now,
    )
    await record_audit(
        session=session,
        actor=f"person:{actor.person_id}" if actor and actor.person_id else actor_label,
        actor_id=actor.person_id if actor else None,
        action="broadcasts.cancel",
        subject=f"broadcast:{broadcast_id}",
        detail={"deliveries": cancelled},
    )
    return cancelled


async def change_broadcast(
    session: AsyncSession,
    settings: Settings,
    broadcast_id: int,
    *,
    actor: Actor | None,
    now: datetime,
    text: str | None = None,
    send_at: datetime | None = None,
    actor_label: str = "cli",
) -> BroadcastSummary:
    """Change the text or the time of an announcement that has not started.

    The audience is resolved again, so the change reaches who is in it now: deliveries of
    people who left are cancelled, newcomers get one. Raises InvalidRequest as `send` does,
    and for an announcement that has started or a time in the past.
    """
    if actor is not None:
        require_staff(actor)
    summary = await get_summary(session, broadcast_id)
    _refuse_started(summary, "changed")
    b = await q.get_broadcast(session=session, broadcast_id=broadcast_id)
    assert b is not None and b.id is not None
    new_text = (text if text is not None else b.text).strip()
    new_time = send_at if send_at is not None else b.send_at
    problems = check(summary.audience, text=new_text, mode=b.mode, send_at=new_time, now=now)
    if problems:
        raise InvalidRequest(", ".join(t(k, "en") for k in problems.values()))
    resolved = await resolve(session, summary.audience, b.mode)
    if not resolved.recipients:
        raise InvalidRequest("nobody is in this audience any more: cancel it instead")
    await q.update_broadcast(
        session=session,
        broadcast_id=b.id,
        text=new_text,
        send_at=new_time,
        recipient_count=resolved.count,
    )
    wanted = set()
    for r in resolved.recipients:
        key = f"broadcast:{b.id}:{r.transport}:{r.target}"
        wanted.add(key)
        await delivery.schedule(
            session,
            now=now,
            key=key,
            transport=r.transport,
            kind="announcement",
            target=r.target,
            message=_message(new_text, r.locale, b.id, b.urgent),
            send_at=new_time,
            audience=r.audience,
            settings=settings,
            person_id=r.person_id,
            source=f"broadcast:{b.id}",
            urgent=b.urgent,
            tz=r.tz,
            replace_pending=True,
        )
    gone = [
        k
        for k in await q.pending_keys(session=session, source=f"broadcast:{b.id}")
        if k not in wanted
    ]
    await cancel_by_keys(session=session, dedupe_keys=gone, reason="left the audience", now=now)
    changed = [f for f, v in (("text", text), ("send_at", send_at)) if v is not None]
    await record_audit(
        session=session,
        actor=f"person:{actor.person_id}" if actor and actor.person_id else actor_label,
        actor_id=actor.person_id if actor else None,
        action="broadcasts.change",
        subject=f"broadcast:{b.id}",
        detail={"changed": changed, "recipients": resolved.count, "cancelled": len(gone)},
    )
    return await get_summary(session, b.id)


# --- what the preview and the list say -----------------------------------------------------


async def audience_label(session: AsyncSession, audience: Audience, locale: str) -> str:
    """The audience in staff's words: "Kull 2026 høst – Bergen", "Alumni", with its filters."""
    cohort = (
        await nq.get_cohort_by_key(session=session, key=audience.cohort)
        if audience.cohort
        else None
    )
    cohort_name = cohort.name if cohort else (audience.cohort or "")
    klass = audience.klass or ""
    if cohort is not None and cohort.id is not None and audience.klass:
        found = await q.find_class(session=session, cohort_id=cohort.id, ref=audience.klass)
        klass = found.name if found else klass
    if audience.scope == "alumni":
        key = "broadcast.audience.alumni_cohort" if audience.cohort else "broadcast.audience.alumni"
    else:
        key = f"broadcast.audience.{audience.scope}"
    label = t(key, locale, cohort=cohort_name, klass=klass)
    filters = [*audience.counties, *audience.service_areas, *audience.roles]
    if filters:
        label += " (" + ", ".join(filters) + ")"
    return label


def preview_lines(
    preview: Preview,
    *,
    audience_text: str,
    mode: str,
    send_at: datetime | None,
    urgent: bool,
    email_configured: bool,
    locale: str,
    tz: str,
) -> list[str]:
    """Audience, where, when, and how many by Slack, by email and not at all: for the preview."""
    by = preview.by_transport
    slack, email = by.get("slack", 0), by.get("email", 0)
    unreachable = len(preview.unreachable) + (0 if email_configured else email)
    if mode == "channel":
        where = t(
            "broadcast.where.channels",
            locale,
            channels=", ".join(r.label for r in preview.recipients),
        )
    else:
        where = t("broadcast.where.dm", locale)
    when = (
        t("broadcast.when.at", locale, when=format_when(send_at, locale, tz))
        if send_at is not None
        else t("broadcast.when.now", locale)
    )
    if not urgent:
        when += " " + t("broadcast.when.quiet", locale)
    lines = [
        t("broadcast.preview.audience", locale, audience=audience_text),
        t("broadcast.preview.where", locale, where=where),
        t("broadcast.preview.when", locale, when=when),
        t(
            "broadcast.preview.counts",
            locale,
            count=preview.count,
            slack=slack,
            email=email,
            unreachable=unreachable,
        ),
    ]
    if not email_configured and email:
        lines.append(t("broadcast.preview.email_held", locale, n=email))
    if preview.unreachable:
        lines.append(t("broadcast.confirm.unreachable", locale, count=len(preview.unreachable)))
    return lines
