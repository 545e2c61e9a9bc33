"""The whole import as the CLI and Slack run it: read, check, write, plan, audit."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import planner
from bot.directory import DirectoryUser
from bot.people_import.columns import ImportFileError
from bot.people_import.read import Table, read_table
from bot.people_import.rows import validate_rows
from bot.people_import.write import ImportPlan, ImportReport, plan_import, write_import
from bot.settings import Settings
from storage.db import Database
from storage.models import CohortClass, EnrolmentStatus
from storage.queries import assignments as q_assignments
from storage.queries import people as q
from storage.queries import plan as plan_q
from storage.queries.assignments import TAKING_PART, ParticipantRow


async def run_import(
    db: Database,
    path: Path | str,
    *,
    cohort_ref: str,
    today: date,
    now: datetime,
    directory_users: Sequence[DirectoryUser] | None = None,
    dry_run: bool = False,
    actor: str = "cli",
    progress: Callable[[int], None] | None = None,
    table: Table | None = None,
    settings: Settings | None = None,
) -> ImportReport:
    """Read and check a people file, then write what it changes; with `dry_run`, only report.

    Everything is checked before anything is written, reading without a write transaction
    (`plan_import`): bad rows, Slack ids held by others, status changes, column sizes, and the
    cohort's plan size after the import (`bot.planner.MAX_DELIVERIES_PER_COHORT`). A dry run
    stops there: it writes nothing and never takes a write lock, on SQLite or PostgreSQL.
    Otherwise only the rows that differ are written, in short transactions (`write_import`).
    With `settings`, the planner then schedules what the plan implies for the new and changed
    people (their reminders and their managers' nudges), also in short transactions; a dry run
    counts those deliveries instead. `now` stamps the rows (the caller's clock).
    Raises ImportFileError (the file or cohort is unusable, or the plan would be too large)
    or ImportRejected (bad rows).
    """
    table = table or read_table(path)
    async with db.session() as session:
        cohort = await plan_q.find_cohort(session=session, ref=cohort_ref)
        if cohort is None or cohort.id is None:
            known = await plan_q.list_cohort_keys(session=session)
            raise ImportFileError(
                f"no cohort '{cohort_ref}'; expected a cohort key or id"
                + (f" ({', '.join(known)})" if known else ": apply a plan first")
            )
        cohort_id = cohort.id
        classes = await plan_q.list_classes(session=session, cohort_id=cohort_id)
        rows = validate_rows(table, classes)
        report = ImportReport(
            cohort_key=cohort.key, ignored_columns=table.ignored_columns, dry_run=dry_run
        )
        plan = await plan_import(
            session=session,
            cohort_id=cohort_id,
            rows=rows,
            classes=classes,
            directory_users=directory_users,
            today=today,
            report=report,
            progress=progress,
            now=now,
        )
        participants = await _participants_after(session, plan)
        try:
            planner.check_size(
                cohort_key=cohort.key,
                assignments=len(
                    await q_assignments.list_assignments(session=session, cohort_id=cohort_id)
                ),
                classes=len(classes),
                taking_part=sum(1 for p in participants if p.taking_part),
            )
        except planner.PlanTooLarge as exc:
            raise ImportFileError(f"{exc}; the file would make the cohort too large") from exc
        if dry_run:
            if settings is not None:
                warnings: list[str] = []
                changes = await planner.plan_changes(
                    session=session,
                    cohort_id=cohort_id,
                    settings=settings,
                    now=now,
                    warnings=warnings,
                    participants=participants,
                )
                report.deliveries_planned = changes.written
                report.notes.extend(warnings)
                if not settings.smtp_url:
                    (
                        report.unreachable_participants,
                        report.unreachable_managers,
                    ) = await _email_only_after(session, plan)
            return report
    await write_import(db, plan)
    report.notes.extend(plan.unlinked)
    async with db.transaction() as session:
        if settings is not None and not settings.smtp_url:
            (
                report.unreachable_participants,
                report.unreachable_managers,
            ) = await q.count_email_only(session=session, cohort_id=cohort_id)
        await q.record_audit(
            session=session,
            actor=actor,
            action="people.import",
            subject=f"cohort:{cohort_id}",
            detail={"file": Path(path).name, "dry_run": False, **report.counts()},
        )
    if settings is not None:
        warnings = []
        report.deliveries_planned = await planner.replan_cohort(
            db, cohort_id=cohort_id, settings=settings, now=now, warnings=warnings
        )
        report.notes.extend(warnings)
    return report


async def _participants_after(session: AsyncSession, plan: ImportPlan) -> list[ParticipantRow]:
    """The cohort's participants as they will be after the import (new people with their
    stand-in ids), for counting what the planner would do without writing."""
    by_id = {p["id"]: p for p in plan.people.values()}
    out = []
    for row in await q_assignments.list_participants(session=session, cohort_id=plan.cohort_id):
        if row.person_id not in by_id:  # enrolled, not in the file: as stored
            status = plan.enrolments.get(row.person_id, {}).get("status", row.status)
            out.append(dataclasses.replace(row, status=status))
    seen = {row.person_id for row in out}
    shown = {*TAKING_PART, EnrolmentStatus.COMPLETED, EnrolmentStatus.WITHDRAWN}
    for person_id, enrolment in plan.enrolments.items():
        person = by_id.get(person_id)
        if person is None or person_id in seen or enrolment["status"] not in shown:
            continue
        out.append(
            ParticipantRow(
                person_id=person_id,
                name=person["name"],
                email=person["email"],
                slack_user_id=person.get("slack_user_id"),
                slack_active=bool(person.get("slack_active", True)),
                locale=person.get("locale") or "nb",
                timezone=person.get("timezone"),
                class_id=enrolment.get("class_id"),
                status=enrolment["status"],
            )
        )
    return out


async def _email_only_after(session: AsyncSession, plan: ImportPlan) -> tuple[int, int]:
    """`count_email_only` for the cohort as it will be after the import, without writing."""
    stored = await q.slack_state_of_cohort(session=session, cohort_id=plan.cohort_id)
    for person in plan.people.values():
        stored[person["id"]] = (person.get("slack_user_id"), bool(person.get("slack_active")))

    def off_slack(person_id: int) -> bool:
        slack_id, active = stored.get(person_id, (None, False))
        return slack_id is None or not active

    participants = sum(1 for pid in plan.enrolments if off_slack(pid))
    managers = sum(1 for mid in set(plan.links.values()) if off_slack(mid))
    return participants, managers


async def load_cohort_classes(db: Database, cohort_ref: str) -> list[CohortClass] | None:
    """The classes of a cohort by key or id, or None if there is no such cohort."""
    async with db.session() as session:
        cohort = await plan_q.find_cohort(session=session, ref=cohort_ref)
        if cohort is None or cohort.id is None:
            return None
        return await plan_q.list_classes(session=session, cohort_id=cohort.id)
