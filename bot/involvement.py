"""Line-manager involvement figures: who answered each nudge, who said "done", and how fast."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import median
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.messages import format_when, t
from storage.models import NudgeAnswerValue
from storage.queries.nudges import involvement_rows
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


def figure_line(f: NudgeFigures, *, locale: str, tz: str, title: str | None = None) -> str:
    """One nudge's line for staff (Slack and Teams alike): answered of nudged, share, "done",
    median hours. `title` is the nudge's title as the caller's surface must show it (escaped)."""
    share = f"{round(100 * f.share_answered)} %" if f.share_answered is not None else "–"
    hours = (
        t("nudge.figures.hours", locale, hours=f"{f.median_hours:g}")
        if f.median_hours is not None
        else "–"
    )
    return t(
        "nudge.figures.item",
        locale,
        title=f.title if title is None else title,
        when=format_when(f.send_at, locale, tz),
        answered=f.answered,
        nudged=f.nudged,
        share=share,
        done=f.done,
        hours=hours,
    )


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


# --- per class (line managers, bot/line_managers/) ------------------------------------------


async def involvement_by_class(
    session: AsyncSession, cohort_id: int
) -> dict[int | None, list[NudgeFigures]]:
    """Return the same figures for each class of a cohort (None: participants without a class).

    A participant counts in the class of their enrolment; `involvement_figures` is the cohort.
    """
    groups: dict[int | None, dict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for row in await involvement_rows(session=session, cohort_id=cohort_id):
        groups[row.class_id][row.nudge_id].append(row)
    out: dict[int | None, list[NudgeFigures]] = {}
    for class_id, by_nudge in groups.items():
        out[class_id] = []
        for rows in by_nudge.values():
            first = rows[0]
            hours = [
                (r.answered_at - (r.sent_at or r.send_at)).total_seconds() / 3600
                for r in rows
                if r.answered_at is not None
            ]
            out[class_id].append(
                NudgeFigures(
                    nudge_id=first.nudge_id,
                    key=first.key,
                    title=first.title,
                    send_at=first.send_at,
                    nudged=len(rows),
                    answered=sum(1 for r in rows if r.answer is not None),
                    done=sum(1 for r in rows if r.answer == NudgeAnswerValue.DONE),
                    escalated=sum(1 for r in rows if r.escalated_at is not None),
                    median_hours=round(median(hours), 1) if hours else None,
                )
            )
    return out
