"""`cohortbot plan apply`: validate a plan file and write what changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bot.messages import counted
from cli.common import app, console, err, fail, load, open_database, require_schema, run_async

plan_app = typer.Typer(help="The programme plan file.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")


@plan_app.command("apply")
def plan_apply(
    file: Path = typer.Argument(..., help="The plan file (YAML), e.g. examples/plan.yaml."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and report; write nothing."),
) -> None:
    """Validate a plan file, then create or update the cohort from it (idempotent)."""
    from bot.clock import SystemClock
    from bot.plan import PlanInvalid, load_plan
    from bot.plan_apply import apply_plan_to

    settings = load()
    try:
        plan = load_plan(file)
    except PlanInvalid as exc:
        for line in exc.lines():
            err.print(line, highlight=False, markup=False)
        fail(f"{len(exc.errors)} error(s) in {file}; nothing was written")
        return
    require_schema(settings)

    async def apply() -> Any:
        async with open_database(settings) as db:
            return await apply_plan_to(
                db,
                plan,
                settings=settings,
                now=SystemClock().now(),
                dry_run=dry_run,
                source=str(file),
            )

    from bot.planner import PlanTooLarge

    try:
        report = run_async(apply())
    except PlanTooLarge as exc:
        fail(f"{exc}; nothing was applied")
        return
    _print_plan_report(report)


def _print_plan_report(report: Any) -> None:
    from rich.table import Table

    table = Table(title=f"cohort {report.cohort_key}" + (" (dry run)" if report.dry_run else ""))
    for column in ("", "created", "updated", "unchanged", "not in file"):
        table.add_column(column, justify="left" if not column else "right")
    for name, kind in report.kinds.items():
        table.add_row(
            name,
            str(len(kind.created)),
            str(len(kind.updated)),
            str(len(kind.unchanged)),
            str(len(kind.not_in_file)),
        )
    console.print(table)
    for name, kind in report.kinds.items():
        for key, fields in kind.updated.items():
            console.print(f"  updated {name} {key}: {', '.join(fields)}", highlight=False)
        for key in kind.not_in_file:
            console.print(
                f"  [yellow]{name} {key} is not in the file; left as it is[/]", highlight=False
            )
    for note in report.notes:
        console.print(f"  [yellow]note:[/] {note}", highlight=False)
    verb = "would be made (dry run: nothing written)" if report.dry_run else "made"
    console.print(
        f"{counted(report.changes, 'change', 'changes')} {verb}; "
        f"{counted(report.deliveries_planned, 'delivery', 'deliveries')} planned"
    )
