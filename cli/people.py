"""`cohortbot import people`: check an import file and write its people."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bot.messages import counted
from cli.common import app, console, err, fail, load, open_database, require_schema, run_async

import_app = typer.Typer(help="Import people.", no_args_is_help=True)
app.add_typer(import_app, name="import")


@import_app.command("people")
def import_people_command(
    file: Path = typer.Argument(..., help="CSV (comma or semicolon, UTF-8) or XLSX."),
    cohort: str = typer.Option(..., "--cohort", help="The cohort's key (e.g. 2026h) or id."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and report; write nothing."),
    no_slack: bool = typer.Option(
        False, "--no-slack", help="Do not match people to Slack users even with a token."
    ),
) -> None:
    """Import participants and line managers into a cohort (all or nothing; re-import updates)."""
    from rich.progress import Progress

    from bot.clock import SystemClock
    from bot.directory import DirectoryError, DirectoryUser
    from bot.people_import import (
        ImportFileError,
        ImportRejected,
        load_cohort_classes,
        read_table,
        run_import,
        validate_rows,
    )

    settings = load()
    try:
        table = read_table(file)
    except ImportFileError as exc:
        fail(f"{file}: {exc}; nothing was imported")
        return
    require_schema(settings)
    use_slack = bool(settings.slack_bot_token) and not no_slack

    async def check_and_import() -> Any:
        import aiohttp

        async with open_database(settings) as db:
            classes = await load_cohort_classes(db, cohort)
            if classes is not None:
                validate_rows(table, classes)  # bad rows stop us before we ask Slack
            users: list[DirectoryUser] | None = None
            quiet = len(table.rows) < 100 and not use_slack  # a bar only where it helps
            with Progress(console=console, transient=True, disable=quiet) as progress:
                if use_slack and classes is not None:
                    from handlers.slack.directory import make_slack_directory

                    task = progress.add_task("reading Slack's user list", total=None)
                    async with aiohttp.ClientSession() as http:
                        directory = make_slack_directory(
                            token=settings.slack_bot_token or "",
                            base_url=settings.slack_api_url,
                            session=http,
                            on_page=lambda n: progress.advance(task, n),
                        )
                        users = await directory.all_users()
                    progress.remove_task(task)
                rows = progress.add_task("importing", total=len(table.rows))
                return await run_import(
                    db,
                    file,
                    cohort_ref=cohort,
                    today=SystemClock().now().astimezone(settings.zone).date(),
                    directory_users=users,
                    dry_run=dry_run,
                    progress=lambda n: progress.advance(rows, n),
                    table=table,
                    settings=settings,
                    now=SystemClock().now(),
                )

    from bot.planner import PlanTooLarge

    try:
        report = run_async(check_and_import())
    except ImportRejected as exc:
        for error in exc.errors:
            err.print(f"{file}: {error}", highlight=False, markup=False)
        fail(f"{len(exc.errors)} problem(s) in {file}; nothing was imported")
        return
    except (ImportFileError, DirectoryError) as exc:
        fail(f"{exc}; nothing was imported")
        return
    except PlanTooLarge as exc:
        fail(f"{exc}; no deliveries were planned for this import")
        return
    _print_import_report(report)


def _print_import_report(report: Any) -> None:
    title = f"cohort {report.cohort_key}" + (
        " (dry run: nothing written)" if report.dry_run else ""
    )
    console.print(f"[bold]{title}[/]: {report.rows} rows", highlight=False)
    console.print(
        f"  participants: {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged",
        highlight=False,
    )
    console.print(
        f"  line managers: {len(report.managers_created)} created, "
        f"{len(report.managers_updated)} updated",
        highlight=False,
    )
    if report.slack_checked:
        console.print(
            f"  Slack: {len(report.matched)} matched, {len(report.not_found)} not found, "
            f"{len(report.deactivated)} deactivated",
            highlight=False,
        )
        for email in report.not_found:
            console.print(f"    not in Slack: {email}", highlight=False)
        for email in report.deactivated:
            console.print(f"    deactivated in Slack: {email}", highlight=False)
    else:
        console.print("  Slack: not checked (no SLACK_BOT_TOKEN, or --no-slack)")
    if report.ignored_columns:
        console.print(f"  ignored columns: {', '.join(report.ignored_columns)}", highlight=False)
    for note in report.notes:
        console.print(f"  [yellow]note:[/] {note}", highlight=False)
    console.print(f"  {report.deliveries_planned} deliveries planned")
    if report.unreachable_participants or report.unreachable_managers:
        p, m = report.unreachable_participants or 0, report.unreachable_managers or 0
        console.print(
            "  [yellow]email is not configured (no SMTP_URL): "
            f"{counted(p, 'participant', 'participants')} and "
            f"{counted(m, 'line manager', 'line managers')} not on Slack "
            "cannot be reached; their deliveries are held until SMTP_URL is set[/]",
            highlight=False,
        )
