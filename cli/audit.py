"""`cohortbot audit`: read the audit log (bot/audit.py)."""

from __future__ import annotations

from typing import Any

import typer

from bot.settings import Settings
from cli.common import app, console, load, open_database, require_schema, run_async


@app.command("audit")
def audit_command(
    person: str | None = typer.Option(
        None, "--person", metavar="EMAIL", help="Only entries by or about this person."
    ),
    since: str | None = typer.Option(
        None, "--since", metavar="DATE", help="Only entries from this day on (YYYY-MM-DD)."
    ),
    limit: int = typer.Option(200, "--limit", min=1, help="How many entries to list."),
) -> None:
    """Read the audit log: who read or changed whose personal data, newest first."""
    from datetime import date as date_cls
    from datetime import datetime as datetime_cls

    settings = load()
    start = None
    if since is not None:
        try:
            day = date_cls.fromisoformat(since)
        except ValueError:
            console.print(f"[red]--since wants a date like 2026-03-01, not {since!r}[/]")
            raise typer.Exit(code=2) from None
        start = datetime_cls.combine(day, datetime_cls.min.time(), tzinfo=settings.zone)
    require_schema(settings)
    run_async(_audit(settings, person=person, since=start, limit=limit))


async def _audit(settings: Settings, *, person: str | None, since: Any, limit: int) -> None:
    from rich.table import Table

    from bot import audit

    async with open_database(settings) as db:
        async with db.transaction() as session:
            person_id = None
            if person is not None:
                person_id = await audit.person_id_for_email(session, person)
                if person_id is None:
                    console.print(f"[red]nobody with the email {person!r}[/]")
                    raise typer.Exit(code=1)
            lines, total = await audit.read_log(
                session, person_id=person_id, since=since, limit=limit
            )
            # Reading the log names people too: that read is in the log as well.
            await audit.record(
                session,
                actor_id=None,
                actor="cli",
                action="audit.read",
                subject=f"person:{person_id}" if person_id is not None else None,
                detail={"since": since.isoformat() if since else None, "shown": len(lines)},
            )
    if not lines:
        console.print("no audit entries" + (" for that person" if person else "") + ".")
        return
    table = Table(title="Audit log (newest first)", show_edge=False)
    for column in ("when", "who", "action", "subject", "people"):
        table.add_column(column)
    for line in lines:
        table.add_row(
            f"{line.at.astimezone(settings.zone):%Y-%m-%d %H:%M}",
            line.actor,
            line.action,
            line.subject or "",
            str(line.people) if line.people else "",
        )
    console.print(table)
    if total > len(lines):
        console.print(f"and {total - len(lines)} more (--limit {total} shows them all)")
