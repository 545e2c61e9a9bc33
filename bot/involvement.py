"""Line-manager involvement figures: who answered each nudge, who said "done", and how fast."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.queries.report import nudge_answer_hours, nudge_figures_rows


@dataclass(frozen=True)
class NudgeFigures:
    """One nudge wave in one cohort."""

    nudge_id: int
    key: str
    title: str
    send_at: datetime
    nudged: int  # managers asked (one row per participant's manager)
    answered: int
    done: int
    escalated: int
    median_hours: float | None  # from sent to answered; None if nobody answered

    @property
    def share_answered(self) -> float | None:
        return self.answered / self.nudged if self.nudged else None

    @property
    def share_done(self) -> float | None:
        return self.done / self.nudged if self.nudged else None


async def involvement_by_cohort(
    session: AsyncSession, cohort_ids: Sequence[int]
) -> dict[int, list[NudgeFigures]]:
    """Return the figures of every nudge of several cohorts, keyed by cohort, in two queries."""
    hours: dict[int, list[float]] = defaultdict(list)
    for row in await nudge_answer_hours(session=session, cohort_ids=cohort_ids):
        if row.hours is not None:
            hours[row.nudge_id].append(float(row.hours))
    out: dict[int, list[NudgeFigures]] = {cid: [] for cid in cohort_ids}
    for r in await nudge_figures_rows(session=session, cohort_ids=cohort_ids):
        times = hours.get(r.nudge_id, [])
        out[r.cohort_id].append(
            NudgeFigures(
                nudge_id=r.nudge_id,
                key=r.key,
                title=r.title,
                send_at=r.send_at,
                nudged=int(r.nudged),
                answered=int(r.answered or 0),
                done=int(r.done or 0),
                escalated=int(r.escalated or 0),
                median_hours=round(median(times), 1) if times else None,
            )
        )
    return out


async def involvement_figures(session: AsyncSession, cohort_id: int) -> list[NudgeFigures]:
    """Return answer and "done" shares and the median answer time for each nudge of a cohort."""
    return (await involvement_by_cohort(session, [cohort_id]))[cohort_id]
