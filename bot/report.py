"""The annual status report to the Directorate of Health, built from aggregate queries.

`build_annual_report` returns a plain data structure (sections of tables of cells, and chart
data); `bot.report_render` turns it into HTML, XLSX or a tidy CSV. Every cell carries its tidy
coordinates (section, cohort, group, measure, category), so the CSV is the same numbers as the
tables, and its suppression flag, so every format marks hidden cells the same way.

Where small groups are hidden (see `bot.suppression`):
- background, geography, withdrawal timing/reasons and credit distribution: cells of people
  counts below `min_group_size`, plus complementary cells;
- participant evaluations: whole class rows with fewer answers than `min_group_size`, plus
  complementary classes. Invited/answered counts and response rates are shown: they say how many
  took part, not what anyone answered.
Headline flow numbers (applicants, admitted, started, completed, withdrawn) are programme
statistics and are not suppressed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.involvement import involvement_by_cohort
from bot.messages import normalise_locale, t
from bot.settings import Settings
from bot.suppression import suppress_groups, suppress_table
from storage.queries import report as q

SCALE_KINDS = ("scale5", "nps")


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

    def tidy(self) -> Iterator[tuple[str, Cell]]:
        """Yield (section key, cell) for every number in the report."""
        seen: set[tuple[str, str, str, str, str]] = set()
        for section in self.sections:
            for table in section.tables:
                for _, cells in table.rows:
                    for cell in cells:
                        key = (section.key, cell.cohort, cell.group, cell.measure, cell.category)
                        if key in seen:  # totals repeated in two tables appear once
                            continue
                        seen.add(key)
                        yield section.key, cell


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _label(value: str | None, locale: str) -> str:
    return value.strip() if value and value.strip() else t("report.unknown", locale)


def cross_table(
    *,
    key: str,
    caption: str,
    row_label: str,
    measure: str,
    counts: dict[tuple[str, str], int],
    row_keys: Sequence[str],
    cohort_labels: Sequence[str],
    total_label: str,
    min_n: int,
    note: str | None = None,
) -> Table:
    """Build a category x cohort count table with totals and suppression applied."""
    grid = [[counts.get((r, c), 0) for c in cohort_labels] for r in row_keys]
    mask = suppress_table(grid, min_n=min_n) if grid else None
    table = Table(key=key, caption=caption, columns=[row_label, *cohort_labels, total_label])
    for i, r in enumerate(row_keys):
        cells = [
            Cell(grid[i][j], bool(mask and mask.cells[i][j]), c, r, measure, r)
            for j, c in enumerate(cohort_labels)
        ]
        cells.append(
            Cell(sum(grid[i]), bool(mask and mask.row_totals[i]), total_label, r, measure, r)
        )
        table.rows.append((r, cells))
    if grid:
        col_sums = [sum(grid[i][j] for i in range(len(grid))) for j in range(len(cohort_labels))]
        totals = [
            Cell(col_sums[j], bool(mask and mask.column_totals[j]), c, total_label, measure, "")
            for j, c in enumerate(cohort_labels)
        ]
        totals.append(
            Cell(sum(col_sums), bool(mask and mask.grand_total), total_label, total_label, measure)
        )
        table.rows.append((total_label, totals))
    table.note = note
    return table


class _Builder:
    def __init__(self, session: AsyncSession, year: int, settings: Settings, locale: str) -> None:
        self.session = session
        self.year = year
        self.settings = settings
        self.k = settings.min_group_size
        self.loc = locale
        self.cohorts: list[Any] = []
        self.ids: list[int] = []
        self.name_of: dict[int, str] = {}

    def tr(self, key: str, **values: object) -> str:
        return t(key, self.loc, **values)

    @property
    def total(self) -> str:
        return self.tr("report.total")

    # --- applicants, participants and dropout ---------------------------------------------

    async def enrolment(self) -> ReportSection:
        rows = {
            r.cohort_id: r
            for r in await q.enrolment_counts(session=self.session, cohort_ids=self.ids)
        }
        measures = ("applicants", "admitted", "started", "completed", "withdrawn", "dropouts")
        table = Table(
            key="enrolment",
            caption=self.tr("report.enrolment.caption", year=self.year),
            columns=[
                self.tr("report.cohort"),
                *(self.tr(f"report.enrolment.{m}") for m in measures),
                self.tr("report.enrolment.completion_rate"),
            ],
        )
        sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

        def add_row(label: str, values: dict[str, int], group: str) -> None:
            cells = [Cell(values[m], False, label, group, m) for m in measures]
            cells.append(
                Cell(
                    _pct(values["completed"], values["started"]),
                    False,
                    label,
                    group,
                    "completion_rate",
                    unit="percent",
                )
            )
            table.rows.append((label, cells))

        programmes: dict[str, list[Any]] = defaultdict(list)
        for c in self.cohorts:
            programmes[c.programme_name].append(c)
        for programme, cohorts in programmes.items():
            for c in cohorts:
                r = rows.get(c.id)
                values = {m: int(getattr(r, m) or 0) if r else 0 for m in measures}
                add_row(c.name, values, programme)
                for m in measures:
                    sums[programme][m] += values[m]
                    sums[""][m] += values[m]
            if len(programmes) > 1:
                add_row(
                    self.tr("report.programme_total", programme=programme),
                    sums[programme],
                    programme,
                )
        add_row(self.total, sums[""], "")
        chart = Chart(
            key="enrolment",
            title=self.tr("report.enrolment.chart"),
            categories=[self.tr(f"report.enrolment.{m}") for m in measures[:5]],
            series=[
                (
                    c.name,
                    [
                        float(getattr(rows[c.id], m) or 0) if c.id in rows else 0.0
                        for m in measures[:5]
                    ],
                )
                for c in self.cohorts
            ],
            value_label=self.tr("report.people"),
        )
        return ReportSection(
            key="enrolment",
            title=self.tr("report.section.enrolment"),
            intro=self.tr("report.enrolment.intro"),
            tables=[table],
            charts=[chart] if self.cohorts else [],
        )

    def _interval(self, withdrawn_on: date | None, started: bool, starts: list[datetime]) -> str:
        if not started:
            return self.tr("report.dropout.before_start")
        if withdrawn_on is None:
            return self.tr("report.unknown")
        done = sum(1 for s in starts if s.date() <= withdrawn_on)
        if done == 0:
            return self.tr("report.dropout.before_first")
        if done >= len(starts):
            return self.tr("report.dropout.after_last")
        return self.tr("report.dropout.between", a=done, b=done + 1)

    async def dropout(self) -> ReportSection:
        starts: dict[int, list[datetime]] = defaultdict(list)
        for s in await q.list_session_starts(session=self.session, cohort_ids=self.ids):
            starts[s.cohort_id].append(s.starts_at)
        when: dict[tuple[str, str], int] = defaultdict(int)
        why: dict[tuple[str, str], int] = defaultdict(int)
        when_order: list[str] = []
        why_keys: set[str] = set()
        for w in await q.list_withdrawals(session=self.session, cohort_ids=self.ids):
            cohort = self.name_of[w.cohort_id]
            interval = self._interval(w.withdrawn_on, bool(w.started), starts[w.cohort_id])
            when[(interval, cohort)] += 1
            if interval not in when_order:
                when_order.append(interval)
            reason = _label(w.reason, self.loc)
            why[(reason, cohort)] += 1
            why_keys.add(reason)
        max_sessions = max((len(v) for v in starts.values()), default=0)
        ordered = [self.tr("report.dropout.before_start"), self.tr("report.dropout.before_first")]
        ordered += [self.tr("report.dropout.between", a=i, b=i + 1) for i in range(1, max_sessions)]
        ordered += [self.tr("report.dropout.after_last"), self.tr("report.unknown")]
        when_rows = [w for w in ordered if w in when_order]
        cohorts = [c.name for c in self.cohorts]
        tables = [
            cross_table(
                key="dropout_when",
                caption=self.tr("report.dropout.when_caption"),
                row_label=self.tr("report.dropout.interval"),
                measure="withdrawn",
                counts=when,
                row_keys=when_rows,
                cohort_labels=cohorts,
                total_label=self.total,
                min_n=self.k,
            ),
            cross_table(
                key="dropout_why",
                caption=self.tr("report.dropout.why_caption"),
                row_label=self.tr("report.dropout.reason"),
                measure="withdrawn_reason",
                counts=why,
                row_keys=sorted(why_keys, key=lambda r: (-sum(why[(r, c)] for c in cohorts), r)),
                cohort_labels=cohorts,
                total_label=self.total,
                min_n=self.k,
            ),
        ]
        shown = [tb for tb in tables if tb.rows]
        intro = self.tr("report.dropout.intro")
        if not shown:  # say so, rather than a heading over nothing
            intro += " " + self.tr("report.dropout.none")
        return ReportSection(
            key="dropout", title=self.tr("report.section.dropout"), intro=intro, tables=shown
        )

    # --- background and geography ----------------------------------------------------------

    async def _dimension(self, column: str, section: str) -> Table:
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for r in await q.background_counts(
            session=self.session, cohort_ids=self.ids, column=column
        ):
            counts[(_label(r.value, self.loc), self.name_of[r.cohort_id])] += int(r.n)
        cohorts = [c.name for c in self.cohorts]
        keys = sorted(
            {k for k, _ in counts}, key=lambda v: (-sum(counts[(v, c)] for c in cohorts), v)
        )
        return cross_table(
            key=f"{section}_{column}",
            caption=self.tr(f"report.background.{column}"),
            row_label=self.tr(f"report.background.{column}.label"),
            measure=column,
            counts=counts,
            row_keys=keys,
            cohort_labels=cohorts,
            total_label=self.total,
            min_n=self.k,
        )

    async def background(self) -> ReportSection:
        tables = [
            await self._dimension(c, "background")
            for c in ("position", "gender", "service_area", "education")
        ]
        return ReportSection(
            key="background",
            title=self.tr("report.section.background"),
            intro=self.tr("report.background.intro"),
            tables=tables,
        )

    async def geography(self) -> ReportSection:
        county = await self._dimension("county", "geography")
        muni_rows = await q.municipalities_per_county(session=self.session, cohort_ids=self.ids)
        munis = Table(
            key="geography_municipalities",
            caption=self.tr("report.geography.municipalities_caption"),
            columns=[
                self.tr("report.background.county.label"),
                self.tr("report.geography.municipalities"),
            ],
        )
        total = 0
        for r in sorted(muni_rows, key=lambda r: _label(r.county, self.loc)):
            label = _label(r.county, self.loc)
            munis.rows.append(
                (
                    label,
                    [
                        Cell(
                            int(r.municipalities), False, self.total, label, "municipalities", label
                        )
                    ],
                )
            )
            total += int(r.municipalities)
        munis.rows.append(
            (self.total, [Cell(total, False, self.total, self.total, "municipalities")])
        )
        return ReportSection(
            key="geography",
            title=self.tr("report.section.geography"),
            intro=self.tr("report.geography.intro"),
            tables=[county, munis],
        )

    # --- participant evaluations -----------------------------------------------------------

    async def evaluations(self) -> ReportSection:
        start = datetime(self.year, 1, 1, tzinfo=UTC)
        end = datetime(self.year + 1, 1, 1, tzinfo=UTC)
        pulses = await q.list_report_pulses(
            session=self.session, cohort_ids=self.ids, opens_from=start, opens_before=end
        )
        section = ReportSection(
            key="evaluations",
            title=self.tr("report.section.evaluations"),
            intro=self.tr("report.evaluations.intro", k=self.k),
        )
        if not pulses:
            return section
        pulse_ids = [p.id for p in pulses]
        figures = await pulse_figures(self.session, pulse_ids, min_n=self.k)
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
        rows = {
            r.cohort_id: r
            for r in await q.credit_figures(session=self.session, cohort_ids=self.ids)
        }
        cols = ("started", "completed", "with_credits", "total_credits", "mean_credits")
        table = Table(
            key="results",
            caption=self.tr("report.results.caption"),
            columns=[self.tr("report.cohort"), *(self.tr(f"report.results.{c}") for c in cols)],
        )
        for c in self.cohorts:
            r = rows.get(c.id)
            started = int(r.started or 0) if r else 0
            total_credits = float(r.total_credits or 0) if r else 0.0
            values: list[tuple[str, float | int | None, str]] = [
                ("started", started, "count"),
                ("completed", int(r.completed or 0) if r else 0, "count"),
                ("with_credits", int(r.with_credits or 0) if r else 0, "count"),
                ("total_credits", round(total_credits, 1), "credits"),
                ("mean_credits", round(total_credits / started, 1) if started else None, "credits"),
            ]
            table.rows.append(
                (c.name, [Cell(v, False, c.name, "", m, unit=u) for m, v, u in values])
            )
        dist: dict[tuple[str, str], int] = defaultdict(int)
        for r in await q.credit_distribution(session=self.session, cohort_ids=self.ids):
            dist[(f"{float(r.credits):g}", self.name_of[r.cohort_id])] += int(r.n)
        keys = sorted({k for k, _ in dist}, key=lambda v: -float(v))
        distribution = cross_table(
            key="results_distribution",
            caption=self.tr("report.results.distribution_caption"),
            row_label=self.tr("report.results.credits"),
            measure="credits_achieved",
            counts=dist,
            row_keys=keys,
            cohort_labels=[c.name for c in self.cohorts],
            total_label=self.total,
            min_n=self.k,
        )
        return ReportSection(
            key="results",
            title=self.tr("report.section.results"),
            intro=self.tr("report.results.intro"),
            tables=[table, distribution] if keys else [table],
        )

    async def involvement(self) -> ReportSection:
        section = ReportSection(
            key="involvement",
            title=self.tr("report.section.involvement"),
            intro=self.tr("report.involvement.intro"),
        )
        cols = ("nudged", "share_answered", "share_done", "median_hours", "escalated")
        by_cohort = await involvement_by_cohort(self.session, self.ids)
        for c in self.cohorts:
            figures = by_cohort[c.id]
            if not figures:
                continue
            table = Table(
                key=f"involvement_{c.id}",
                caption=self.tr("report.involvement.caption", cohort=c.name),
                columns=[
                    self.tr("report.involvement.nudge"),
                    *(self.tr(f"report.involvement.{x}") for x in cols),
                ],
            )
            for f in figures:
                m = f"nudge:{f.key}"
                table.rows.append(
                    (
                        f.title,
                        [
                            Cell(f.nudged, False, c.name, f.title, m, "nudged"),
                            Cell(
                                _pct(f.answered, f.nudged),
                                False,
                                c.name,
                                f.title,
                                m,
                                "answered",
                                "percent",
                            ),
                            Cell(
                                _pct(f.done, f.nudged), False, c.name, f.title, m, "done", "percent"
                            ),
                            Cell(
                                f.median_hours, False, c.name, f.title, m, "median_hours", "hours"
                            ),
                            Cell(f.escalated, False, c.name, f.title, m, "escalated"),
                        ],
                    )
                )
            section.tables.append(table)
        if not section.tables:
            section.intro += " " + self.tr("report.no_data")
        return section

    async def networks(self) -> ReportSection:
        start = datetime(self.year, 1, 1, tzinfo=UTC)
        end = datetime(self.year + 1, 1, 1, tzinfo=UTC)
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
                        ),
                    ],
                )
            )
        section.tables.append(table)
        return section

    async def build(self, now: datetime) -> AnnualReport:
        self.cohorts = await q.list_report_cohorts(session=self.session, year=self.year)
        self.ids = [c.id for c in self.cohorts]
        self.name_of = {c.id: c.name for c in self.cohorts}
        sections = [
            await self.enrolment(),
            await self.dropout(),
            await self.background(),
            await self.geography(),
            await self.evaluations(),
            await self.results(),
            await self.involvement(),
            await self.networks(),
        ]
        return AnnualReport(
            year=self.year,
            locale=self.loc,
            generated_at=now,
            min_group_size=self.k,
            title=self.tr("report.title", year=self.year),
            cohorts=self.cohorts,
            sections=sections,
        )


async def build_annual_report(
    session: AsyncSession, *, year: int, settings: Settings, now: datetime, locale: str = "nb"
) -> AnnualReport:
    """Build the annual status report for every cohort whose period overlaps `year`."""
    return await _Builder(session, year, settings, normalise_locale(locale)).build(now)


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
    data = render(report, fmt)
    await record_audit(
        session=session,
        actor=actor,
        actor_id=actor_id,
        action="report.annual",
        subject=f"year:{year}",
        detail={"format": fmt, "cohorts": [c.id for c in report.cohorts], "bytes": len(data)},
    )
    return data
