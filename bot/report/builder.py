"""The builder: gathers the people once, then builds every section in order."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.messages import normalise_locale
from bot.report.model import AnnualReport
from bot.report.rules import Window
from bot.report.sections.base import _overlaps
from bot.report.sections.dropout import DropoutSection
from bot.report.sections.enrolment import EnrolmentSections
from bot.report.sections.evaluations import EvaluationsSection
from bot.report.sections.involvement import InvolvementSections
from bot.report.sections.people import PeopleSections
from bot.report.sections.results import ResultsSection
from bot.report.tables import Column
from bot.settings import Settings
from storage.queries import report as q


class _Builder(
    EnrolmentSections,
    DropoutSection,
    PeopleSections,
    EvaluationsSection,
    ResultsSection,
    InvolvementSections,
):
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
        # Counting every column's figures over the enrolments is CPU work: do it once, in a
        # worker thread, so the bot's event loop keeps answering clicks meanwhile.
        every = [*self.columns, *([self.total_col] if self.total_col else [])]
        await asyncio.to_thread(
            lambda: [self._figures(c) for c in [*every, *(c for _, c in history)]]
        )
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
