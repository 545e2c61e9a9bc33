"""What every section of the report builder shares: the columns, the people, the headline."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.messages import t
from bot.report import rules
from bot.report.model import NO_DENOMINATOR, Cell
from bot.report.rules import Window
from bot.report.tables import Column, _Grid, _pct
from bot.settings import Settings


class SectionBase:
    def __init__(
        self,
        session: AsyncSession,
        settings: Settings,
        locale: str,
        *,
        year: int,
        last_year: int | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.k = settings.min_group_size
        self.loc = locale
        self.year = year
        self.last_year = last_year
        self.window = Window.years(year, last_year or year)
        self.cohorts: list[Any] = []
        self.ids: list[int] = []
        self.name_of: dict[int, str] = {}
        self.columns: list[Column] = []
        self.total_col: Column | None = None
        self.enrolments: list[Any] = []
        self.headline: dict[str, list[int]] = {}

    def tr(self, key: str, **values: object) -> str:
        return t(key, self.loc, **values)

    @property
    def total(self) -> str:
        return self.tr("report.total")

    @property
    def final(self) -> bool:
        return self.last_year is not None

    @property
    def labels(self) -> list[str]:
        return [c.label for c in self.columns]

    def rows_of(self, col: Column) -> list[Any]:
        if not hasattr(self, "_by_cohort"):
            self._by_cohort: dict[int, list[Any]] = defaultdict(list)
            for e in self.enrolments:
                self._by_cohort[e.cohort_id].append(e)
        return [e for cid in sorted(col.cohort_ids) for e in self._by_cohort.get(cid, [])]

    def count(self, col: Column, test: Callable[[Any, Window], bool]) -> int:
        return sum(1 for e in self.rows_of(col) if test(e, col.window))

    # --- summary and enrolment ----------------------------------------------------------

    MEASURES = (
        "applicants",
        "admitted",
        "started",
        "participants",
        "completed",
        "withdrawn",
        "dropouts",
        "not_started",
        "in_progress",
        "outcome_missing",
    )

    def _figures(self, col: Column) -> dict[str, int]:
        cache: dict[Column, dict[str, int]] = self.__dict__.setdefault("_figure_cache", {})
        if col not in cache:
            cache[col] = self._count_figures(col)
        return cache[col]

    def _count_figures(self, col: Column) -> dict[str, int]:
        w, rows = col.window, self.rows_of(col)

        def n(test: Callable[[Any], bool]) -> int:
            return sum(1 for e in rows if test(e))

        admitted = ("admitted", "active", "completed", "withdrawn", "not_started")
        return {
            "applicants": n(lambda e: rules.in_intake(e, w)),
            "admitted": n(
                lambda e: (
                    rules.in_intake(e, w)
                    and (e.status in admitted or e.admitted_on is not None)
                    and not (
                        e.status == "withdrawn" and e.admitted_on is None and not rules.started(e)
                    )
                )
            ),
            "started": n(lambda e: rules.in_intake(e, w) and rules.started(e)),
            "participants": n(lambda e: rules.participant_in(e, w)),
            "completed": n(lambda e: rules.completed_in(e, w)),
            "withdrawn": n(lambda e: rules.withdrawn_in(e, w)),
            "dropouts": n(lambda e: rules.withdrawn_in(e, w) and rules.started(e)),
            "not_started": n(lambda e: rules.not_started_in(e, w)),
            "in_progress": n(lambda e: rules.in_progress_at_end(e, w)),
            "outcome_missing": n(lambda e: rules.outcome_missing(e, w)),
        }

    def _rate_cell(self, values: dict[str, int], label: str, group: str) -> Cell:
        ended = values["completed"] + values["dropouts"]
        return Cell(
            _pct(values["completed"], ended),
            False,
            label,
            group,
            "completion_rate",
            unit="percent",
            missing="" if ended else NO_DENOMINATOR,
        )

    def _period(self) -> str:
        return f"{self.year}–{self.last_year}" if self.last_year else str(self.year)

    def _col_totals(self, measure: str) -> list[int]:
        return self.headline.get(measure, [])[: len(self.columns)]

    def _grid(
        self,
        *,
        row_keys: Sequence[str],
        counts: dict[tuple[str, int], int],
        total_measure: str,
    ) -> _Grid:
        grid = _Grid(
            row_keys,
            self.labels,
            counts,
            column_totals=self._col_totals(total_measure),
            total_column=not self.final,
            fixed_totals=True,
        )
        grid.solve(self.k)
        return grid


def _overlaps(c: Any, w: Window) -> bool:
    if c.start_date is not None and c.start_date > w.last:
        return False
    return not (c.end_date is not None and c.end_date < w.first)


def _day(moment: datetime | None) -> date | None:
    return moment.date() if moment is not None else None


def _in_window(moment: datetime | None, w: Window) -> bool:
    return moment is not None and w.holds(moment.date())


def _median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    mid = len(values) // 2
    value = values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
    return round(value, 1)
