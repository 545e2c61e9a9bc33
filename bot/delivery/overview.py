"""What staff see of the outbox: counts by state, failures, pauses and duplicate figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import SendingPause
from storage.queries import deliveries as q


@dataclass(frozen=True)
class DeliveryOverview:
    """Counts by state, recent failures with reasons and people, pauses: for App Home and CLI."""

    counts: dict[str, int]
    failures: list[q.FailedDeliveryRow]
    pauses: list[SendingPause]
    possibly_duplicated: int
    next_due_at: datetime | None
    held: dict[str, int] = field(default_factory=dict)  # transport -> deliveries held
    extra_copies: int = 0  # at most, over the `possibly_duplicated` deliveries
    duplicates_by_source: dict[str, q.DuplicateFigures] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def failed(self) -> int:
        """Every failed delivery, of which `failures` lists the newest."""
        return self.counts.get("failed", 0)


async def delivery_overview(session: AsyncSession, *, failures: int = 20) -> DeliveryOverview:
    """What the outbox looks like now, for staff.

    `possibly_duplicated` counts the deliveries that may have arrived more than once: each
    attempt whose outcome was not known (in flight at a crash, an answer lost, a 5xx) may
    have arrived, and so may the recorded send unless it found an earlier one arrived.
    """
    dupes, per_source = await q.duplicate_figures(session=session)
    return DeliveryOverview(
        counts=await q.count_deliveries_by_state(session=session),
        failures=await q.list_failed_deliveries(session=session, limit=failures),
        pauses=await q.list_pauses(session=session),
        possibly_duplicated=dupes.deliveries,
        next_due_at=await q.next_due_at(session=session),
        held=await q.count_held(session=session),
        extra_copies=dupes.extra_copies,
        duplicates_by_source=per_source,
    )
