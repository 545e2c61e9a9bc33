"""The `cohortbot` command line: run, db upgrade, plan apply, import people, broadcast, deliveries,
report annual, demo. Each command parses its arguments, calls `bot/` and prints the outcome.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console

from bot.logs import redact
from bot.messages import counted, plural_word
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
person_app = typer.Typer(
    help="A person's data: status and results, a copy (export) or erasure.", no_args_is_help=True
)
retention_app = typer.Typer(help="Retention rules per data class.", no_args_is_help=True)
teams_app = typer.Typer(help="Microsoft Teams.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(plan_app, name="plan")
app.add_typer(import_app, name="import")
app.add_typer(report_app, name="report")
app.add_typer(person_app, name="person")
app.add_typer(retention_app, name="retention")
app.add_typer(teams_app, name="teams")

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
        # The driver's text may hold the URL (and its password) or a row's values: name the
        # kind of error only, with any URL password blanked.
        fail(
            f"could not migrate the database ({type(exc).__name__}: "
            f"{redact(str(exc).splitlines()[0] if str(exc) else '')[:160]}); check DATABASE_URL"
        )
    console.print(f"database at revision {current_revision(settings.database_url)}")


@app.command("run")
def run() -> None:
    """Start the bot (and, without Slack credentials, the local Slack workspace)."""
    from app import StartupError, serve

    settings = load()
    require_schema(settings)
    if settings.has_slack_credentials and not settings.secret_key:
        # One-click links and anonymous pulses need it; the local workspace makes its own.
        fail("COHORTBOT_SECRET_KEY is missing: expected a long random string", 2)
    try:
        asyncio.run(serve(settings))
    except StartupError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        pass


@app.command("demo")
def demo() -> None:
    """Seed the demo programme (a cohort in three cities, 40 participants, line managers).

    With Slack configured, people are matched to Slack users by email and class channels are
    created; without it the demo has no Slack accounts. `make run` does this on its first run
    against the local workspace.
    """
    from bot.demo import DEMO_COHORT, seed_demo

    settings = load()
    require_schema(settings)

    async def go() -> None:
        import aiohttp

        from app import create_slack_client
        from bot.clock import SystemClock
        from storage.db import Database

        db = Database(settings.database_url)
        async with aiohttp.ClientSession() as http:
            users = None
            dispatch = None
            if settings.has_slack_credentials:
                from bot.delivery import Dispatcher
                from handlers.slack.directory import SlackWebDirectory
                from handlers.slack.notifier import SlackNotifier

                client = create_slack_client(settings, http)
                users = await SlackWebDirectory(client).all_users()
                # The channels are outbox steps: this dispatcher makes them before we stop.
                notifier = SlackNotifier(client, getattr(client, "limiter", None))
                dispatch = Dispatcher(db, {"slack": notifier}, SystemClock(), None, settings).tick
            report = await seed_demo(
                db, settings, now=SystemClock().now(), directory_users=users, dispatch=dispatch
            )
        await db.dispose()
        if not report.created:
            console.print(f"the demo cohort '{DEMO_COHORT}' exists already; nothing changed")
            return
        console.print(
            f"seeded cohort '{DEMO_COHORT}': {report.participants} participants, "
            f"{report.line_managers} line managers, {report.channels} channels"
        )

    run_async(go())


# --- plan apply and import people ----------------------------------------------------------


@plan_app.command("apply")
def plan_apply(
    file: Path = typer.Argument(..., help="The plan file (YAML), e.g. examples/plan.yaml."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and report; write nothing."),
) -> None:
    """Validate a plan file, then create or update the cohort from it (idempotent)."""
    from bot.clock import SystemClock
    from bot.plan import PlanInvalid, load_plan
    from bot.plan_apply import apply_plan_to
    from storage.db import Database

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
        db = Database(settings.database_url)
        try:
            return await apply_plan_to(
                db,
                plan,
                settings=settings,
                now=SystemClock().now(),
                dry_run=dry_run,
                source=str(file),
            )
        finally:
            await db.dispose()

    from bot.planner import PlanTooLarge

    try:
        report = run_async(apply())
    except PlanTooLarge as exc:
        fail(f"{exc}; no deliveries were planned")
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
    from storage.db import Database

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

        db = Database(settings.database_url)
        try:
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
        finally:
            await db.dispose()

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


@app.command("deliveries")
def deliveries_command(
    resume: str | None = typer.Option(
        None, "--resume", metavar="TRANSPORT", help="Lift a pause on slack or email."
    ),
    failures: int = typer.Option(20, "--failures", min=0, help="How many failures to list."),
) -> None:
    """Show the outbox: counts by state, pauses, and failures with reasons and people."""
    settings = load()
    require_schema(settings)
    run_async(_deliveries(settings, resume=resume, failures=failures))


async def _deliveries(settings: Settings, *, resume: str | None, failures: int) -> None:
    from rich.table import Table

    from bot import audit
    from bot.delivery import delivery_overview, resume_sending
    from storage.db import Database

    db = Database(settings.database_url)
    try:
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
    finally:
        await db.dispose()
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


# --- audit (bot/audit.py) ------------------------------------------------------------------


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
    from storage.db import Database

    db = Database(settings.database_url)
    try:
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
    finally:
        await db.dispose()
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


# --- assignments (bot/assignments.py) ------------------------------------------------------


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
    from storage.db import Database
    from storage.queries import assignments as aq

    db = Database(settings.database_url)
    now = datetime.now(UTC)
    try:
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
                    session, actor_id=None, actor="cli", subject=f"cohort:{found.id}"
                )
    finally:
        await db.dispose()
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


@app.command("broadcast")
def broadcast_command(
    audience: str = typer.Option(
        None,
        "--audience",
        help="programme | cohort:KEY | class:KEY/CLASS | peer_groups:KEY | alumni | line_managers[:KEY]",
    ),
    text: str = typer.Option(None, "--text", help="The message (Slack mrkdwn)."),
    county: list[str] = typer.Option(
        [], "--county", help="Only people in this county (repeatable)."
    ),
    service_area: list[str] = typer.Option([], "--service-area", help="Only this service area."),
    role: list[str] = typer.Option([], "--role", help="Only people whose position contains this."),
    channel: bool = typer.Option(False, "--channel/--dm", help="Post in channels instead of DMs."),
    at: str = typer.Option(
        None, "--at", help="Send at 'YYYY-MM-DD HH:MM' local time (default now)."
    ),
    urgent: bool = typer.Option(False, "--urgent", help="May go outside quiet hours."),
    yes: bool = typer.Option(False, "--yes", help="Send without asking for confirmation."),
    report: int = typer.Option(
        None, "--report", metavar="ID", help="Show an announcement's delivery report."
    ),
    list_: bool = typer.Option(
        False, "--list", help="List scheduled announcements and those of the last 14 days."
    ),
    cancel: int = typer.Option(
        None, "--cancel", metavar="ID", help="Cancel an announcement that has not started."
    ),
    change: int = typer.Option(
        None,
        "--change",
        metavar="ID",
        help="Change an announcement that has not started: give --text and/or --at.",
    ),
) -> None:
    """Send an announcement, list them (--list), change or cancel one before it starts
    (--change ID, --cancel ID), or show how one went (--report ID)."""
    from datetime import datetime

    settings = load()
    require_schema(settings)
    if report is not None:
        run_async(_broadcast_report(settings, report))
        return
    if list_:
        run_async(_broadcast_list(settings))
        return
    if cancel is not None:
        run_async(_broadcast_cancel(settings, cancel))
        return
    if change is not None:
        if not text and not at:
            fail("--change ID needs --text or --at (or both)")
        new_time = None
        if at:
            try:
                new_time = datetime.strptime(at, "%Y-%m-%d %H:%M").replace(tzinfo=settings.zone)
            except ValueError:
                fail(f"--at {at!r}: expected 'YYYY-MM-DD HH:MM' in {settings.timezone}")
        run_async(_broadcast_change(settings, change, text, new_time))
        return
    if not audience or not text:
        fail("--audience and --text are needed (or --list, --cancel ID, --change ID, --report ID)")
    from bot.broadcasts import Audience
    from bot.networks import InvalidRequest

    try:
        spec = Audience.parse(
            audience, counties=tuple(county), service_areas=tuple(service_area), roles=tuple(role)
        )
    except InvalidRequest as exc:
        fail(str(exc))
        raise
    send_at = None
    if at:
        try:
            send_at = datetime.strptime(at, "%Y-%m-%d %H:%M").replace(tzinfo=settings.zone)
        except ValueError:
            fail(f"--at {at!r}: expected 'YYYY-MM-DD HH:MM' in {settings.timezone}")
    run_async(
        _broadcast(settings, spec, text, "channel" if channel else "dm", send_at, urgent, yes)
    )


async def _broadcast(
    settings: Settings,
    spec: Any,
    text: str,
    mode: str,
    send_at: Any,
    urgent: bool,
    yes: bool,
) -> None:
    from bot import broadcasts
    from bot.clock import SystemClock
    from bot.networks import InvalidRequest
    from storage.db import Database

    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            try:
                preview = await broadcasts.preview(session, actor=None, audience=spec, mode=mode)
                label = await broadcasts.audience_label(session, spec, "en")
            except InvalidRequest as exc:
                fail(str(exc))
        transports = ", ".join(f"{n} {t}" for t, n in sorted(preview.by_transport.items()))
        console.print(f"{preview.count} recipients ({transports or 'none'})", highlight=False)
        for line in broadcasts.preview_lines(
            preview,
            audience_text=label,
            mode=mode,
            send_at=send_at,
            urgent=urgent,
            email_configured=bool(settings.smtp_url),
            locale="en",
            tz=settings.timezone,
        ):
            console.print(
                "  " + line.replace("*", "").replace(":warning: ", "warning: "),
                highlight=False,
                markup=False,
            )
        if preview.count == 0:
            fail("nobody is in this audience")
        if not yes and not typer.confirm("Send?"):
            console.print("not sent")
            return
        async with db.transaction() as session:
            try:
                sent = await broadcasts.send(
                    session,
                    settings,
                    actor=None,
                    audience=spec,
                    text=text,
                    mode=mode,
                    send_at=send_at or SystemClock().now(),
                    urgent=urgent,
                    now=SystemClock().now(),
                )
            except InvalidRequest as exc:
                fail(str(exc))
                raise
        console.print(
            f"announcement {sent.id} queued for {sent.recipient_count} recipients; "
            f"see `cohortbot broadcast --report {sent.id}`",
            highlight=False,
        )
    finally:
        await db.dispose()


async def _broadcast_report(settings: Settings, broadcast_id: int) -> None:
    from bot import broadcasts
    from bot.networks import InvalidRequest
    from storage.db import Database

    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            try:
                result = await broadcasts.delivery_report(session, broadcast_id)
            except InvalidRequest as exc:
                fail(str(exc))
                raise
    finally:
        await db.dispose()
    console.print(
        f"announcement {broadcast_id}: {result.total} deliveries, {result.sent} sent, "
        f"{result.failed} failed, {result.waiting} waiting",
        highlight=False,
    )
    console.print(
        f"may have arrived twice: {result.maybe_twice} "
        f"(at most {result.extra_copies} extra cop{'y' if result.extra_copies == 1 else 'ies'}; "
        "counted from attempts whose outcome was not known)",
        highlight=False,
        soft_wrap=True,
    )
    for who, transport, reason in result.failures:
        console.print(f"  failed {transport} to {who}: {reason}", highlight=False)


def _summary_line(settings: Settings, s: Any, label: str) -> str:
    local = s.send_at.astimezone(settings.zone)
    where = "DMs" if s.mode == "dm" else "channel posts"
    by = s.by_transport
    line = (
        f"{s.id:>5}  {s.status:<9}  {local:%Y-%m-%d %H:%M}  {label} · {where} · "
        f"slack {by.get('slack', 0)} · email {by.get('email', 0)} · "
        f"sent {s.counts.get('sent', 0)} · failed {s.counts.get('failed', 0)}"
    )
    if s.held:
        line += f" · held (email not configured) {s.held}"
    return line


async def _broadcast_list(settings: Settings) -> None:
    from bot import broadcasts
    from bot.clock import SystemClock
    from storage.db import Database

    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            found = await broadcasts.list_broadcasts(session, actor=None, now=SystemClock().now())
            labels = {
                s.id: await broadcasts.audience_label(session, s.audience, "en") for s in found
            }
    finally:
        await db.dispose()
    if not found:
        console.print("no announcements in the last 14 days, and none scheduled")
        return
    console.print(f"   id  status     send at ({settings.timezone})  audience · how · counts")
    for s in found:
        console.print(
            _summary_line(settings, s, labels[s.id]), highlight=False, markup=False, soft_wrap=True
        )
    console.print(
        f"{counted(len(found), 'announcement', 'announcements')}; "
        "`cohortbot broadcast --cancel ID` or `--change ID --text/--at` before one starts"
    )


async def _broadcast_cancel(settings: Settings, broadcast_id: int) -> None:
    from bot import broadcasts
    from bot.networks import InvalidRequest
    from storage.db import Database

    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            try:
                n = await broadcasts.cancel_broadcast(session, broadcast_id, actor=None)
            except InvalidRequest as exc:
                fail(f"{exc}; nothing changed")
                raise
    finally:
        await db.dispose()
    console.print(
        f"announcement {broadcast_id} cancelled: {counted(n, 'delivery', 'deliveries')} stopped"
    )


async def _broadcast_change(
    settings: Settings, broadcast_id: int, text: str | None, send_at: Any
) -> None:
    from bot import broadcasts
    from bot.clock import SystemClock
    from bot.networks import InvalidRequest
    from storage.db import Database

    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            try:
                summary = await broadcasts.change_broadcast(
                    session,
                    settings,
                    broadcast_id,
                    actor=None,
                    now=SystemClock().now(),
                    text=text,
                    send_at=send_at,
                )
            except InvalidRequest as exc:
                fail(f"{exc}; nothing changed")
                raise
            label = await broadcasts.audience_label(session, summary.audience, "en")
    finally:
        await db.dispose()
    console.print(f"announcement {broadcast_id} changed:", highlight=False)
    console.print(
        _summary_line(settings, summary, label), highlight=False, markup=False, soft_wrap=True
    )


# --- a participant's recorded status, credits and exam result --------------------------------


def _parse_day(text: str | None, option: str) -> Any:
    from datetime import date

    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option} {text!r} is not a date like 2026-03-31; nothing was recorded")


@person_app.command("status")
def person_status(
    email: str = typer.Argument(..., help="The participant's email."),
    status: str | None = typer.Option(
        None,
        "--status",
        help="applicant, admitted, active, completed, withdrawn or not_started.",
    ),
    reason: str | None = typer.Option(
        None, "--reason", help="With --status withdrawn: the reason category (see docs)."
    ),
    on: str | None = typer.Option(None, "--date", help="The day it took effect (default today)."),
    credits: str | None = typer.Option(None, "--credits", help="Credits achieved, 0–60."),
    result: str | None = typer.Option(None, "--result", help="Exam result: passed or failed."),
    result_on: str | None = typer.Option(
        None, "--result-date", help="The day the result was final (default --date or today)."
    ),
    cohort: str | None = typer.Option(
        None, "--cohort", help="The cohort key, when the person is in several."
    ),
) -> None:
    """Record a participant's status (with the withdrawal reason), credits or exam result."""
    from bot.clock import SystemClock
    from bot.enrolment_status import (
        StatusChange,
        StatusError,
        parse_credits,
        parse_reason,
        parse_result,
        parse_status,
        record_status,
    )
    from storage.db import Database

    settings = load()
    try:
        change = StatusChange(
            status=parse_status(status) if status else None,
            on=_parse_day(on, "--date"),
            reason=parse_reason(reason) if reason else None,
            credits=parse_credits(credits) if credits else None,
            result=parse_result(result) if result else None,
            result_on=_parse_day(result_on, "--result-date"),
        )
    except StatusError as exc:
        fail(f"{exc}; nothing was recorded")
        return
    require_schema(settings)
    today = SystemClock().now().astimezone(settings.zone).date()

    async def go() -> tuple[str, list[str]]:
        db = Database(settings.database_url)
        try:
            async with db.transaction() as session:
                return await record_status(
                    session,
                    email=email,
                    change=change,
                    today=today,
                    actor="cli",
                    cohort_ref=cohort,
                )
        finally:
            await db.dispose()

    try:
        cohort_key, changed = run_async(go())
    except StatusError as exc:
        fail(f"{exc}; nothing was recorded")
        return
    if changed:
        console.print(
            f"recorded for {email.strip().lower()} in {cohort_key}: {', '.join(changed)}",
            highlight=False,
        )
    else:
        console.print(
            f"nothing to change for {email.strip().lower()} in {cohort_key}", highlight=False
        )


# --- reports (annual status report, evaluator export, pulse results) -------------------------


@report_app.command("annual")
def report_annual(
    year: int = typer.Option(..., "--year", min=2000, max=2100, help="The report year."),
    fmt: str = typer.Option("html", "--format", help="html, xlsx or csv."),
    out: Path = typer.Option(..., "--out", help="Where to write the file."),
    locale: str = typer.Option("nb", "--locale", help="nb (default) or en headings."),
) -> None:
    """Write the annual status report (every cohort active in the year) as HTML, XLSX or CSV."""
    from bot.clock import SystemClock
    from bot.report import REPORT_FORMATS, produce_annual_report

    if fmt not in REPORT_FORMATS:
        fail(f"--format {fmt!r} is not one of {', '.join(REPORT_FORMATS)}")
    settings = load()
    require_schema(settings)
    data = _produce_report(
        settings,
        lambda session: produce_annual_report(
            session,
            year=year,
            fmt=fmt,
            settings=settings,
            now=SystemClock().now(),
            actor="cli",
            locale=locale,
        ),
        out,
    )
    console.print(f"annual report {year} ({fmt}, {len(data):,} bytes) written to {out}")


def _produce_report(
    settings: Settings, produce: Callable[[Any], Awaitable[bytes]], out: Path
) -> bytes:
    """Run `produce(session)` in one transaction and write its bytes to `out`."""
    from storage.db import Database

    async def run() -> bytes:
        db = Database(settings.database_url)
        try:
            async with db.transaction() as session:
                return await produce(session)
        finally:
            await db.dispose()

    data = run_async(run())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return data


@report_app.command("final")
def report_final(
    first: int = typer.Option(..., "--from", min=2000, max=2100, help="The first year."),
    last: int = typer.Option(..., "--to", min=2000, max=2100, help="The last year."),
    fmt: str = typer.Option("html", "--format", help="html, xlsx or csv."),
    out: Path = typer.Option(..., "--out", help="Where to write the file."),
    locale: str = typer.Option("nb", "--locale", help="nb (default) or en headings."),
) -> None:
    """Write the contract's final report over several years (the annual report's sections)."""
    from bot.clock import SystemClock
    from bot.report import REPORT_FORMATS, produce_final_report

    if fmt not in REPORT_FORMATS:
        fail(f"--format {fmt!r} is not one of {', '.join(REPORT_FORMATS)}")
    if last < first:
        fail(f"--to {last} is before --from {first}")
    settings = load()
    require_schema(settings)
    data = _produce_report(
        settings,
        lambda session: produce_final_report(
            session,
            first_year=first,
            last_year=last,
            fmt=fmt,
            settings=settings,
            now=SystemClock().now(),
            actor="cli",
            locale=locale,
        ),
        out,
    )
    console.print(f"final report {first}–{last} ({fmt}, {len(data):,} bytes) written to {out}")


@report_app.command("evaluator")
def report_evaluator(
    year: int = typer.Option(..., "--year", min=2000, max=2100, help="The pulse year."),
    out: Path = typer.Option(..., "--out", help="Where to write the CSV."),
) -> None:
    """Write the anonymised pulse data for the external evaluator (CSV, small groups hidden)."""
    from bot.results import evaluator_rows, render_evaluator_csv
    from storage.db import Database
    from storage.queries.people import record_audit

    settings = load()
    require_schema(settings)

    async def produce() -> str:
        db = Database(settings.database_url)
        try:
            async with db.transaction() as session:
                rows = await evaluator_rows(session, year=year, settings=settings)
                await record_audit(
                    session=session,
                    actor="cli",
                    action="report.evaluator",
                    subject=f"year:{year}",
                    detail={"rows": len(rows)},
                )
                return render_evaluator_csv(rows)
        finally:
            await db.dispose()

    text = run_async(produce())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    console.print(f"evaluator export {year} ({text.count(chr(10)) - 1} rows) written to {out}")


@report_app.command("pulse")
def report_pulse(
    ref: str = typer.Argument(..., help="The pulse id or key."),
    locale: str = typer.Option("nb", "--locale", help="nb or en."),
) -> None:
    """Show a pulse's live response rates and results per class (small groups hidden)."""
    from bot.results import pulse_results, results_text
    from storage.db import Database
    from storage.queries.people import record_audit
    from storage.queries.pulses import find_pulse

    settings = load()
    require_schema(settings)

    async def produce() -> str | None:
        db = Database(settings.database_url)
        try:
            async with db.transaction() as session:
                pulse = await find_pulse(session=session, ref=ref)
                if pulse is None or pulse.id is None:
                    return None
                results = await pulse_results(session, pulse.id, settings=settings)
                await record_audit(
                    session=session,
                    actor="cli",
                    action="pulse.results",
                    subject=f"pulse:{pulse.id}",
                )
                return results_text(results, locale=locale) if results else None
        finally:
            await db.dispose()

    text = run_async(produce())
    if text is None:
        fail(f"no pulse {ref!r}")
    console.print(text, highlight=False, markup=False)


# --- people's rights: export, erasure, retention (bot/rights.py, bot/retention.py) ------------


@person_app.command("export")
def person_export(
    email: str = typer.Argument(..., help="The person's email."),
    out: Path = typer.Option(..., "--out", help="Where to write the JSON file."),
) -> None:
    """Write everything stored about a person, by data class, as JSON (docs/privacy.md)."""
    import json

    from bot.clock import SystemClock
    from bot.rights import UnknownPerson, export_person
    from storage.db import Database

    settings = load()
    require_schema(settings)

    async def produce() -> dict[str, Any]:
        db = Database(settings.database_url)
        try:
            async with db.transaction() as session:
                return await export_person(
                    session, email=email, now=SystemClock().now(), actor="cli"
                )
        finally:
            await db.dispose()

    try:
        data = run_async(produce())
    except UnknownPerson:
        fail(f"no person with email {email.strip().lower()!r}; nothing was written")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    classes = data["data_classes"]
    filled = sum(1 for v in classes.values() if v and (not isinstance(v, dict) or any(v.values())))
    console.print(
        f"export of {data['person']['email']} ({filled} of {len(classes)} data classes with "
        f"data) written to {out}",
        highlight=False,
    )


@person_app.command("erase")
def person_erase(
    email: str = typer.Argument(..., help="The person's email."),
    yes: bool = typer.Option(False, "--yes", help="Erase without asking for confirmation."),
) -> None:
    """Erase a person everywhere; what a legal basis keeps is refused with the reason."""
    from bot.clock import SystemClock
    from bot.rights import ErasureReport, UnknownPerson, erase_person
    from storage.db import Database

    settings = load()
    require_schema(settings)

    async def go(dry_run: bool) -> tuple[ErasureReport, str]:
        db = Database(settings.database_url)
        try:
            async with db.transaction() as session:
                report = await erase_person(
                    session,
                    settings,
                    email=email,
                    now=SystemClock().now(),
                    actor="cli",
                    dry_run=dry_run,
                )
            purged = "" if dry_run else await db.purge_freed_space()
            return report, purged
        finally:
            await db.dispose()

    try:
        preview, _ = run_async(go(dry_run=True))
    except UnknownPerson:
        fail(f"no person with email {email.strip().lower()!r}; nothing was erased")
        return
    _print_erasure(preview, heading=f"erasing {email.strip().lower()} would remove:")
    if not yes and not typer.confirm("Erase? This cannot be undone"):
        console.print("nothing was erased")
        return
    report, purged = run_async(go(dry_run=False))
    console.print(
        f"erased; recorded in the audit log as {report.pseudonym}; database: {purged}",
        highlight=False,
    )


def _print_erasure(report: Any, *, heading: str) -> None:
    console.print(heading, highlight=False)
    for name, count in report.counts.items():
        console.print(f"  {name}: {count}", highlight=False)
    console.print(
        "  texts naming them elsewhere (email, name, Slack id): replaced", highlight=False
    )
    for refusal in report.kept:
        console.print(
            f"  [yellow]kept until {refusal.until}:[/] {refusal.what} – {refusal.reason}",
            highlight=False,
        )


@retention_app.command("run")
def retention_run(
    dry_run: bool = typer.Option(False, "--dry-run", help="Count; change nothing."),
) -> None:
    """Apply the retention rule of every data class now and print counts per class."""
    from bot.clock import SystemClock
    from bot.retention import RetentionResult, run_retention
    from storage.db import Database

    settings = load()
    require_schema(settings)

    async def go() -> RetentionResult:
        db = Database(settings.database_url)
        try:
            async with db.transaction() as session:
                result = await run_retention(
                    session, settings, now=SystemClock().now(), dry_run=dry_run
                )
            if not dry_run and any(result.counts.values()):
                await db.purge_freed_space()
            return result
        finally:
            await db.dispose()

    result = run_async(go())
    verb = "would be removed (dry run: nothing changed)" if dry_run else "removed"
    console.print(f"retention: rows {verb} per data class", highlight=False)
    for name, count in result.counts.items():
        console.print(f"  {name}: {count}", highlight=False)


@teams_app.command("package")
def teams_package(
    out: Path = typer.Option(Path("cohortbot-teams.zip"), "--out", help="The zip to write."),
    app_id: str | None = typer.Option(
        None, "--app-id", help="The Azure Bot's Microsoft App ID (default: TEAMS_APP_ID)."
    ),
    version: str = typer.Option("1.0.0", "--version", help="The app version (semver)."),
) -> None:
    """Write the Teams app package (manifest.json, color.png, outline.png) to upload."""
    from handlers.teams.package import PackageError, build_package

    settings = load()
    bot_id = app_id or settings.teams_app_id
    if not bot_id:
        fail(
            "TEAMS_APP_ID is missing: the package names the bot by its Microsoft App ID "
            "(set TEAMS_APP_ID or pass --app-id)"
        )
        return
    try:
        data = build_package(app_id=bot_id, base_url=settings.base_url, version=version)
    except PackageError as exc:
        fail(str(exc))
        return
    out.write_bytes(data)
    typer.echo(f"Wrote {out} ({len(data):,} bytes): manifest.json, color.png, outline.png")
    if settings.base_url.startswith("http://"):
        typer.echo(
            f"Note: COHORTBOT_BASE_URL is {settings.base_url}; Teams needs the public https URL "
            "of the bot in validDomains."
        )


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


def database_error(exc: BaseException) -> str:
    """A database error said without the values it quotes: its kind and constraint only."""
    orig = getattr(exc, "orig", None)
    constraint = getattr(getattr(orig, "diag", None), "constraint_name", None)
    where = f" on {constraint}" if constraint else ""
    return f"the database refused the change ({type(exc).__name__}{where}); nothing was changed"
