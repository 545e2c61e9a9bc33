"""Figures about peer matching for the annual report."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import NetworkKind
from storage.queries import networks as q


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
