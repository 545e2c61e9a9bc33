"""What an evaluator sees: aggregated pulse results under the published suppression.

The figures are `bot.report.pulse_figures` with `protect_pulse` — the annual report's and the
evaluator export's, cell for cell — so a class hidden there is hidden here, and no hidden cell
can be solved from what is shown. Only pulses that have closed are shown (anonymous ones once
their answers were released): the page changes when a pulse closes, never as answers arrive,
so two views taken at different times cannot be differenced to reveal an answer. Free text is
never shown (its wording can name its author), nor how many wrote some. No person appears:
no name, email, answer row or time of answering.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.messages import esc, t
from bot.report import protect_pulses, pulse_figures
from bot.report.numbers import format_number
from bot.settings import Settings
from bot.suppression import SUPPRESSED_MARK
from storage.queries import evaluator as q
from storage.queries import report as rq


@dataclass(frozen=True)
class QuestionView:
    position: int
    kind: str
    text: str
    directorate: bool
    columns: list[str]  # after the group column: n, the categories, mean / NPS
    rows: list[tuple[str, list[str]]]  # (group, shown values; SUPPRESSED_MARK when hidden)


@dataclass(frozen=True)
class PulseView:
    pulse_id: int
    title: str
    cohort: str
    anonymous: bool
    opens_at: datetime
    closes_at: datetime
    participation: list[tuple[str, str, str]]  # (group, invited, answered)
    questions: list[QuestionView]


@dataclass(frozen=True)
class EvaluatorResults:
    since: datetime
    min_group_size: int
    pulses: list[PulseView]
    years: list[int]  # report years with cohorts


def question_summary(qn: QuestionView, locale: str, *, indent: str = "") -> str:
    """One question as a chat line (neutral text): its wording, and the whole cohort's row.

    Labels are people's words (a class's name, a choice): marked, never markup.
    """
    line = t("evaluator.page.question", locale, number=qn.position, text=qn.text)
    if qn.directorate:
        line += t("report.evaluations.directorate", locale)
    if qn.kind == "text":
        line += " – " + t("evaluator.page.text_question", locale)
    elif qn.rows:
        label, cells = qn.rows[-1]  # the whole cohort's row
        pairs = ", ".join(f"{esc(c)} {esc(v)}" for c, v in zip(qn.columns, cells, strict=False))
        line += f"\n{indent}{esc(label)}: {pairs}"
    return line


def _cells(qn: Any, gf: Any, locale: str) -> list[str]:
    if gf.hidden:
        width = 1 + len(qn.categories) + (qn.kind in ("scale5", "nps")) + (qn.kind == "nps")
        return [SUPPRESSED_MARK] * width
    out = [format_number(gf.n, locale)]
    out += [format_number(gf.counts.get(c, 0), locale) for c in qn.categories]
    if qn.kind in ("scale5", "nps"):
        out.append(format_number(gf.mean, locale, "mean"))
    if qn.kind == "nps":
        out.append(format_number(gf.nps, locale, "score"))
    return out


def _columns(qn: Any, locale: str) -> list[str]:
    cols = ["n", *qn.category_labels]
    if qn.kind in ("scale5", "nps"):
        cols.append(t("report.evaluations.mean", locale))
    if qn.kind == "nps":
        cols.append(t("report.evaluations.nps", locale))
    return cols


async def evaluator_results(
    session: AsyncSession, *, settings: Settings, now: datetime, locale: str = "nb"
) -> EvaluatorResults:
    """Closed pulses since 1 January last year, aggregated and suppressed (reads only)."""
    since = datetime(now.year - 1, 1, 1, tzinfo=UTC)
    pulses = await q.closed_pulses(session=session, opens_from=since)
    k = settings.min_group_size
    figures = await pulse_figures(session, [p.id for p in pulses if p.id is not None], min_n=k)
    await protect_pulses(figures, min_n=k)  # equation solving: in a worker thread
    cohort_ids = sorted({p.cohort_id for p in pulses if p.cohort_id is not None})
    classes = {c.id: c.name for c in await rq.list_classes(session=session, cohort_ids=cohort_ids)}
    cohorts: dict[int, str] = {}
    years: set[int] = set()
    for year in (now.year - 1, now.year):
        found = await rq.list_report_cohorts(session=session, year=year)
        cohorts.update({c.id: c.name for c in found})
        if found:
            years.add(year)

    def group(g: int | str | None, anonymous: bool) -> str:
        if g == "total":
            return t("report.whole_cohort", locale)
        if g is None:
            return t("pulse.results.pooled" if anonymous else "report.no_class", locale)
        return str(classes.get(int(g), g))

    views: list[PulseView] = []
    for p in pulses:
        assert p.id is not None
        pf = figures[p.id]
        participation = [
            (group(g, p.anonymous), format_number(inv, locale), format_number(ans, locale))
            for g, (inv, ans) in pf.participation_rows()
        ]
        questions = []
        for qn in pf.questions:
            rows: list[tuple[str, list[str]]] = []
            if qn.kind != "text":
                for gid, gf in [*qn.groups.items(), ("total", qn.total)]:
                    rows.append((group(gid, p.anonymous), _cells(qn, gf, locale)))
            questions.append(
                QuestionView(
                    qn.position, qn.kind, qn.text, qn.directorate, _columns(qn, locale), rows
                )
            )
        cohort = cohorts.get(p.cohort_id or 0) or t("report.alumni", locale)
        views.append(
            PulseView(
                p.id,
                p.title,
                cohort,
                p.anonymous,
                p.opens_at,
                p.closes_at,
                participation,
                questions,
            )
        )
    return EvaluatorResults(since, k, views, sorted(years, reverse=True))
