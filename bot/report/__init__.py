"""The annual status report (and the final report over several years), from recorded facts.

`build_annual_report` / `build_final_report` return a plain data structure (sections of tables of
cells, and chart data); `bot.report.render` turns it into HTML, XLSX or a tidy CSV. Every cell
carries its tidy coordinates (section, cohort, group, measure, category), so the CSV is the same
numbers as the tables, and its suppression flag, so every format marks hidden cells the same way.

What counts in which year is `bot.report.rules` (written out in docs/pulses-and-report.md).
Completion, dropout and results come only from recorded statuses, never from the calendar.

Disclosure control (`bot.suppression.LinearTable`): every table of people counts is solved as a
system of linear equations — its cells, its row and column totals, and the sums and means printed
with it (credits in total, credits per participant) — with the headline numbers of the first
section (started, participants, withdrawn per cohort) as fixed, published totals. No hidden small
cell can be worked out from what the same report shows. Headline flow numbers (applicants,
admitted, started, participants, completed, withdrawn) are programme statistics and are shown.

The package, by concern:
- `model`: the data (`AnnualReport`, sections, `Table`, `Cell`, `Chart`);
- `rules`: what counts in which year;
- `tables`: count tables as linear equations for `bot.suppression`, and their cells;
- `sections/`: the builder's sections (enrolment and summary, dropout, background and geography,
  evaluations, results, involvement and networks), joined in `builder`;
- `pulses`: pulse figures and their protection (shared with live results and the evaluator);
- `render` (`html`, `xlsx`, `tidy_csv`, `charts`, `numbers`): the formats;
- `produce`: build, render off the event loop and audit — what the CLI and the bot call.
"""

from bot.report.builder import build_annual_report, build_final_report
from bot.report.model import (
    NO_DENOMINATOR,
    NOT_OPENED,
    NOT_SENT,
    SCALE_KINDS,
    WITHHELD,
    AnnualReport,
    Cell,
    Chart,
    ReportSection,
    Table,
)
from bot.report.produce import (
    REPORT_FORMATS,
    annual_report_in_child,
    produce_annual_report,
    produce_final_report,
)
from bot.report.pulses import (
    GroupFigures,
    PulseFigures,
    QuestionFigures,
    protect_pulse,
    protect_pulses,
    protect_question,
    pulse_figures,
)
from bot.report.tables import Column, _fmt_credits, grid_table

__all__ = [
    "NOT_OPENED",
    "NOT_SENT",
    "NO_DENOMINATOR",
    "REPORT_FORMATS",
    "SCALE_KINDS",
    "WITHHELD",
    "AnnualReport",
    "Cell",
    "Chart",
    "Column",
    "GroupFigures",
    "PulseFigures",
    "QuestionFigures",
    "ReportSection",
    "Table",
    "_fmt_credits",
    "annual_report_in_child",
    "build_annual_report",
    "build_final_report",
    "grid_table",
    "produce_annual_report",
    "produce_final_report",
    "protect_pulse",
    "protect_pulses",
    "protect_question",
    "pulse_figures",
]
