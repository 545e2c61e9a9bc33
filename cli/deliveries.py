"""`cohortbot deliveries`: the outbox's state, failures and who could not be reached."""

from __future__ import annotations

from typing import Any

import typer

from bot.messages import plural_word
from bot.settings import Settings
from cli.common import app, console, load, open_database, require_schema, run_async


@app.command("deliveries")
def deliveries_command(
    resume: str | None = typer.Option(
        None, "--resume", metavar="TRANSPORT", help="Lift a pause on slack or email."
    ),
    failures: int = typer.Option(20, "--failures", min=0, help="How many failures to list."),
    unreachable: int = typer.Option(
        50, "--unreachable", min=0, help="How many people nothing reaches to list."
    ),
) -> None:
    """Show the outbox: counts by state, pauses, failures with reasons and people, and who
    cannot be reached at all (no chat account and no email, or the email bounced)."""
    settings = load()
    require_schema(settings)
    run_async(_deliveries(settings, resume=resume, failures=failures, unreachable=unreachable))


async def _deliveries(
    settings: Settings, *, resume: str | None, failures: int, unreachable: int = 50
) -> None:
    from rich.table import Table

    from bot import audit
    from bot.delivery import delivery_overview, resume_sending
    from bot.reach import unreachable_for_staff

    async with open_database(settings) as db:
        if resume:
            async with db.transaction() as session:
                resumed = await resume_sending(session, transport=resume)
            console.print(f"sending on {resume} resumed" if resumed else f"{resume} was not paused")
        async with db.transaction() as session:
            overview = await delivery_overview(session, failures=failures)
            if overview.failures:  # they name people: reading them is audited
                await audit.record_people_read(
                    session,
                    actor_id=None,
                    actor="cli",
                    action="deliveries.view",
                    subject="cli:deliveries",
                    person_ids=[f.person_id for f in overview.failures],
                    detail={"failures": len(overview.failures)},
                )
            nobody, nobody_total = await unreachable_for_staff(
                session,
                settings=settings,
                actor_id=None,
                actor="cli",
                subject="cli:deliveries",
                limit=unreachable,
            )
    counts = Table(title="Deliveries by state", show_edge=False)
    counts.add_column("state")
    counts.add_column("count", justify="right")
    for state in ("pending", "claimed", "uncertain", "sent", "failed", "cancelled"):
        label = "uncertain (in flight)" if state == "uncertain" else state
        counts.add_row(label, str(overview.counts.get(state, 0)))
    counts.add_row("total", str(overview.total))
    console.print(counts)
    for transport, n in sorted(overview.held.items()):
        console.print(
            f"[yellow]{n} pending {transport} "
            f"{plural_word(n, 'delivery is', 'deliveries are')} held: "
            f"{transport} is not configured"
            + (" (set SMTP_URL; they go once it is)" if transport == "email" else "")
            + "[/]",
            highlight=False,
        )
    if overview.next_due_at:
        local = overview.next_due_at.astimezone(settings.zone)
        console.print(f"next due: {local:%Y-%m-%d %H:%M} {settings.timezone}")
    if overview.possibly_duplicated:
        n, extra = overview.possibly_duplicated, overview.extra_copies
        console.print(
            f"[yellow]{n} deliver{'y' if n == 1 else 'ies'} may have arrived twice "
            f"(at most {extra} extra cop{'y' if extra == 1 else 'ies'}): an attempt's outcome "
            "was not known (in flight at a crash, or the answer lost) and it was sent again[/]",
            highlight=False,
        )
        for source, fig in sorted(overview.duplicates_by_source.items()):
            what = source.replace("broadcast:", "announcement ")
            console.print(
                f"  {what}: {fig.deliveries} may have arrived twice "
                f"(at most {fig.extra_copies} extra)",
                highlight=False,
            )
    else:
        console.print("no delivery may have arrived twice")
    for pause in overview.pauses:
        console.print(
            f"[bold red]PAUSED[/] {pause.transport} since {pause.paused_at:%Y-%m-%d %H:%M} UTC: "
            f"{pause.reason} — fix the credentials, then `cohortbot deliveries --resume "
            f"{pause.transport}`",
            highlight=False,
        )
    if overview.failures:
        table = Table(title="Failed deliveries (newest first)", show_edge=False)
        for column in ("id", "kind", "to", "person", "reason", "attempts"):
            table.add_column(column)
        for row in overview.failures:
            person = f"{row.person_name} <{row.person_email}>" if row.person_name else "-"
            table.add_row(
                str(row.id),
                row.kind,
                f"{row.transport}:{row.target}",
                person,
                row.error or "",
                str(row.attempts),
            )
        console.print(table)
        if overview.failed > len(overview.failures):
            console.print(
                f"showing the newest {len(overview.failures)} of {overview.failed} failed "
                f"deliveries; {overview.failed - len(overview.failures)} more: "
                f"`cohortbot deliveries --failures {overview.failed}` lists them all",
                highlight=False,
            )
    else:
        console.print("no failed deliveries")
    _print_unreachable(nobody, nobody_total)


def _print_unreachable(shown: list[Any], total: int) -> None:
    """Everybody nothing reaches, and why; never cut without saying how many more."""
    from rich.table import Table

    from bot.reach import reason_text
    from bot.text import plain

    if not total:
        console.print("everybody taking part can be reached (Slack, Teams or email)")
        return
    table = Table(title=f"Cannot be reached ({total})", show_edge=False)
    for column in ("person", "email", "class", "why"):
        table.add_column(column)
    for person in shown:
        table.add_row(
            person.name,
            person.email or "-",
            person.class_name or "-",
            plain(reason_text(person, "en")),
        )
    if shown:
        console.print(table)
    if total > len(shown):
        console.print(
            f"showing {len(shown)} of {total} people who cannot be reached; "
            f"{total - len(shown)} more: `cohortbot deliveries --unreachable {total}` lists them all",
            highlight=False,
        )
