"""The annual status report (and the final report over several years), from recorded facts.

`build_annual_report` / `build_final_report` return a plain data structure (sections of tables of
cells, and chart data); `bot.report_render` turns it into HTML, XLSX or a tidy CSV. Every cell
carries its tidy coordinates (section, cohort, group, measure, category), so the CSV is the same
numbers as the tables, and its suppression flag, so every format marks hidden cells the same way.

What counts in which year is `bot.report_rules` (written out in docs/pulses-and-report.md).
Completion, dropout and results come only from recorded statuses, never from the calendar.

Disclosure control (`bot.suppression.LinearTable`): every table of people counts is solved as a
system of linear equations — its cells, its row and column totals, and the sums and means printed
with it (credits in total, credits per participant) — with the headline numbers of the first
section (started, participants, withdrawn per cohort) as fixed, published totals. No hidden small
cell can be worked out from what the same report shows. Headline flow numbers (applicants,
admitted, started, participants, completed, withdrawn) are programme statistics and are shown.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import report_rules as rules
from bot.enrolment_status import WITHDRAWAL_REASONS, reason_label
from bot.messages import normalise_locale, t
from bot.report_rules import Window
from bot.settings import Settings
from bot.suppression import LinearTable, suppress_groups
from storage.queries import report as q

SCALE_KINDS = ("scale5", "nps")

# Why a figure has no value (the tidy CSV's `missing` column; rendered as words, never "0 %").
NO_DENOMINATOR = "no_denominator"
NOT_SENT = "not_sent"
NOT_OPENED = "not_opened"
WITHHELD = "withheld"


@dataclass(frozen=True)
class Cell:
    """One number of the report with its tidy coordinates; `suppressed` hides the value."""

    value: float | int | None
    suppressed: bool = False
    cohort: str = ""
    group: str = ""
    measure: str = ""
    category: str = ""
    unit: str = "count"  # count | percent | mean | score | hours | credits
    missing: str = ""  # why there is no value: NO_DENOMINATOR, NOT_SENT, NOT_OPENED

    def shown(self) -> float | int | None:
        return None if self.suppressed else self.value


@dataclass
class Table:
    """A table: `columns[0]` labels the row headers; each row is (header, cells)."""

    key: str
    caption: str
    columns: list[str]
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)
    note: str | None = None
    withheld: bool = False  # too few people to show any breakdown

    @property
    def has_suppressed(self) -> bool:
        return any(c.suppressed for _, cells in self.rows for c in cells)


@dataclass
class Chart:
    """Data for one bar chart; rendered by `bot.report_render` (the tables hold the same numbers)."""

    key: str
    title: str
    categories: list[str]
    series: list[tuple[str, list[float | None]]]
    value_label: str
    horizontal: bool = False
    value_max: float | None = None  # fixed axis end, e.g. 5 for a 1–5 scale


@dataclass
class ReportSection:
    key: str
    title: str
    intro: str = ""
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


@dataclass
class AnnualReport:
    year: int
    locale: str
    generated_at: datetime
    min_group_size: int
    title: str
    cohorts: list[Any]
    sections: list[ReportSection]
    last_year: int | None = None  # the final report covers year..last_year

    @property
    def period(self) -> str:
        return f"{self.year}–{self.last_year}" if self.last_year else str(self.year)

    def tidy(self) -> Iterator[tuple[str, str, Cell]]:
        """Yield (section key, table key, cell) for every number in the report."""
        seen: set[tuple[str, str, str, str, str]] = set()
        for section in self.sections:
            for table in section.tables:
                for _, cells in table.rows:
                    for cell in cells:
                        key = (section.key, cell.cohort, cell.group, cell.measure, cell.category)
                        if key in seen:  # a figure repeated in two tables appears once
                            continue
                        seen.add(key)
                        yield section.key, table.key, cell


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _label(value: str | None, locale: str) -> str:
    return value.strip() if value and value.strip() else t("report.unknown", locale)


@dataclass(frozen=True)
class Column:
    """One column of figures: a cohort in the year, or a year in the final report."""

    label: str
    cohort_ids: frozenset[int]
    window: Window


def _fmt_credits(value: float, locale: str) -> str:
    text = f"{value:g}"
    return text.replace(".", ",") if locale == "nb" else text


class _Grid:
    """A count table (categories x columns) as linear equations, for suppression."""

    def __init__(
        self,
        row_keys: Sequence[str],
        columns: Sequence[str],
        counts: dict[tuple[str, int], int],
        *,
        column_totals: Sequence[int] | None,
        total_column: bool,
        fixed_totals: bool,
    ) -> None:
        self.lt = LinearTable(network=True)
        self.rows = list(row_keys)
        self.cols = list(columns)
        self.ids = [
            [self.lt.atom(counts.get((r, j), 0)) for j in range(len(self.cols))] for r in self.rows
        ]
        for i in range(len(self.rows)):
            for j in range(len(self.cols)):
                self.lt.publish(("cell", i, j), [self.ids[i][j]])
        self.total_column = total_column and len(self.cols) > 1
        if self.total_column:
            for i in range(len(self.rows)):
                self.lt.publish(("row", i), self.ids[i])
        for j in range(len(self.cols)):
            members = [self.ids[i][j] for i in range(len(self.rows))]
            value = column_totals[j] if column_totals is not None else None
            self.lt.publish(("col", j), members, fixed=fixed_totals, value=value)
        if self.total_column:
            self.lt.publish("grand", [a for r in self.ids for a in r], fixed=fixed_totals)
        self.hidden: set[Hashable] = set()

    def solve(self, min_n: int) -> set[Hashable]:
        self.hidden = self.lt.solve(min_n=min_n)
        return self.hidden

    def value(self, key: Hashable) -> float:
        return next(i.value for i in self.lt.items if i.key == key)


def grid_table(
    grid: _Grid,
    *,
    key: str,
    caption: str,
    row_label: str,
    row_names: Sequence[str],
    measure: str,
    total_label: str,
    extra: Sequence[tuple[str, list[Cell]]] = (),
    note: str | None = None,
) -> Table:
    """Render a solved grid: cells, a total column (several columns only), a total row."""
    cols = grid.cols
    header = [row_label, *cols] + ([total_label] if grid.total_column else [])
    table = Table(key=key, caption=caption, columns=header, note=note, withheld=grid.lt.withheld)
    h = grid.hidden
    for i, (code, name) in enumerate(zip(grid.rows, row_names, strict=True)):
        cells = [
            Cell(int(grid.value(("cell", i, j))), ("cell", i, j) in h, c, name, measure, code)
            for j, c in enumerate(cols)
        ]
        if grid.total_column:
            cells.append(
                Cell(int(grid.value(("row", i))), ("row", i) in h, total_label, name, measure, code)
            )
        table.rows.append((name, cells))
    totals = [
        Cell(int(grid.value(("col", j))), ("col", j) in h, c, total_label, measure, "")
        for j, c in enumerate(cols)
    ]
    if grid.total_column:
        totals.append(
            Cell(int(grid.value("grand")), "grand" in h, total_label, total_label, measure)
        )
    table.rows.append((total_label, totals))
    table.rows.extend(extra)
    return table


class _Builder:
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

    async def enrolment(self) -> ReportSection:
        measures = self.MEASURES
        table = Table(
            key="enrolment",
            caption=self.tr("report.enrolment.caption", year=self._period()),
            columns=[
                self.tr("report.cohort" if not self.final else "report.year"),
                *(self.tr(f"report.enrolment.{m}") for m in measures),
                self.tr("report.enrolment.completion_rate"),
            ],
        )
        cols = [*self.columns, *([self.total_col] if self.total_col else [])]
        self.headline = {m: [] for m in measures}
        for col in cols:
            values = self._figures(col)
            for m in measures:
                self.headline.setdefault(m, []).append(values[m])
            cells = [Cell(values[m], False, col.label, "", m) for m in measures]
            cells.append(self._rate_cell(values, col.label, ""))
            table.rows.append((col.label, cells))
        note = self.tr("report.enrolment.note")
        if any(self.headline.get("outcome_missing", [])):
            note += " " + self.tr("report.enrolment.outcome_missing_note")
        table.note = note
        chart = Chart(
            key="enrolment",
            title=self.tr("report.enrolment.chart"),
            categories=[self.tr(f"report.enrolment.{m}") for m in measures[:6]],
            series=[
                (col.label, [float(self._figures(col)[m]) for m in measures[:6]])
                for col in self.columns
            ],
            value_label=self.tr("report.people"),
        )
        return ReportSection(
            key="enrolment",
            title=self.tr("report.section.enrolment"),
            intro=self.tr("report.enrolment.intro"),
            tables=[table],
            charts=[chart] if self.columns else [],
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

    # --- dropout ----------------------------------------------------------------------------

    def _interval(self, withdrawn_on: date | None, started: bool, starts: list[datetime]) -> str:
        if not started:
            return "before_start"
        if withdrawn_on is None:
            return "unknown"
        done = sum(1 for s in starts if s.date() <= withdrawn_on)
        if done == 0:
            return "before_first"
        if done >= len(starts):
            return "after_last"
        return f"between_{done}_{done + 1}"

    def _interval_name(self, code: str) -> str:
        if code.startswith("between_"):
            _, a, b = code.split("_")
            return self.tr("report.dropout.between", a=int(a), b=int(b))
        if code == "unknown":
            return self.tr("report.unknown")
        return self.tr(f"report.dropout.{code}")

    async def dropout(self) -> ReportSection:
        starts: dict[int, list[datetime]] = defaultdict(list)
        for s in await q.list_session_starts(session=self.session, cohort_ids=self.ids):
            starts[s.cohort_id].append(s.starts_at)
        when: dict[tuple[str, int], int] = defaultdict(int)
        why: dict[tuple[str, int], int] = defaultdict(int)
        for j, col in enumerate(self.columns):
            for e in self.rows_of(col):
                if not rules.withdrawn_in(e, col.window):
                    continue
                code = self._interval(e.withdrawn_on, rules.started(e), starts[e.cohort_id])
                when[(code, j)] += 1
                why[(e.reason if e.reason in WITHDRAWAL_REASONS else "not_stated", j)] += 1
        max_sessions = max((len(v) for v in starts.values()), default=0)
        order = ["before_start", "before_first"]
        order += [f"between_{i}_{i + 1}" for i in range(1, max_sessions)]
        order += ["after_last", "unknown"]
        present = {code for code, _ in when}
        when_rows = [c for c in order if c in present or c in ("before_start", "before_first")]
        intro = self.tr("report.dropout.intro")
        if not sum(self._col_totals("withdrawn")):
            intro += " " + self.tr("report.dropout.none")
            return ReportSection(
                key="dropout", title=self.tr("report.section.dropout"), intro=intro
            )
        g_when = self._grid(row_keys=when_rows, counts=when, total_measure="withdrawn")
        g_why = self._grid(row_keys=list(WITHDRAWAL_REASONS), counts=why, total_measure="withdrawn")
        tables = [
            grid_table(
                g_when,
                key="dropout_when",
                caption=self.tr("report.dropout.when_caption"),
                row_label=self.tr("report.dropout.interval"),
                row_names=[self._interval_name(c) for c in when_rows],
                measure="withdrawn",
                total_label=self.total,
            ),
            grid_table(
                g_why,
                key="dropout_why",
                caption=self.tr("report.dropout.why_caption"),
                row_label=self.tr("report.dropout.reason"),
                row_names=[reason_label(c, self.loc) for c in WITHDRAWAL_REASONS],
                measure="withdrawn_reason",
                total_label=self.total,
                note=self.tr("report.dropout.reasons_note"),
            ),
        ]
        for tb in tables:
            if tb.withheld:
                tb.note = ((tb.note or "") + " " + self.tr("report.withheld", k=self.k)).strip()
        return ReportSection(
            key="dropout", title=self.tr("report.section.dropout"), intro=intro, tables=tables
        )

    # --- background and geography ----------------------------------------------------------

    def _dimension(
        self, column: str, section: str, caption_key: str | None = None, *, whole: bool = False
    ) -> Table:
        """Participants by one column, per cohort (or year); `whole`: for all of them at once.

        Places with many values (workplaces, municipalities) are counted `whole`: per cohort
        nearly every cell would be a small group, hidden anyway, and far slower to protect.
        """
        columns = self.columns
        if whole and len(self.columns) > 1 and self.total_col is not None:
            columns = [self.total_col]
        counts: dict[tuple[str, int], int] = defaultdict(int)
        for j, col in enumerate(columns):
            for e in self.rows_of(col):
                if rules.participant_in(e, col.window):
                    counts[(_label(getattr(e, column), self.loc), j)] += 1
        keys = sorted(
            {k for k, _ in counts},
            key=lambda v: (-sum(counts[(v, j)] for j in range(len(columns))), v),
        )
        if columns is self.columns:
            grid = self._grid(row_keys=keys, counts=counts, total_measure="participants")
        else:
            grid = _Grid(
                keys,
                [c.label for c in columns],
                counts,
                column_totals=[self.headline["participants"][-1]],
                total_column=False,
                fixed_totals=True,
            )
            grid.solve(self.k)
        table = grid_table(
            grid,
            key=f"{section}_{column}",
            caption=self.tr(caption_key or f"report.background.{column}"),
            row_label=self.tr(f"report.background.{column}.label"),
            row_names=keys,
            measure=column,
            total_label=self.total,
        )
        if table.withheld:
            table.note = self.tr("report.withheld", k=self.k)
        return table

    async def background(self) -> ReportSection:
        tables = [
            self._dimension(c, "background", whole=c == "workplace")
            for c in ("position", "gender", "workplace", "service_area", "education")
        ]
        return ReportSection(
            key="background",
            title=self.tr("report.section.background"),
            intro=self.tr("report.background.intro"),
            tables=tables,
        )

    async def geography(self) -> ReportSection:
        county = self._dimension("county", "geography")
        # Municipalities represented per county: a count of places, shown only where the county's
        # participants are shown (the number of places is a lower bound on the people).
        shown_total: dict[str, bool] = {}
        for header, cells in county.rows:
            shown_total[header] = bool(cells) and not cells[-1].suppressed
        places: dict[str, set[str]] = defaultdict(set)
        for col in self.columns:
            for e in self.rows_of(col):
                if rules.participant_in(e, col.window) and e.municipality:
                    places[_label(e.county, self.loc)].add(e.municipality.strip())
        munis = Table(
            key="geography_municipalities",
            caption=self.tr("report.geography.municipalities_caption"),
            columns=[
                self.tr("report.background.county.label"),
                self.tr("report.geography.municipalities"),
            ],
        )
        label_all = self.total
        for name in sorted(places):
            hide = not shown_total.get(name, False)
            munis.rows.append(
                (name, [Cell(len(places[name]), hide, label_all, name, "municipalities", name)])
            )
        every = set().union(*places.values()) if places else set()
        munis.rows.append(
            (label_all, [Cell(len(every), False, label_all, label_all, "municipalities")])
        )
        municipality = self._dimension(
            "municipality", "geography", "report.background.municipality", whole=True
        )
        return ReportSection(
            key="geography",
            title=self.tr("report.section.geography"),
            intro=self.tr("report.geography.intro"),
            tables=[county, munis, municipality],
        )

    # --- participant evaluations -----------------------------------------------------------
    async def evaluations(self) -> ReportSection:
        """Every pulse that opened in the period (an answer counts in the year its pulse opened:
        no time of answering is kept). A pulse planned in the period but not opened yet is named
        in the intro, not shown as a 0 % response rate."""
        start = datetime(self.window.first.year, 1, 1, tzinfo=UTC)
        end = datetime(self.window.last.year + 1, 1, 1, tzinfo=UTC)
        planned = await q.list_report_pulses(
            session=self.session, cohort_ids=self.ids, opens_from=start, opens_before=end
        )
        opened = {
            r.pulse_id
            for r in await q.list_pulse_openings(
                session=self.session, pulse_ids=[p.id for p in planned]
            )
        }
        pulses = [p for p in planned if p.id in opened]
        waiting = [p for p in planned if p.id not in opened]
        section = ReportSection(
            key="evaluations",
            title=self.tr("report.section.evaluations"),
            intro=self.tr("report.evaluations.intro", k=self.k),
        )
        if waiting:
            section.intro += " " + self.tr(
                "report.evaluations.not_opened",
                count=len(waiting),
                titles=", ".join(p.title for p in waiting),
            )
        if not pulses:
            return section
        pulse_ids = [p.id for p in pulses]
        figures = await pulse_figures(self.session, pulse_ids, min_n=self.k)
        for pf in figures.values():
            protect_pulse(pf, min_n=self.k)
        class_names = {
            c.id: c.name for c in await q.list_classes(session=self.session, cohort_ids=self.ids)
        }
        means: dict[int | None, list[tuple[int, float | None]]] = defaultdict(list)
        for p in pulses:
            cohort = self.name_of.get(p.cohort_id, self.tr("report.alumni"))
            kind = self.tr(
                "report.evaluations.anonymous" if p.anonymous else "report.evaluations.named"
            )
            pf = figures[p.id]
            group_name = self._group_namer(class_names)
            resp = Table(
                key=f"pulse_{p.id}_response",
                caption=self.tr(
                    "report.evaluations.response_caption", title=p.title, cohort=cohort, kind=kind
                ),
                columns=[
                    self.tr("report.group"),
                    self.tr("report.evaluations.invited"),
                    self.tr("report.evaluations.answered"),
                    self.tr("report.evaluations.rate"),
                ],
            )
            for cid, (inv, ans) in pf.participation_rows():
                g = group_name(cid)
                resp.rows.append(
                    (
                        g,
                        [
                            Cell(inv, False, cohort, g, f"pulse:{p.key}:invited"),
                            Cell(ans, False, cohort, g, f"pulse:{p.key}:answered"),
                            Cell(
                                _pct(ans, inv),
                                False,
                                cohort,
                                g,
                                f"pulse:{p.key}:response_rate",
                                unit="percent",
                            ),
                        ],
                    )
                )
            section.tables.append(resp)
            for qn in pf.questions:
                section.tables.append(self._question_table(p, cohort, qn, group_name))
                if qn.kind == "scale5" and qn.position == min(
                    x.position for x in pf.questions if x.kind == "scale5"
                ):
                    means[p.cohort_id].append(
                        (qn.total.n, qn.total.mean if not qn.total.hidden else None)
                    )
        # One chart for the year: each cohort's mean on the first scale question of its pulses,
        # weighted by answers and using only totals that are shown (one chart per cohort would
        # repeat the tables and cost a second each to draw).
        labels: list[str] = []
        values: list[float | None] = []
        for cohort_id, points in means.items():
            shown = [(n, m) for n, m in points if m is not None]
            answers = sum(n for n, _ in shown)
            if answers:
                labels.append(self.name_of.get(cohort_id or 0, self.tr("report.alumni")))
                values.append(round(sum(n * m for n, m in shown) / answers, 2))
        if labels:
            section.charts.append(
                Chart(
                    key="evaluation_means",
                    title=self.tr("report.evaluations.chart"),
                    categories=labels,
                    series=[(self.tr("report.evaluations.mean"), values)],
                    value_label=self.tr("report.evaluations.mean"),
                    horizontal=True,
                    value_max=5.0,
                )
            )
        return section

    def _group_namer(self, class_names: dict[int, str]) -> Any:
        def name(class_id: int | str | None) -> str:
            if class_id == "total":
                return self.tr("report.whole_cohort")
            if class_id is None:
                return self.tr("report.no_class")
            return class_names.get(int(class_id), str(class_id))

        return name

    def _question_table(self, p: Any, cohort: str, qn: QuestionFigures, group_name: Any) -> Table:
        cats = qn.categories
        labels = qn.category_labels
        columns = [self.tr("report.group"), "n", *labels]
        if qn.kind in SCALE_KINDS:
            columns.append(self.tr("report.evaluations.mean"))
        if qn.kind == "nps":
            columns.append(self.tr("report.evaluations.nps"))
        table = Table(
            key=f"pulse_{p.id}_q{qn.position}",
            caption=self.tr(
                "report.evaluations.question_caption",
                title=p.title,
                cohort=cohort,
                number=qn.position,
                text=qn.text,
            ),
            columns=columns,
        )
        measure = f"pulse:{p.key}:q{qn.position}"
        for gid, g in [*qn.groups.items(), ("total", qn.total)]:
            label = group_name(gid)
            cells = [Cell(g.n, g.hidden, cohort, label, measure, "n")]
            cells += [
                Cell(g.counts.get(c, 0), g.hidden, cohort, label, measure, lab)
                for c, lab in zip(cats, labels, strict=True)
            ]
            if qn.kind in SCALE_KINDS:
                cells.append(Cell(g.mean, g.hidden, cohort, label, measure, "mean", unit="mean"))
            if qn.kind == "nps":
                cells.append(Cell(g.nps, g.hidden, cohort, label, measure, "nps", unit="score"))
            table.rows.append((label, cells))
        if qn.text_answers:
            # No count here: it would give away a hidden n.
            table.note = self.tr("report.evaluations.text_note")
        return table

    # --- results, line managers, networks --------------------------------------------------

    async def results(self) -> ReportSection:
        """Credits and exam results recorded in the period, as one system of equations.

        The distribution (people per credits value), the number with credits, credits in total,
        credits per participant with a result and the exam results are all linear in the same
        unknowns, so they are suppressed together: no hidden cell follows from the sums and means
        beside it, nor from the exam table (its columns hold the same people).
        """
        section = ReportSection(
            key="results",
            title=self.tr("report.section.results"),
            intro=self.tr("report.results.intro"),
        )
        keys, dist, exams = self._result_counts()
        if not dist:
            section.intro += " " + self.tr("report.results.none")
            return section
        exam_keys = ["passed", "failed", "none"]
        ncols = len(self.labels)
        with_total = not self.final and ncols > 1
        tags: list[int | str] = [*range(ncols), *(["all"] if with_total else [])]
        lt = _results_problem(keys, exam_keys, dist, exams, ncols, tags)
        hidden = lt.solve(min_n=self.k)
        value_of = {i.key: i.value for i in lt.items}

        def label_of(tag: int | str) -> str:
            return self.total if tag == "all" else self.labels[int(tag)]

        def cell(
            key: Hashable,
            tag: int | str,
            group: str,
            measure: str,
            cat: str = "",
            unit: str = "count",
        ) -> Cell:
            v = value_of[key]
            value: float | int = int(v) if unit == "count" else round(float(v), 1)
            return Cell(value, key in hidden, label_of(tag), group, measure, cat, unit)

        header = [self.tr("report.results.credits"), *self.labels] + (
            [self.total] if with_total else []
        )
        table = Table(
            key="results_distribution",
            caption=self.tr("report.results.distribution_caption"),
            columns=header,
            withheld=lt.withheld,
        )
        for i, k in enumerate(keys):
            name = (
                self.tr("report.results.no_credits")
                if k == "none"
                else _fmt_credits(float(k), self.loc)
            )
            row = [cell(("d", i, j), j, name, "credits_achieved", k) for j in range(ncols)]
            if with_total:
                row.append(cell(("d_row", i), "all", name, "credits_achieved", k))
            table.rows.append((name, row))
        for measure, unit in (
            ("recorded", "count"),
            ("with_credits", "count"),
            ("total_credits", "credits"),
            ("mean_credits", "credits"),
        ):
            name = self.tr(f"report.results.{measure}")
            table.rows.append(
                (name, [cell((measure, tag), tag, "", measure, unit=unit) for tag in tags])
            )
        exam_table = Table(
            key="results_exams",
            caption=self.tr("report.results.exam_caption"),
            columns=[self.tr("report.results.exam"), *self.labels]
            + ([self.total] if with_total else []),
            withheld=lt.withheld,
        )
        for i, code in enumerate(exam_keys):
            name = self.tr(f"report.results.exam.{code}")
            row = [cell(("e", i, j), j, name, "exam_result", code) for j in range(ncols)]
            if with_total:
                row.append(cell(("e_row", i), "all", name, "exam_result", code))
            exam_table.rows.append((name, row))
        for tb in (table, exam_table):
            if tb.withheld:
                tb.note = self.tr("report.withheld", k=self.k)
        section.tables += [table, exam_table]
        return section

    def _result_counts(
        self,
    ) -> tuple[list[str], dict[tuple[str, int], int], dict[tuple[str, int], int]]:
        """(credit value rows, people per credit value and column, per exam result and column)."""
        values: set[float] = set()
        dist: dict[tuple[str, int], int] = defaultdict(int)
        exams: dict[tuple[str, int], int] = defaultdict(int)
        for j, col in enumerate(self.columns):
            for e in self.rows_of(col):
                if not rules.result_in(e, col.window):
                    continue
                if e.credits is not None:
                    values.add(float(e.credits))
                    dist[(f"{float(e.credits):g}", j)] += 1
                else:
                    dist[("none", j)] += 1
                exams[(e.exam_result or "none", j)] += 1
        keys = [f"{v:g}" for v in sorted(values, reverse=True)]
        if any(k == "none" for k, _ in dist):
            keys.append("none")
        return keys, dist, exams

    async def involvement(self) -> ReportSection:
        """Per nudge: what was sent in the period, to how many distinct line managers, answers.

        A nudge counts only once it went out (`sent_at`); one that is not due yet says so rather
        than showing 0 %. Rates are over the participants whose manager was asked.
        """
        section = ReportSection(
            key="involvement",
            title=self.tr("report.section.involvement"),
            intro=self.tr("report.involvement.intro"),
        )
        cols = (
            "participants",
            "managers",
            "share_answered",
            "share_done",
            "median_hours",
            "escalated",
        )
        rows = await q.list_nudge_sends(session=self.session, cohort_ids=self.ids)
        by_nudge: dict[int, list[Any]] = defaultdict(list)
        for r in rows:
            by_nudge[r.nudge_id].append(r)
        for col in self.columns:
            nudges = [v for v in by_nudge.values() if v[0].cohort_id in col.cohort_ids]
            if not nudges:
                continue
            table = Table(
                key=f"involvement_{'_'.join(str(i) for i in sorted(col.cohort_ids))}",
                caption=self.tr("report.involvement.caption", cohort=col.label),
                columns=[
                    self.tr("report.involvement.nudge"),
                    *(self.tr(f"report.involvement.{x}") for x in cols),
                ],
            )
            for answers in nudges:
                first = answers[0]
                sent = [
                    a
                    for a in answers
                    if a.manager_id is not None
                    and _in_window(a.sent_at or a.answered_at, col.window)
                ]
                planned_here = col.window.holds(_day(first.send_at))
                if not sent and not planned_here:
                    continue
                m, title, label = f"nudge:{first.key}", first.title, col.label
                if not sent:
                    table.rows.append(
                        (
                            title,
                            [
                                Cell(0, False, label, title, m, "participants"),
                                Cell(0, False, label, title, m, "managers"),
                                *(
                                    Cell(None, False, label, title, m, x, u, NOT_SENT)
                                    for x, u in (
                                        ("answered", "percent"),
                                        ("done", "percent"),
                                        ("median_hours", "hours"),
                                    )
                                ),
                                Cell(0, False, label, title, m, "escalated"),
                            ],
                        )
                    )
                    continue
                answered = [a for a in sent if a.answer is not None]
                done = [a for a in sent if a.answer == "done"]
                hours = sorted(
                    (a.answered_at - (a.sent_at or a.send_at)).total_seconds() / 3600
                    for a in answered
                    if a.answered_at is not None
                )
                median = _median(hours)
                table.rows.append(
                    (
                        title,
                        [
                            Cell(len(sent), False, label, title, m, "participants"),
                            Cell(
                                len({a.manager_id for a in sent}),
                                False,
                                label,
                                title,
                                m,
                                "managers",
                            ),
                            Cell(
                                _pct(len(answered), len(sent)),
                                False,
                                label,
                                title,
                                m,
                                "answered",
                                "percent",
                            ),
                            Cell(
                                _pct(len(done), len(sent)),
                                False,
                                label,
                                title,
                                m,
                                "done",
                                "percent",
                            ),
                            Cell(
                                median,
                                False,
                                label,
                                title,
                                m,
                                "median_hours",
                                "hours",
                                "" if median is not None else NO_DENOMINATOR,
                            ),
                            Cell(
                                sum(1 for a in sent if a.escalated_at is not None),
                                False,
                                label,
                                title,
                                m,
                                "escalated",
                            ),
                        ],
                    )
                )
            if table.rows:
                section.tables.append(table)
        if not section.tables:
            section.intro += " " + self.tr("report.no_data")
        return section

    async def networks(self) -> ReportSection:
        start = datetime(self.window.first.year, 1, 1, tzinfo=UTC)
        end = datetime(self.window.last.year + 1, 1, 1, tzinfo=UTC)
        rows = await q.checkin_counts(
            session=self.session, cohort_ids=self.ids, start=start, end=end
        )
        section = ReportSection(
            key="networks",
            title=self.tr("report.section.networks"),
            intro=self.tr("report.networks.intro"),
        )
        if not rows:
            section.intro += " " + self.tr("report.no_data")
            return section
        table = Table(
            key="networks",
            caption=self.tr("report.networks.caption"),
            columns=[
                self.tr("report.networks.network"),
                self.tr("report.networks.rounds"),
                self.tr("report.networks.checkins"),
                self.tr("report.networks.met"),
            ],
        )
        for r in rows:
            cohort = self.name_of.get(r.cohort_id, self.tr("report.alumni"))
            m = f"network:{r.network_id}"
            table.rows.append(
                (
                    r.name,
                    [
                        Cell(int(r.rounds), False, cohort, r.name, m, "rounds"),
                        Cell(int(r.checkins), False, cohort, r.name, m, "checkins"),
                        Cell(
                            _pct(int(r.met), int(r.checkins)),
                            False,
                            cohort,
                            r.name,
                            m,
                            "met",
                            "percent",
                            "" if int(r.checkins) else NO_DENOMINATOR,
                        ),
                    ],
                )
            )
        section.tables.append(table)
        return section

    # --- the one-page summary, with earlier years beside this one ----------------------------

    async def summary(self, history: list[tuple[str, Column]]) -> ReportSection:
        """Key figures for each year (or the period) side by side, earlier years first."""
        measures = ("applicants", "started", "participants", "completed", "dropouts")
        table = Table(
            key="summary",
            caption=self.tr("report.summary.caption"),
            columns=[self.tr("report.summary.figure"), *(label for label, _ in history)],
        )
        figures = [self._figures(col) for _, col in history]
        rates = await self._response_rates([col for _, col in history])
        for m in measures:
            table.rows.append(
                (
                    self.tr(f"report.enrolment.{m}"),
                    [
                        Cell(f[m], False, label, "", m)
                        for f, (label, _) in zip(figures, history, strict=True)
                    ],
                )
            )
        table.rows.append(
            (
                self.tr("report.enrolment.completion_rate"),
                [
                    self._rate_cell(f, label, "")
                    for f, (label, _) in zip(figures, history, strict=True)
                ],
            )
        )
        table.rows.append(
            (
                self.tr("report.summary.response_rate"),
                [
                    Cell(
                        _pct(answered, invited),
                        False,
                        label,
                        "",
                        "pulse_response_rate",
                        unit="percent",
                        missing="" if invited else NOT_OPENED,
                    )
                    for (invited, answered), (label, _) in zip(rates, history, strict=True)
                ],
            )
        )
        intro = self.tr("report.summary.intro")
        if len(history) == 1 and not self.final:
            intro += " " + self.tr("report.summary.no_history")
        return ReportSection(
            key="summary", title=self.tr("report.section.summary"), intro=intro, tables=[table]
        )

    async def _response_rates(self, cols: list[Column]) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for col in cols:
            pulses = await q.list_report_pulses(
                session=self.session,
                cohort_ids=sorted(col.cohort_ids),
                opens_from=datetime(col.window.first.year, 1, 1, tzinfo=UTC),
                opens_before=datetime(col.window.last.year + 1, 1, 1, tzinfo=UTC),
            )
            ids = [p.id for p in pulses if p.cohort_id in col.cohort_ids]
            invited = answered = 0
            if ids:
                for r in await q.participation_counts(session=self.session, pulse_ids=ids):
                    invited += int(r.invited)
                    answered += int(r.answered or 0)
            out.append((invited, answered))
        return out

    async def build(self, now: datetime) -> AnnualReport:
        last = self.last_year or self.year
        first_history = self.year if self.final else self.year - 4
        known = await q.list_report_cohorts(
            session=self.session, year=first_history, last_year=last
        )
        self.cohorts = [c for c in known if _overlaps(c, self.window)]
        self.ids = [c.id for c in self.cohorts]
        self.name_of = {c.id: c.name for c in self.cohorts}
        self.enrolments = await q.list_report_enrolments(
            session=self.session, cohort_ids=[c.id for c in known]
        )
        all_ids = frozenset(self.ids)

        def year_column(y: int) -> Column:
            w = Window.years(y, y)
            return Column(str(y), frozenset(c.id for c in known if _overlaps(c, w)), w)

        if self.final:
            self.columns = [year_column(y) for y in range(self.year, last + 1)]
            self.total_col = Column(self._period(), all_ids, self.window)
            history = [(c.label, c) for c in self.columns] + [(self._period(), self.total_col)]
        else:
            self.columns = [Column(c.name, frozenset([c.id]), self.window) for c in self.cohorts]
            self.total_col = (
                Column(self.total, all_ids, self.window) if len(self.columns) > 1 else None
            )
            history = [
                (str(y), year_column(y))
                for y in range(first_history, self.year)
                if year_column(y).cohort_ids
            ]
            history.append((str(self.year), Column(str(self.year), all_ids, self.window)))
        enrolment = await self.enrolment()
        sections = [
            await self.summary(history),
            enrolment,
            await self.dropout(),
            await self.background(),
            await self.geography(),
            await self.evaluations(),
            await self.results(),
            await self.involvement(),
            await self.networks(),
        ]
        title = (
            self.tr("report.final_title", first=self.year, last=last)
            if self.final
            else self.tr("report.title", year=self.year)
        )
        return AnnualReport(
            year=self.year,
            locale=self.loc,
            generated_at=now,
            min_group_size=self.k,
            title=title,
            cohorts=self.cohorts,
            sections=sections,
            last_year=self.last_year,
        )


def _results_problem(
    keys: list[str],
    exam_keys: list[str],
    dist: dict[tuple[str, int], int],
    exams: dict[tuple[str, int], int],
    ncols: int,
    tags: list[int | str],
) -> LinearTable:
    """The results section as one system: distribution, sums, mean and exam results."""
    credit_of = {k: (0.0 if k == "none" else float(k)) for k in keys}
    with_total = "all" in tags
    lt = LinearTable()
    d_ids = [[lt.atom(dist.get((k, j), 0)) for j in range(ncols)] for k in keys]
    e_ids = [[lt.atom(exams.get((k, j), 0)) for j in range(ncols)] for k in exam_keys]
    for prefix, ids in (("d", d_ids), ("e", e_ids)):
        for i, row in enumerate(ids):
            for j in range(ncols):
                lt.publish((prefix, i, j), [row[j]])
            if with_total:
                lt.publish((f"{prefix}_row", i), row)
    for tag in tags:
        js = list(range(ncols)) if tag == "all" else [int(tag)]
        cells = [(d_ids[i][j], credit_of[keys[i]]) for i in range(len(keys)) for j in js]
        recorded = [a for a, _ in cells]
        lt.publish(("recorded", tag), recorded)
        # Structural: the exam table's columns hold the same people as the distribution's.
        same = {a: 1.0 for a in recorded}
        for row in e_ids:
            for j in js:
                same[row[j]] = same.get(row[j], 0.0) - 1.0
        lt.publish(("same_people", tag), same, count=False, fixed=True, value=0.0)
        paid = {a: v for a, v in cells if v > 0}
        lt.publish(("with_credits", tag), list(paid))
        lt.publish(("total_credits", tag), paid, count=False)
        lt.publish(
            ("mean_credits", tag),
            paid,
            den=recorded,
            tol=0.05,
            count=False,
            hide_with=("recorded", tag),
        )
    return lt


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


async def build_annual_report(
    session: AsyncSession, *, year: int, settings: Settings, now: datetime, locale: str = "nb"
) -> AnnualReport:
    """Build the annual status report for every cohort whose period overlaps `year`."""
    return await _Builder(session, settings, normalise_locale(locale), year=year).build(now)


async def build_final_report(
    session: AsyncSession,
    *,
    first_year: int,
    last_year: int,
    settings: Settings,
    now: datetime,
    locale: str = "nb",
) -> AnnualReport:
    """Build the contract's final report: the same sections, one column per year."""
    if last_year < first_year:
        raise ValueError(f"--to {last_year} is before --from {first_year}")
    return await _Builder(
        session, settings, normalise_locale(locale), year=first_year, last_year=last_year
    ).build(now)


# --- pulse figures (shared with bot.results and the evaluator export) ----------------------


@dataclass
class GroupFigures:
    """One group's answers to one question; `hidden` when suppressed."""

    n: int = 0
    counts: dict[int, int] = field(default_factory=dict)
    hidden: bool = False

    @property
    def mean(self) -> float | None:
        if not self.n:
            return None
        return round(sum(v * c for v, c in self.counts.items()) / self.n, 2)

    @property
    def nps(self) -> float | None:
        """Net Promoter Score: % answering 9–10 minus % answering 0–6."""
        if not self.n:
            return None
        promoters = sum(c for v, c in self.counts.items() if v >= 9)
        detractors = sum(c for v, c in self.counts.items() if v <= 6)
        return round(100 * (promoters - detractors) / self.n, 1)


@dataclass
class QuestionFigures:
    id: int
    position: int
    kind: str
    text: str
    choices: list[str]
    groups: dict[int | None, GroupFigures] = field(default_factory=dict)
    total: GroupFigures = field(default_factory=GroupFigures)
    text_answers: int = 0

    @property
    def categories(self) -> list[int]:
        if self.kind == "scale5":
            return [1, 2, 3, 4, 5]
        if self.kind == "nps":
            return list(range(11))
        if self.kind == "choice":
            return list(range(len(self.choices)))
        return []

    @property
    def category_labels(self) -> list[str]:
        if self.kind == "choice":
            return list(self.choices)
        return [str(c) for c in self.categories]


@dataclass
class PulseFigures:
    pulse_id: int
    invited: dict[int | None, int] = field(default_factory=dict)
    answered: dict[int | None, int] = field(default_factory=dict)
    questions: list[QuestionFigures] = field(default_factory=list)

    def participation_rows(self) -> list[tuple[int | str | None, tuple[int, int]]]:
        """(group id or "total", (invited, answered)), classes first."""
        groups = sorted(self.invited, key=lambda g: (g is None, g or 0))
        rows: list[tuple[int | str | None, tuple[int, int]]] = [
            (g, (self.invited[g], self.answered.get(g, 0))) for g in groups
        ]
        if len(groups) != 1:
            rows.append(("total", (sum(self.invited.values()), sum(self.answered.values()))))
        else:
            rows = [("total", rows[0][1])]
        return rows

    @property
    def total_invited(self) -> int:
        return sum(self.invited.values())

    @property
    def total_answered(self) -> int:
        return sum(self.answered.values())


async def pulse_figures(
    session: AsyncSession, pulse_ids: Sequence[int], *, min_n: int
) -> dict[int, PulseFigures]:
    """Return response counts and answer distributions per class, with suppression applied."""
    out: dict[int, PulseFigures] = {pid: PulseFigures(pid) for pid in pulse_ids}
    if not pulse_ids:
        return out
    for r in await q.participation_counts(session=session, pulse_ids=pulse_ids):
        out[r.pulse_id].invited[r.class_id] = int(r.invited)
        out[r.pulse_id].answered[r.class_id] = int(r.answered or 0)
    # Anonymous pulses keep who answered only as a count per class, written at release.
    from storage.queries.pulses import response_counts

    for r in await response_counts(session=session, pulse_ids=pulse_ids):
        out[r.pulse_id].answered[r.class_id] = int(r.answered)
    questions: dict[int, QuestionFigures] = {}
    for r in await q.list_questions(session=session, pulse_ids=pulse_ids):
        qf = QuestionFigures(r.id, r.position, r.kind, r.text, list(r.choices or []))
        questions[r.id] = qf
        out[r.pulse_id].questions.append(qf)
    for r in await q.answer_counts(session=session, pulse_ids=pulse_ids):
        qf = questions[r.question_id]
        n = int(r.n)
        if r.value is None:
            qf.text_answers += n
            if qf.kind != "text":
                continue
        g = qf.groups.setdefault(r.class_id, GroupFigures())
        if r.value is not None:
            g.counts[int(r.value)] = g.counts.get(int(r.value), 0) + n
        g.n += n
    for qf in questions.values():
        ids = sorted(qf.groups, key=lambda g: (g is None, g or 0))
        qf.groups = {g: qf.groups[g] for g in ids}
        total = GroupFigures()
        for g in qf.groups.values():
            total.n += g.n
            for v, c in g.counts.items():
                total.counts[v] = total.counts.get(v, 0) + c
        hidden, total_hidden = suppress_groups([g.n for g in qf.groups.values()], min_n=min_n)
        for g, h in zip(qf.groups.values(), hidden, strict=True):
            g.hidden = h
        total.hidden = total_hidden
        if len(qf.groups) == 1:
            # One group is the total: show it once.
            qf.groups = {}
        qf.total = total
    return out


def protect_question(qf: QuestionFigures, answered: dict[int | None, int], *, min_n: int) -> None:
    """Check a question's published figures as equations and hide more classes if needed.

    The pulse rule (whole classes under the minimum hidden, and complements until the hidden
    ones hold the minimum) is the start. Then no answer count of a small class may be exact
    given what is shown — the other classes' counts, n, means and NPS, the cohort row, and the
    respondents per class printed beside them (an upper bound on each class's n): e.g. two
    hidden classes of 2 and 3 respondents whose 5 answers are all "4" would give each class
    away; then the cohort row is hidden too. Classes are hidden whole, never cell by cell.
    """
    groups = list(qf.groups.items())
    if not groups or qf.kind == "text":
        return
    cats = qf.categories
    lt = LinearTable()
    ids = {gid: [lt.atom(g.counts.get(c, 0)) for c in cats] for gid, g in groups}
    weights = {c: float(c) for c in cats}

    def figures(key: Hashable, atoms: list[int], *, small: bool) -> None:
        # The class's n is its respondents, printed anyway: not itself what is protected.
        lt.publish(("n", key), atoms, count=False)
        for c, a in zip(cats, atoms, strict=True):
            lt.publish(("c", key, c), [a], count=small, hide_with=("n", key), protection=1.0)
        if qf.kind in SCALE_KINDS:
            num = {a: weights[c] for c, a in zip(cats, atoms, strict=True)}
            lt.publish(("mean", key), num, den=atoms, tol=0.005, count=False, hide_with=("n", key))
        if qf.kind == "nps":
            num = {
                a: (100.0 if c >= 9 else -100.0 if c <= 6 else 0.0)
                for c, a in zip(cats, atoms, strict=True)
            }
            lt.publish(("nps", key), num, den=atoms, tol=0.05, count=False, hide_with=("n", key))

    for gid, g in groups:
        cap = answered.get(gid)
        figures(gid, ids[gid], small=0 < g.n < min_n)
        if cap is not None:
            lt.publish(("answered", gid), ids[gid], count=False, fixed=True, lower=0, upper=cap)
    every = [a for atoms in ids.values() for a in atoms]
    total_atoms = []
    for i, _c in enumerate(cats):
        total_atoms.append([ids[gid][i] for gid, _ in groups])
    lt.publish(("n", "total"), every, count=False)
    for c, atoms in zip(cats, total_atoms, strict=True):
        lt.publish(("c", "total", c), atoms, count=False, hide_with=("n", "total"))
    if qf.kind in SCALE_KINDS:
        num = {a: weights[c] for c, atoms in zip(cats, total_atoms, strict=True) for a in atoms}
        lt.publish(
            ("mean", "total"), num, den=every, tol=0.005, count=False, hide_with=("n", "total")
        )
    initial: list[Hashable] = [("n", gid) for gid, g in groups if g.hidden]
    if qf.total.hidden:
        initial.append(("n", "total"))
    hidden = lt.solve(min_n=min_n, initial=initial)
    for gid, g in groups:
        g.hidden = ("n", gid) in hidden
    qf.total.hidden = ("n", "total") in hidden


def protect_pulse(pf: PulseFigures, *, min_n: int) -> PulseFigures:
    """Apply `protect_question` to every question of a pulse's published figures."""
    for qf in pf.questions:
        protect_question(qf, pf.answered, min_n=min_n)
    return pf


REPORT_FORMATS = ("html", "xlsx", "csv")


async def produce_annual_report(
    session: AsyncSession,
    *,
    year: int,
    fmt: str,
    settings: Settings,
    now: datetime,
    actor: str,
    actor_id: int | None = None,
    locale: str = "nb",
) -> bytes:
    """Build and render the annual report, and audit who produced it (in the caller's transaction)."""
    from bot.report_render import render
    from storage.queries.people import record_audit

    if fmt not in REPORT_FORMATS:
        raise ValueError(f"unknown report format {fmt!r}: expected html, xlsx or csv")
    report = await build_annual_report(
        session, year=year, settings=settings, now=now, locale=locale
    )
    # Charts, HTML and XLSX are CPU work (a second or two for a national year): render in a
    # worker thread so the bot's event loop keeps acking clicks meanwhile.
    data = await asyncio.to_thread(render, report, fmt)
    await record_audit(
        session=session,
        actor=actor,
        actor_id=actor_id,
        action="report.annual",
        subject=f"year:{year}",
        detail={"format": fmt, "cohorts": [c.id for c in report.cohorts], "bytes": len(data)},
    )
    return data


async def produce_final_report(
    session: AsyncSession,
    *,
    first_year: int,
    last_year: int,
    fmt: str,
    settings: Settings,
    now: datetime,
    actor: str,
    actor_id: int | None = None,
    locale: str = "nb",
) -> bytes:
    """Build and render the final report over several years, audited like the annual one."""
    from bot.report_render import render
    from storage.queries.people import record_audit

    if fmt not in REPORT_FORMATS:
        raise ValueError(f"unknown report format {fmt!r}: expected html, xlsx or csv")
    report = await build_final_report(
        session,
        first_year=first_year,
        last_year=last_year,
        settings=settings,
        now=now,
        locale=locale,
    )
    data = render(report, fmt)
    await record_audit(
        session=session,
        actor=actor,
        actor_id=actor_id,
        action="report.final",
        subject=f"years:{first_year}-{last_year}",
        detail={"format": fmt, "cohorts": [c.id for c in report.cohorts], "bytes": len(data)},
    )
    return data
