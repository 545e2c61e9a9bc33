"""Lookups for staff commands and App Home."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Cohort, CohortClass, Network, NetworkMembership
from storage.queries import broadcasts as bq
from storage.queries import networks as q


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


async def resolve_matching_network(session: AsyncSession, ref: str) -> Network | None:
    """The network that carries matching for "alumni" or a cohort key."""
    ref = ref.strip()
    key = "alumni:national" if ref.lower() == "alumni" else f"cohort:{ref}"
    return await q.get_network_by_key(session=session, key=key)


async def my_networks(
    session: AsyncSession, *, person_id: int
) -> list[tuple[Network, NetworkMembership]]:
    """The person's active networks (for App Home), with their membership settings."""
    rows = await q.list_person_memberships(session=session, person_id=person_id)
    return [(n, m) for m, n in rows]
