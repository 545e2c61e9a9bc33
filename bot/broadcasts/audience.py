"""Audiences of announcements: scopes and filters, the choices staff get, and their checks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.networks import InvalidRequest
from bot.people import Actor, require_staff
from storage.models import NetworkKind
from storage.queries import broadcasts as q

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
