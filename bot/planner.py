"""The planner: turns a cohort's plan into scheduled deliveries in the outbox.

`plan_deliveries` is the extension point that `cohortbot plan apply` calls after every apply,
in the same transaction. This is its minimal first version: it schedules nothing and returns 0.
The assignment, line-manager and pulse features fill it in (posts, reminders, nudges, pulses),
enqueueing with stable dedupe keys and `replace_pending=True`, so re-applying a plan reschedules
what is pending and never sends anything twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings


async def plan_deliveries(
    *, session: AsyncSession, cohort_id: int, settings: Settings, now: datetime
) -> int:
    """Schedule every delivery the cohort's plan implies; return how many were written."""
    del session, cohort_id, settings, now  # nothing scheduled yet; see the module docstring
    return 0
