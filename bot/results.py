"""Pulse results for staff (per class and cohort, small groups hidden) and the evaluator export.

The numbers come from `bot.report.pulse_figures`, so Slack, the terminal, the annual report and
the evaluator's CSV apply the same suppression. An anonymous pulse has results only once it has
closed and its sealed answers were released (bot.pulses.release): before that its results are
how many have answered so far, in total, and when the results come. So live results change
exactly once, and re-running them while the pulse is open reveals no answer as it arrives. Free text is listed without names, only when the
question has at least `min_group_size` text answers, and for anonymous pulses in random order
(a fresh secure shuffle each time, so the order says nothing about who answered first).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.export import csv_text
from bot.messages import format_when, normalise_locale, t
from bot.reach import ReachFigures, reach_figures, reach_line
from bot.report import PulseFigures, protect_pulses, pulse_figures
from bot.settings import Settings
from bot.suppression import SUPPRESSED_MARK
from storage.models import Pulse
from storage.queries import pulses as pq
from storage.queries import reach as reach_q
from storage.queries import report as rq

EVALUATOR_COLUMNS = (
    "pulse",
    "title",
    "cohort",
    "anonymous",
    "opens_at",
    "group",
    "question",
    "kind",
    "measure",
    "category",
    "value",
    "suppressed",
    "origin",  # "directorate": a question the Directorate proposed (bot.evaluator)
)


@dataclass
class PulseResults:
    pulse: Pulse
    figures: PulseFigures
    class_names: dict[int, str]
    min_group_size: int
    texts: dict[int, list[str]] = field(default_factory=dict)  # question id -> texts
    hidden_texts: dict[int, int] = field(default_factory=dict)  # question id -> count hidden
    # An anonymous pulse not yet released: only `answered_so_far` of `invited` is known.
    pending: bool = False
    answered_so_far: int = 0
    invited: int = 0
    # How many of the audience were asked on Slack, Teams, email, or not reached, per class.
    reach: ReachFigures = field(default_factory=lambda: ReachFigures([]))

    def group_name(self, group: int | str | None, locale: str, *, answers: bool = True) -> str:
        """A group's name; an anonymous pulse's answers without a class are the pooled ones."""
        if group == "total":
            return t("report.whole_cohort", locale)
        if group is None:
            pooled = answers and self.pulse.anonymous
            return t("pulse.results.pooled" if pooled else "report.no_class", locale)
        return self.class_names.get(int(group), str(group))


async def pulse_results(
    session: AsyncSession,
    pulse_id: int,
    *,
    settings: Settings,
    rng: random.Random | None = None,
) -> PulseResults | None:
    """Return a pulse's results with suppression applied, or None if there is no such pulse."""
    pulse = await pq.get_pulse(session=session, pulse_id=pulse_id)
    if pulse is None:
        return None
    k = settings.min_group_size
    figures = (await pulse_figures(session, [pulse_id], min_n=k))[pulse_id]
    # The report's equation check too (issue 12): no small class's counts may follow from the
    # shown classes, the cohort row, means and respondents — in live results as in the report.
    await protect_pulses({pulse_id: figures}, min_n=k)
    class_names: dict[int, str] = {}
    if pulse.cohort_id is not None:
        class_names = {
            c.id: c.name
            for c in await rq.list_classes(session=session, cohort_ids=[pulse.cohort_id])
        }
    results = PulseResults(pulse, figures, class_names, k)
    recorded = (await reach_q.pulse_reach(session=session, pulse_ids=[pulse_id]))[pulse_id]
    shown_invited = None if pulse.anonymous and pulse.released_at is None else figures.invited
    results.reach = reach_figures(recorded, min_n=k, invited=shown_invited)
    if pulse.anonymous and pulse.released_at is None:
        counts = await pq.receipt_counts(session=session, pulse_ids=[pulse_id])
        results.pending = True
        results.answered_so_far = counts.get(pulse_id, 0)
        results.invited = sum(figures.invited.values())
        figures.questions = []
        return results
    by_question: dict[int, list[str]] = {}
    for row in await pq.text_answers(session=session, pulse_id=pulse_id):
        by_question.setdefault(row.question_id, []).append(row.text)
    shuffler = rng or random.SystemRandom()
    for qid, texts in by_question.items():
        if len(texts) < k:
            results.hidden_texts[qid] = len(texts)
            continue
        if pulse.anonymous:
            shuffler.shuffle(texts)
        results.texts[qid] = texts
    return results


def _fmt(value: float | int | None, locale: str) -> str:
    if value is None:
        return "–"
    text = f"{value:g}" if isinstance(value, int) else f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if locale == "nb" else text


def response_lines(results: PulseResults, locale: str) -> list[str]:
    """One bullet per group (classes first, then the total): answered of invited, and the rate;
    then how each class was reached (Slack, Teams, email, not reached).

    For an anonymous pulse still open: the total so far and when its results come, nothing more.
    """
    lines = _answer_lines(results, locale)
    if not results.reach.empty:
        lines.append(t("reach.results.title", locale))
        for group, cells in results.reach.rows:
            name = results.group_name(group, locale, answers=False)
            lines.append(
                "• "
                + t("reach.results.line", locale, group=name, channels=reach_line(cells, locale))
            )
    return lines


def _answer_lines(results: PulseResults, locale: str) -> list[str]:
    if results.pending:
        when = format_when(results.pulse.closes_at, locale)
        return [
            "• "
            + t(
                "pulse.results.so_far",
                locale,
                answered=results.answered_so_far,
                invited=results.invited,
            ),
            t("pulse.results.pending", locale, when=when),
        ]
    lines = []
    for group, (invited, answered) in results.figures.participation_rows():
        rate = f"{round(100 * answered / invited)} %" if invited else "–"
        lines.append(
            "• "
            + t(
                "pulse.results.response",
                locale,
                group=results.group_name(group, locale, answers=False),
                answered=answered,
                invited=invited,
                rate=rate,
            )
        )
    return lines


def results_text(results: PulseResults, *, locale: str = "nb") -> str:
    """Summarise results as plain text (terminal, and the Slack fallback text)."""
    loc = normalise_locale(locale)
    k = results.min_group_size
    hidden = t("pulse.results.hidden", loc, k=k)
    lines = [t("pulse.results.title", loc, title=results.pulse.title)]
    lines += response_lines(results, loc)
    for qn in results.figures.questions:
        lines.append(f"\n{qn.position}. {qn.text}")
        groups: list[tuple[Any, Any]] = [*qn.groups.items(), ("total", qn.total)]
        for gid, g in groups:
            name = results.group_name(gid, loc)
            if g.hidden:
                lines.append(f"   {name}: {hidden}")
                continue
            if qn.kind == "text":
                lines.append(f"   {name}: n={g.n}")
                continue
            dist = ", ".join(
                f"{lab}: {g.counts.get(c, 0)}"
                for c, lab in zip(qn.categories, qn.category_labels, strict=True)
            )
            extra = ""
            if qn.kind in ("scale5", "nps"):
                extra += " · " + t("pulse.results.mean", loc, mean=_fmt(g.mean, loc))
            if qn.kind == "nps":
                extra += " · " + t("pulse.results.nps", loc, nps=_fmt(g.nps, loc))
            lines.append(f"   {name}: n={g.n} · {dist}{extra}")
        if qn.id in results.texts:
            shuffled = t("pulse.results.shuffled", loc) if results.pulse.anonymous else ""
            lines.append("   " + t("pulse.results.texts", loc, shuffled=shuffled))
            lines += [f"   – {x}" for x in results.texts[qn.id]]
        elif qn.id in results.hidden_texts:
            lines.append(f"   {hidden}")
    return "\n".join(lines)


def results_chart_png(results: PulseResults, *, locale: str = "nb") -> bytes:
    """Draw the whole cohort's answer distribution per question as a PNG (for Slack upload)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    loc = normalise_locale(locale)
    questions = [qn for qn in results.figures.questions if qn.kind != "text"]
    fig = Figure(figsize=(7, 2.6 * max(1, len(questions))), dpi=110)
    fig.suptitle(results.pulse.title, fontsize=11)
    if results.pending:
        ax = fig.add_subplot()
        ax.axis("off")
        when = format_when(results.pulse.closes_at, loc)
        ax.text(
            0.5,
            0.5,
            t("pulse.results.pending", loc, when=when),
            ha="center",
            va="center",
            wrap=True,
            fontsize=9,
        )
        questions = []
    for i, qn in enumerate(questions, start=1):
        ax = fig.add_subplot(len(questions), 1, i)
        ax.set_title(f"{qn.position}. {qn.text}"[:90], fontsize=9, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
        if qn.total.hidden or not qn.total.n:
            ax.text(
                0.5,
                0.5,
                t("pulse.results.hidden", loc, k=results.min_group_size),
                ha="center",
                va="center",
            )
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        counts = [qn.total.counts.get(c, 0) for c in qn.categories]
        ax.bar([lab[:20] for lab in qn.category_labels], counts, color="#0b5394")
        ax.set_ylabel("n")
    if not questions and not results.pending:
        ax = fig.add_subplot()
        ax.axis("off")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


async def evaluator_rows(
    session: AsyncSession, *, year: int, settings: Settings
) -> list[tuple[object, ...]]:
    """Return the anonymised pulse data of a year for the external evaluator (see EVALUATOR_COLUMNS).

    Aggregates only, with the report's suppression: counts per class and cohort, never an answer
    row, a respondent token or a time of answer. Free text is left out: its wording can identify
    its author, and no suppression rule can see that.
    """
    cohorts = await rq.list_report_cohorts(session=session, year=year)
    names = {c.id: c.name for c in cohorts}
    pulses = await rq.list_report_pulses(
        session=session,
        cohort_ids=list(names),
        opens_from=datetime(year, 1, 1, tzinfo=UTC),
        opens_before=datetime(year + 1, 1, 1, tzinfo=UTC),
    )
    figures = await pulse_figures(session, [p.id for p in pulses], min_n=settings.min_group_size)
    # The same equation check as the annual report (no small class's counts exact), solved in
    # a worker thread.
    await protect_pulses(figures, min_n=settings.min_group_size)
    classes = {c.id: c.name for c in await rq.list_classes(session=session, cohort_ids=list(names))}
    rows: list[tuple[object, ...]] = []
    for p in pulses:
        cohort = names.get(p.cohort_id, "alumni")
        base = (p.key, p.title, cohort, int(bool(p.anonymous)), p.opens_at.date().isoformat())
        pf = figures[p.id]

        def group_name(g: int | str | None) -> str:
            if g == "total":
                return "cohort"
            return "no class" if g is None else classes.get(int(g), str(g))

        for g, (invited, answered) in pf.participation_rows():
            rows.append((*base, group_name(g), "", "", "invited", "", invited, 0, ""))
            rows.append((*base, group_name(g), "", "", "answered", "", answered, 0, ""))
        for qn in pf.questions:
            groups: list[tuple[Any, Any]] = [*qn.groups.items(), ("total", qn.total)]
            for gid, gf in groups:
                cells: list[tuple[str, str, float | int | None]] = [("n", "", gf.n)]
                cells += [
                    ("count", lab, gf.counts.get(c, 0))
                    for c, lab in zip(qn.categories, qn.category_labels, strict=True)
                ]
                if qn.kind in ("scale5", "nps"):
                    cells.append(("mean", "", gf.mean))
                if qn.kind == "nps":
                    cells.append(("nps", "", gf.nps))
                for measure, category, value in cells:
                    shown: object = "" if gf.hidden or value is None else value
                    rows.append(
                        (
                            *base,
                            group_name(gid),
                            qn.position,
                            qn.kind,
                            measure,
                            category,
                            shown,
                            int(gf.hidden),
                            "directorate" if qn.directorate else "",
                        )
                    )
    return rows


def render_evaluator_csv(rows: list[tuple[object, ...]]) -> str:
    """Write the evaluator rows as CSV with a header; hidden values are empty with suppressed=1."""
    return csv_text(EVALUATOR_COLUMNS, rows)  # bot.export: no cell can run as a formula


__all__ = [
    "EVALUATOR_COLUMNS",
    "SUPPRESSED_MARK",
    "PulseResults",
    "evaluator_rows",
    "pulse_results",
    "render_evaluator_csv",
    "results_chart_png",
    "results_text",
]
