"""The whole import as the CLI and Slack run it: read, check, write, plan, audit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from datetime import date, datetime
from pathlib import Path

from bot import planner
from bot.directory import DirectoryUser
from bot.people_import.columns import ImportFileError
from bot.people_import.read import Table, read_table
from bot.people_import.rows import validate_rows
from bot.people_import.write import ImportReport, import_people
from bot.settings import Settings
from storage.db import Database, scratch_copy
from storage.models import CohortClass
from storage.queries import people as q
from storage.queries import plan as plan_q


async def run_import(
    db: Database,
    path: Path | str,
    *,
    cohort_ref: str,
    today: date,
    directory_users: Sequence[DirectoryUser] | None = None,
    dry_run: bool = False,
    actor: str = "cli",
    progress: Callable[[int], None] | None = None,
    table: Table | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Read, check and import a people file in one transaction; with `dry_run`, roll back.

    With `settings` and `now`, the planner then schedules what the plan implies for the new
    and changed people (their reminders and their managers' nudges), after the commit in short
    transactions. A dry run writes nothing and does not lock the database: on SQLite it runs on
    a scratch copy (`storage.db.scratch_copy`) and only counts the deliveries.
    Raises ImportFileError (the file or cohort is unusable) or ImportRejected (bad rows).
    """
    table = table or read_table(path)
    target: Database = db
    async with AsyncExitStack() as stack:
        if dry_run:
            target = await stack.enter_async_context(scratch_copy(db))
        report, cohort_id = await _import_in(
            target,
            path,
            table,
            cohort_ref=cohort_ref,
            today=today,
            directory_users=directory_users,
            dry_run=dry_run,
            actor=actor,
            progress=progress,
            settings=settings,
            now=now,
        )
    if not dry_run and settings is not None and now is not None:
        warnings: list[str] = []
        report.deliveries_planned = await planner.replan_cohort(
            db, cohort_id=cohort_id, settings=settings, now=now, warnings=warnings
        )
        report.notes.extend(warnings)
    return report


async def _import_in(
    db: Database,
    path: Path | str,
    table: Table,
    *,
    cohort_ref: str,
    today: date,
    directory_users: Sequence[DirectoryUser] | None,
    dry_run: bool,
    actor: str,
    progress: Callable[[int], None] | None,
    settings: Settings | None,
    now: datetime | None,
) -> tuple[ImportReport, int]:
    async with db.session() as session:
        cohort = await plan_q.find_cohort(session=session, ref=cohort_ref)
        if cohort is None or cohort.id is None:
            known = await plan_q.list_cohort_keys(session=session)
            raise ImportFileError(
                f"no cohort '{cohort_ref}'; expected a cohort key or id"
                + (f" ({', '.join(known)})" if known else ": apply a plan first")
            )
        cohort_id = cohort.id  # kept: a rollback expires the row
        classes = await plan_q.list_classes(session=session, cohort_id=cohort.id)
        rows = validate_rows(table, classes)
        report = ImportReport(
            cohort_key=cohort.key, ignored_columns=table.ignored_columns, dry_run=dry_run
        )
        await import_people(
            session=session,
            cohort_id=cohort.id,
            rows=rows,
            classes=classes,
            directory_users=directory_users,
            today=today,
            report=report,
            progress=progress,
            now=now,
        )
        if dry_run and settings is not None and now is not None:
            warnings: list[str] = []
            changes = await planner.plan_changes(
                session=session, cohort_id=cohort.id, settings=settings, now=now, warnings=warnings
            )
            report.deliveries_planned = changes.written
            report.notes.extend(warnings)
        if settings is not None and not settings.smtp_url:
            (
                report.unreachable_participants,
                report.unreachable_managers,
            ) = await q.count_email_only(session=session, cohort_id=cohort.id)
        await q.record_audit(
            session=session,
            actor=actor,
            action="people.import",
            subject=f"cohort:{cohort.id}",
            detail={"file": Path(path).name, "dry_run": dry_run, **report.counts()},
        )
        if dry_run:
            await session.rollback()
        else:
            await session.commit()
    return report, cohort_id


async def load_cohort_classes(db: Database, cohort_ref: str) -> list[CohortClass] | None:
    """The classes of a cohort by key or id, or None if there is no such cohort."""
    async with db.session() as session:
        cohort = await plan_q.find_cohort(session=session, ref=cohort_ref)
        if cohort is None or cohort.id is None:
            return None
        return await plan_q.list_classes(session=session, cohort_id=cohort.id)
