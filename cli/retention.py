"""`cohortbot retention run`: delete what each data class's retention rule says is due."""

from __future__ import annotations

import typer

from cli.common import app, console, load, open_database, require_schema, run_async

retention_app = typer.Typer(help="Retention rules per data class.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")


@retention_app.command("run")
def retention_run(
    dry_run: bool = typer.Option(False, "--dry-run", help="Count; change nothing."),
) -> None:
    """Apply the retention rule of every data class now and print counts per class."""
    from bot.clock import SystemClock
    from bot.retention import RetentionResult, finish_archive, run_retention

    settings = load()
    require_schema(settings)

    async def go() -> RetentionResult:
        async with open_database(settings) as db:
            async with db.transaction() as session:
                result = await run_retention(
                    session, settings, now=SystemClock().now(), dry_run=dry_run
                )
            await finish_archive(result, settings, db)  # files, after the commit
            if not dry_run and any(result.counts.values()):
                await db.purge_freed_space()
            return result

    result = run_async(go())
    verb = "would be removed (dry run: nothing changed)" if dry_run else "removed"
    console.print(f"retention: rows {verb} per data class", highlight=False)
    for name, count in result.counts.items():
        console.print(f"  {name}: {count}", highlight=False)
