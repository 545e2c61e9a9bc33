"""`cohortbot assignments`: work between sessions, per class (bot/assignments.py)."""

from __future__ import annotations

import typer

from bot.settings import Settings
from cli.common import app, console, fail, load, open_database, require_schema, run_async


@app.command("assignments")
def assignments_command(
    cohort: str = typer.Option(..., "--cohort", metavar="KEY", help="The cohort's key."),
    klass: str | None = typer.Option(None, "--class", metavar="CLASS", help="Only this class."),
    names: bool = typer.Option(False, "--names", help="List who is open and overdue."),
) -> None:
    """Show assignment status per class: done, open and overdue (and who, with --names)."""
    settings = load()
    require_schema(settings)
    run_async(_assignments(settings, cohort_key=cohort, class_ref=klass, names=names))


async def _assignments(
    settings: Settings, *, cohort_key: str, class_ref: str | None, names: bool
) -> None:
    from datetime import UTC, datetime

    from rich.table import Table

    from bot.assignments import audit_status_read, status_by_class
    from bot.line_managers import silent_managers
    from bot.messages import format_when
    from storage.queries import assignments as aq

    now = datetime.now(UTC)
    async with open_database(settings) as db:
        async with db.transaction() as session:
            found = await aq.get_cohort_by_key(session=session, key=cohort_key)
            if found is None or found.id is None:
                fail(f"no cohort with key {cohort_key!r}; see the cohort key in your plan file")
                return
            class_id = None
            if class_ref:
                match = await aq.find_class(session=session, ref=class_ref, cohort_id=found.id)
                if match is None:
                    fail(f"no class {class_ref!r} in cohort {cohort_key}")
                    return
                class_id = match.id
            statuses = await status_by_class(
                session, cohort_id=None if class_id else found.id, class_id=class_id, now=now
            )
            silent = await silent_managers(session, found.id)
            if names:
                await audit_status_read(
                    session,
                    actor_id=None,
                    actor="cli",
                    subject=f"cohort:{found.id}",
                    person_ids=[
                        *(i for st in statuses for i in st.person_ids),
                        *(i for s in silent for i in (s.manager_id, s.participant_id)),
                    ],
                )
    table = Table(title=f"Assignments in {found.name}", show_edge=False)
    for column in ("class", "assignment", "due", "done", "open", "overdue"):
        table.add_column(
            column, justify="right" if column in ("done", "open", "overdue") else "left"
        )
    if names:
        table.add_column("who is overdue / open")
    for status in statuses:
        for row in status.assignments:
            cells = [
                status.class_name + ("" if status.has_channel else " (no channel)"),
                row.title + ("" if row.released else " (not released)"),
                format_when(row.due_at, "nb", status.tz),
                str(len(row.done)),
                str(len(row.open)),
                str(len(row.overdue)),
            ]
            if names:
                cells.append("; ".join(filter(None, [", ".join(row.overdue), ", ".join(row.open)])))
            table.add_row(*cells)
    console.print(table)
    if silent:
        console.print(f"[yellow]{len(silent)} line manager answer(s) escalated to staff:[/]")
        for s in silent:
            console.print(
                f"  {s.manager_name} <{s.manager_contact}> – {s.nudge_title} for "
                f"{s.participant_name}",
                highlight=False,
            )
