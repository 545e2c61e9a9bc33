"""The `cohortbot` command line (Typer). Each command parses its arguments, calls `bot/` and prints
the outcome; one module per command group, registered on the root app by importing it.
"""

from __future__ import annotations

import sys
from importlib import import_module

from bot.settings import SettingsError
from cli.common import app, console, database_error, err

__all__ = ["app", "console", "main"]

# Importing a command module registers its commands on `app`; this order is `--help`'s order.
COMMAND_MODULES = (
    "runtime",
    "plan",
    "people",
    "broadcast",
    "deliveries",
    "assignments",
    "report",
    "person",
    "retention",
    "audit",
    "evaluator",
    "archive",
    "teams",
)
for _name in COMMAND_MODULES:
    import_module(f"cli.{_name}")


def main() -> None:
    """Console-script entry point."""
    from sqlalchemy.exc import SQLAlchemyError

    from storage.lengths import ValueTooLong

    try:
        app()
    except ValueTooLong as exc:
        err.print(f"[bold red]error:[/] {exc}; nothing was changed", highlight=False)
        sys.exit(1)
    except SettingsError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)
    except SQLAlchemyError as exc:
        # A database's error text quotes rows (emails, names) and URLs: say what kind it was.
        err.print(f"[bold red]error:[/] {database_error(exc)}", highlight=False)
        sys.exit(1)
