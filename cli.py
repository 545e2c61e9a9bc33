"""The `cohortbot` command line: run, db upgrade, plan apply, import people, broadcast, deliveries,
report annual, demo. Each command parses its arguments, calls `bot/` and prints the outcome.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

import typer
from rich.console import Console

from bot.settings import Settings, SettingsError, get_settings

T = TypeVar("T")

app = typer.Typer(
    name="cohortbot",
    help="cohortbot: the Slack bot for leadership-programme cohorts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
plan_app = typer.Typer(help="The programme plan file.", no_args_is_help=True)
import_app = typer.Typer(help="Import people.", no_args_is_help=True)
report_app = typer.Typer(help="Reports.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(plan_app, name="plan")
app.add_typer(import_app, name="import")
app.add_typer(report_app, name="report")

console = Console()
# Errors are one line whatever the terminal width: never wrapped.
err = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 1) -> None:
    """Print one clear line to stderr and exit."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def load() -> Settings:
    """Settings, or one line naming the bad variable."""
    try:
        return get_settings()
    except SettingsError as exc:
        fail(str(exc), 2)
        raise  # unreachable


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def require_schema(settings: Settings) -> None:
    """Stop with a message saying what to run if the schema is not at head."""
    from storage.migrate import schema_problem

    problem = schema_problem(settings.database_url)
    if problem:
        fail(problem, 3)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the newest version."""
    from storage.migrate import current_revision, upgrade

    settings = load()
    try:
        upgrade(settings.database_url)
    except Exception as exc:
        fail(f"could not migrate the database ({type(exc).__name__}: {exc}); check DATABASE_URL")
    console.print(f"database at revision {current_revision(settings.database_url)}")


@app.command("run")
def run() -> None:
    """Start the bot (and, without Slack credentials, the local Slack workspace)."""
    from app import serve

    settings = load()
    require_schema(settings)
    try:
        asyncio.run(serve(settings))
    except KeyboardInterrupt:
        pass


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except SettingsError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)
