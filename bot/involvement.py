"""Line-manager involvement figures: who answered each nudge, who said "done", and how fast."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import median
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import NudgeAnswerValue
from storage.queries.nudges import involvement_rows
from storage.queries.report import nudge_answer_rows


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


async def involvement_figures(session: AsyncSession, cohort_id: int) -> list[NudgeFigures]:
    """Return answer and "done" shares and the median answer time for each nudge of a cohort."""
    rows = await nudge_answer_rows(session=session, cohort_id=cohort_id)
    return _figures(rows)


def _figures(rows: list[Any]) -> list[NudgeFigures]:
    """Count one list of answer rows per nudge."""
    by_nudge: dict[int, list[Any]] = {}
    for row in rows:
        by_nudge.setdefault(row.nudge_id, []).append(row)
    figures: list[NudgeFigures] = []
    for nudge_rows in by_nudge.values():
        first = nudge_rows[0]
        hours = [
            (r.answered_at - (r.sent_at or r.send_at)).total_seconds() / 3600
            for r in nudge_rows
            if r.answered_at is not None
        ]
        figures.append(
            NudgeFigures(
                nudge_id=first.nudge_id,
                key=first.key,
                title=first.title,
                send_at=first.send_at,
                nudged=len(nudge_rows),
                answered=sum(1 for r in nudge_rows if r.answer is not None),
                done=sum(1 for r in nudge_rows if r.answer == NudgeAnswerValue.DONE),
                escalated=sum(1 for r in nudge_rows if r.escalated_at is not None),
                median_hours=round(median(hours), 1) if hours else None,
            )
        )
    return figures


# --- per class (line managers, bot/line_managers.py) ----------------------------------------


async def involvement_by_class(
    session: AsyncSession, cohort_id: int
) -> dict[int | None, list[NudgeFigures]]:
    """The same figures for each class of the cohort (key None: participants without a class).

    A participant counts in the class of their enrolment; the whole cohort is
    `involvement_figures`.
    """
    by_class: dict[int | None, list[Any]] = {}
    for row in await involvement_rows(session=session, cohort_id=cohort_id):
        by_class.setdefault(row.class_id, []).append(row)
    return {class_id: _figures(rows) for class_id, rows in by_class.items()}
