"""Apply a validated plan to the database: create or update rows by their keys, idempotently.

Applying the same plan twice changes nothing; changing one date changes exactly that row.
Rows that are in the database but no longer in the file are reported and left alone: deleting a
session, assignment or pulse would also delete progress, answers and the record of what was
sent, so removing something is a deliberate staff action, not a side effect of editing a file.
After the rows are written, the planner schedules deliveries in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import planner
from bot.plan import Plan, PulsePlan
from bot.settings import Settings
from storage.db import Database
from storage.models import (
    Assignment,
    Cohort,
    CohortClass,
    Nudge,
    Programme,
    ProgrammeSession,
    Pulse,
    PulseQuestion,
)
from storage.queries import people as people_q
from storage.queries import plan as q

RowT = TypeVar("RowT", bound=SQLModel)

KINDS = ("programme", "cohort", "classes", "sessions", "assignments", "nudges", "pulses")


@dataclass
class KindReport:
    """What happened to one kind of row."""

    created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)  # key -> changed fields
    unchanged: list[str] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return len(self.created) + len(self.updated)


@dataclass
class ApplyReport:
    """The outcome of one apply, per kind of row."""

    cohort_key: str
    cohort_id: int | None = None
    dry_run: bool = False
    kinds: dict[str, KindReport] = field(default_factory=lambda: {k: KindReport() for k in KINDS})
    notes: list[str] = field(default_factory=list)
    deliveries_planned: int = 0

    @property
    def changes(self) -> int:
        return sum(k.changes for k in self.kinds.values())

    def counts(self) -> dict[str, dict[str, int]]:
        """Created/updated/unchanged/not-in-file counts per kind (for the audit log)."""
        return {
            name: {
                "created": len(k.created),
                "updated": len(k.updated),
                "unchanged": len(k.unchanged),
                "not_in_file": len(k.not_in_file),
            }
            for name, k in self.kinds.items()
        }


async def _sync(
    session: AsyncSession,
    report: KindReport,
    key: str,
    row: RowT | None,
    values: dict[str, Any],
    make: Callable[..., RowT],
) -> RowT:
    """Create `row` or set `values` on it, saving it if anything changed; record what did."""
    if row is None:
        report.created.append(key)
        row = make(**values)
        await q.save(session=session, row=row)
        return row
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    if changed:
        report.updated[key] = changed
        await q.save(session=session, row=row)
    else:
        report.unchanged.append(key)
    return row


async def apply_plan(
    *,
    session: AsyncSession,
    plan: Plan,
    settings: Settings,
    now: datetime,
    actor: str = "cli",
    source: str | None = None,
    deliveries: str = "write",
) -> ApplyReport:
    """Create or update everything in `plan`, in the caller's transaction; then plan deliveries.

    Args:
        deliveries: "write" plans them in this transaction; "count" only counts what would be
            written (a dry run); "later" leaves them to the caller (`apply_plan_to` re-plans
            after its commit, in short transactions).
    """
    report = ApplyReport(cohort_key=plan.cohort.key)
    kinds = report.kinds

    programme = await q.get_programme_by_key(session=session, key=plan.programme.key)
    programme = await _sync(
        session,
        kinds["programme"],
        plan.programme.key,
        programme,
        {"key": plan.programme.key, "name": plan.programme.name},
        Programme,
    )
    assert programme.id is not None

    cohort = await q.get_cohort_by_key(session=session, key=plan.cohort.key)
    cohort = await _sync(
        session,
        kinds["cohort"],
        plan.cohort.key,
        cohort,
        {
            "programme_id": programme.id,
            "key": plan.cohort.key,
            "name": plan.cohort.name,
            "timezone": plan.cohort.timezone,
            "start_date": plan.cohort.start_date,
            "end_date": plan.cohort.end_date,
        },
        Cohort,
    )
    assert cohort.id is not None
    cohort_id = report.cohort_id = cohort.id

    existing_classes = {
        c.key: c for c in await q.list_classes(session=session, cohort_id=cohort_id)
    }
    for c in plan.classes:
        await _sync(
            session,
            kinds["classes"],
            c.key,
            existing_classes.pop(c.key, None),
            {"cohort_id": cohort_id, "key": c.key, "name": c.name, "city": c.city},
            CohortClass,
        )
    kinds["classes"].not_in_file = sorted(existing_classes)

    existing_sessions = {
        s.key: s for s in await q.list_sessions(session=session, cohort_id=cohort_id)
    }
    session_ids: dict[str, int] = {}
    for s in plan.sessions:
        row_s = await _sync(
            session,
            kinds["sessions"],
            s.key,
            existing_sessions.pop(s.key, None),
            {
                "cohort_id": cohort_id,
                "key": s.key,
                "number": s.number,
                "title": s.title,
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "location": s.location,
                "line_manager_involved": s.line_manager,
            },
            ProgrammeSession,
        )
        assert row_s.id is not None
        session_ids[s.key] = row_s.id
    kinds["sessions"].not_in_file = sorted(existing_sessions)
    if existing_sessions and any(
        r.number in {s.number for s in plan.sessions} for r in existing_sessions.values()
    ):
        report.notes.append(
            "a session left out of the file has the same number as one in it; "
            "relative times use the numbers in the file"
        )

    existing_assignments = {
        a.key: a for a in await q.list_assignments(session=session, cohort_id=cohort_id)
    }
    assignment_ids: dict[str, int] = {}
    planned: list[Assignment] = []
    for a in plan.assignments:
        row_a = await _sync(
            session,
            kinds["assignments"],
            a.key,
            existing_assignments.pop(a.key, None),
            {
                "cohort_id": cohort_id,
                "key": a.key,
                "title": a.title,
                "description": a.description,
                "url": a.url,
                "release_at": a.release_at,
                "due_at": a.due_at,
                "line_manager_involved": a.line_manager,
                "reminder_offsets": list(a.reminder_offsets),
                "session_id": session_ids.get(a.session_key) if a.session_key else None,
            },
            Assignment,
        )
        assert row_a.id is not None
        assignment_ids[a.key] = row_a.id
        planned.append(row_a)
    kinds["assignments"].not_in_file = sorted(existing_assignments)
    planned.extend(existing_assignments.values())

    existing_nudges = {n.key: n for n in await q.list_nudges(session=session, cohort_id=cohort_id)}
    for n in plan.nudges:
        await _sync(
            session,
            kinds["nudges"],
            n.key,
            existing_nudges.pop(n.key, None),
            {
                "cohort_id": cohort_id,
                "key": n.key,
                "kind": n.kind,
                "title": n.title,
                "text": n.text,
                "send_at": n.send_at,
                "respond_by": n.respond_by,
                "assignment_id": assignment_ids.get(n.assignment_key) if n.assignment_key else None,
                "session_id": session_ids.get(n.session_key) if n.session_key else None,
            },
            Nudge,
        )
    kinds["nudges"].not_in_file = sorted(existing_nudges)

    await _apply_pulses(session, plan, report, cohort_id, session_ids)

    warnings: list[str] = []
    if deliveries == "write":
        report.deliveries_planned = await planner.plan_deliveries(
            session=session, cohort_id=cohort_id, settings=settings, now=now, warnings=warnings
        )
    elif deliveries == "count" and not kinds["cohort"].created:  # a new cohort has nobody yet
        # The assignments as applied (a dry run's new ones exist only in memory).
        changes = await planner.plan_changes(
            session=session,
            cohort_id=cohort_id,
            settings=settings,
            now=now,
            warnings=warnings,
            assignments=planned,
        )
        report.deliveries_planned = changes.written
    report.notes.extend(warnings)
    await people_q.record_audit(
        session=session,
        actor=actor,
        action="plan.apply",
        subject=f"cohort:{cohort_id}",
        detail={
            "source": source,
            "cohort": plan.cohort.key,
            "changes": report.changes,
            "counts": report.counts(),
        },
    )
    return report


async def _apply_pulses(
    session: AsyncSession,
    plan: Plan,
    report: ApplyReport,
    cohort_id: int,
    session_ids: dict[str, int],
) -> None:
    kind = report.kinds["pulses"]
    existing = {p.key: p for p in await q.list_pulses(session=session, cohort_id=cohort_id)}
    questions: dict[int, dict[int, PulseQuestion]] = {}
    directorate: dict[int, list[PulseQuestion]] = {}  # accepted evaluator proposals
    for question in await q.list_pulse_questions(
        session=session, pulse_ids=[p.id for p in existing.values() if p.id is not None]
    ):
        if question.proposal_id is not None:
            directorate.setdefault(question.pulse_id, []).append(question)
            continue
        questions.setdefault(question.pulse_id, {})[question.position] = question
    for p in plan.pulses:
        row = await _sync(
            session,
            kind,
            p.key,
            existing.pop(p.key, None),
            {
                "cohort_id": cohort_id,
                "key": p.key,
                "title": p.title,
                "anonymous": p.anonymous,
                "audience": p.audience,
                "opens_at": p.opens_at,
                "closes_at": p.closes_at,
                "reminder_at": p.reminder_at,
                "session_id": session_ids.get(p.session_key) if p.session_key else None,
            },
            Pulse,
        )
        assert row.id is not None
        extra = directorate.get(row.id, [])
        base = max([len(p.questions), *questions.get(row.id, {})])
        moved = await _park_directorate(session, extra, base)
        changed = await _apply_questions(session, p, row.id, questions.get(row.id, {}), report)
        await _place_directorate(session, moved, base)
        if changed and p.key not in kind.created:
            if p.key in kind.unchanged:
                kind.unchanged.remove(p.key)
            kind.updated.setdefault(p.key, []).append("questions")
    kind.not_in_file = sorted(existing)


async def _park_directorate(
    session: AsyncSession, extra: list[PulseQuestion], base: int
) -> list[PulseQuestion]:
    """Move the Directorate's questions out of the plan's way when they are not already right
    after it (`base` = the last position the plan's questions may take). The file never holds
    them, so `plan apply` must neither delete nor overwrite them."""
    ordered = sorted(extra, key=lambda x: x.position)
    if [x.position for x in ordered] == list(range(base + 1, base + 1 + len(ordered))):
        return []
    for i, row in enumerate(ordered):
        row.position = 10_000 + i  # free for a moment: positions are unique per pulse
        await q.save(session=session, row=row)
    return ordered


async def _place_directorate(session: AsyncSession, moved: list[PulseQuestion], base: int) -> None:
    for i, row in enumerate(moved, start=1):
        row.position = base + i
        await q.save(session=session, row=row)


async def _apply_questions(
    session: AsyncSession,
    pulse: PulsePlan,
    pulse_id: int,
    existing: dict[int, PulseQuestion],
    report: ApplyReport,
) -> bool:
    changed = False
    for position, question in enumerate(pulse.questions, start=1):
        values: dict[str, Any] = {
            "pulse_id": pulse_id,
            "position": position,
            "kind": question.kind,
            "text": question.text,
            "choices": list(question.choices),
        }
        row = existing.pop(position, None)
        if row is None:
            await q.save(session=session, row=PulseQuestion(**values))
            changed = True
            continue
        diff = [name for name, value in values.items() if getattr(row, name) != value]
        if diff:
            for name in diff:
                setattr(row, name, values[name])
            await q.save(session=session, row=row)
            changed = True
    for position, row in sorted(existing.items()):
        assert row.id is not None
        if await q.count_question_answers(session=session, question_id=row.id):
            report.notes.append(
                f"pulse '{pulse.key}': question {position} is no longer in the file but has "
                "answers, so it was kept"
            )
            continue
        await q.delete(session=session, row=row)
        changed = True
    return changed


async def apply_plan_to(
    db: Database,
    plan: Plan,
    *,
    settings: Settings,
    now: datetime,
    dry_run: bool = False,
    actor: str = "cli",
    source: str | None = None,
) -> ApplyReport:
    """Apply in one transaction of its own, then plan the deliveries in short transactions.

    With `dry_run`, nothing is written and no write transaction is opened, on SQLite or
    PostgreSQL: the apply works on the rows in memory (`storage.queries.plan.start_dry_run`:
    new rows get stand-in ids, nothing is flushed) and only counts the deliveries.
    """
    if dry_run:
        async with db.session() as session:
            q.start_dry_run(session)
            report = await apply_plan(
                session=session,
                plan=plan,
                settings=settings,
                now=now,
                actor=actor,
                source=source,
                deliveries="count",
            )
            report.dry_run = True
            await session.rollback()
        return report
    async with db.session() as session:
        report = await apply_plan(
            session=session,
            plan=plan,
            settings=settings,
            now=now,
            actor=actor,
            source=source,
            deliveries="later",
        )
        if report.cohort_id is not None:
            # Refused before the commit: a plan too large for the planner changes nothing.
            await planner.check_cohort_size(session, report.cohort_id)
        await session.commit()
    if report.cohort_id is not None:
        # A crash between the commit and here leaves the planner job to catch up.
        async with db.session() as session:
            scope = await _replan_scope(session, report, report.cohort_id)
        report.deliveries_planned = await planner.replan_cohort(
            db,
            cohort_id=report.cohort_id,
            settings=settings,
            now=now,
            assignment_ids=scope[0] if scope else None,
            nudge_ids=scope[1] if scope else None,
        )
    return report


async def _replan_scope(
    session: AsyncSession, report: ApplyReport, cohort_id: int
) -> tuple[set[int], set[int]] | None:
    """The assignments and nudges whose deliveries the apply may have changed, or None for all.

    All when the programme, the cohort or its classes changed (every post and time zone may
    move), and when nothing changed (re-applying a file also catches up a planning that was cut
    off). Otherwise: the created or updated assignments and nudges, and those tied to a created
    or updated session or to a changed assignment. Everything else is as it was planned.
    """
    kinds = report.kinds
    if not report.changes or any(kinds[k].changes for k in ("programme", "cohort", "classes")):
        return None

    def changed(kind: str) -> set[str]:
        return {*kinds[kind].created, *kinds[kind].updated}

    sessions = {
        s.id
        for s in await q.list_sessions(session=session, cohort_id=cohort_id)
        if s.key in changed("sessions")
    }
    assignments = {
        a.id
        for a in await q.list_assignments(session=session, cohort_id=cohort_id)
        if a.id is not None and (a.key in changed("assignments") or a.session_id in sessions)
    }
    nudges = {
        n.id
        for n in await q.list_nudges(session=session, cohort_id=cohort_id)
        if n.id is not None
        and (
            n.key in changed("nudges")
            or n.assignment_id in assignments
            or (n.session_id is not None and n.session_id in sessions)
        )
    }
    return assignments, nudges
