"""What re-planning changes in the outbox, worked out in memory and written in small pieces.

The planner (`bot.planner`) and the line-manager waves (`bot.line_managers.planning`) each read
what they need once, compare the deliveries they want with the rows the outbox holds (by dedupe
key), and return a `PlanChanges`: the rows to insert, the still-pending rows to update and the
still-pending rows to cancel. Nothing is written while they work it out.

`write_changes` writes one piece in the caller's transaction with one statement per kind. Each
statement is safe against what happened since the read: an insert leaves an existing key alone,
an update or a cancellation touches only a row that is still pending (one the dispatcher claimed
meanwhile is sent as it was and recorded as sent, never changed or cancelled under it). So a
run cut off after any piece leaves rows the next run completes, and running twice writes once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import DeliveryState
from storage.queries import deliveries as dq
from storage.queries.assignments import cancel_by_keys

WRITE_CHUNK = 500  # rows per write transaction: each commits in well under a second
# The reasons re-planning cancels with. A row cancelled so (a participant withdrew, a manager
# no longer had anybody to be nudged about) comes back when the plan wants it again (they were
# reinstated) and its time has not passed; a row cancelled for any other reason never does.
NOT_IN_PLAN = "no longer in the plan"
NOT_NEEDED = "no longer needed"
RESTORABLE_REASONS = frozenset({NOT_IN_PLAN, NOT_NEEDED})


def restorable(row: dq.ExistingDelivery, send_at: datetime, now: datetime | None) -> bool:
    """Should the plan put this cancelled row back? Only one re-planning cancelled, and only
    while its new time is still ahead (one whose time passed is not sent late as if fresh)."""
    return (
        now is not None
        and row.state == DeliveryState.CANCELLED
        and row.error in RESTORABLE_REASONS
        and send_at > now
    )


@dataclass
class PlanChanges:
    """What re-planning changes in the outbox: only rows that differ are written."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    cancels: list[tuple[str, str]] = field(default_factory=list)  # (dedupe key, reason)
    restores: list[dict[str, Any]] = field(default_factory=list)  # cancelled rows wanted again
    wanted: int = 0  # deliveries the plan implies (new, changed and unchanged)

    @property
    def written(self) -> int:
        return len(self.inserts) + len(self.updates) + len(self.restores)

    @property
    def rows(self) -> int:
        """Rows a write of these changes touches (cancellations included)."""
        return self.written + len(self.cancels)

    def add(self, other: PlanChanges) -> PlanChanges:
        """These changes and `other`'s together (for writing both in the same pieces)."""
        self.inserts.extend(other.inserts)
        self.updates.extend(other.updates)
        self.cancels.extend(other.cancels)
        self.restores.extend(other.restores)
        self.wanted += other.wanted
        return self

    def chunks(self, size: int = WRITE_CHUNK) -> list[PlanChanges]:
        """The changes in pieces of at most `size` rows, for short write transactions.

        Cancellations come first, then updates, restores and inserts: a run cut off part-way
        has stopped what the plan no longer wants before it adds anything new.
        """
        out = []
        for what in ("cancels", "updates", "restores", "inserts"):
            rows = getattr(self, what)
            for i in range(0, len(rows), size):
                out.append(PlanChanges(**{what: rows[i : i + size]}))
        return out


async def write_changes(session: AsyncSession, changes: PlanChanges, *, now: datetime) -> int:
    """Write the changes in the caller's transaction, a statement per kind; rows written."""
    by_reason: dict[str, list[str]] = {}
    for key, reason in changes.cancels:
        by_reason.setdefault(reason, []).append(key)
    for reason, keys in by_reason.items():
        await cancel_by_keys(session=session, dedupe_keys=keys, reason=reason, now=now)
    await dq.update_pending_deliveries(session=session, rows=changes.updates, now=now)
    await dq.restore_cancelled_deliveries(
        session=session, rows=changes.restores, reasons=RESTORABLE_REASONS, now=now
    )
    await dq.insert_deliveries(session=session, rows=changes.inserts, now=now)
    return changes.written
