"""The root `cohortbot` Typer app and what every command shares: settings, one-line errors,
the schema check and the async runner."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console

from bot.settings import Settings, SettingsError, get_settings

if TYPE_CHECKING:
    from storage.db import Database

T = TypeVar("T")

app = typer.Typer(
    name="cohortbot",
    help="cohortbot: the Slack bot for leadership-programme cohorts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

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


def database_error(exc: BaseException) -> str:
    """A database error said without the values it quotes: its kind and constraint only."""
    orig = getattr(exc, "orig", None)
    constraint = getattr(getattr(orig, "diag", None), "constraint_name", None)
    where = f" on {constraint}" if constraint else ""
    return f"the database refused the change ({type(exc).__name__}{where}); nothing was changed"


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    """The database for one command, disposed of however the command ends."""
    from storage.db import Database

    db = Database(settings.database_url)
    try:
        yield db
    finally:
        await db.dispose()
