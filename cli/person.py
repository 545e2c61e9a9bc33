"""`cohortbot person status|export|erase`: a participant's recorded status and their rights."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from cli.common import app, console, fail, load, open_database, require_schema, run_async

person_app = typer.Typer(
    help="A person's data: status and results, a copy (export) or erasure.", no_args_is_help=True
)
app.add_typer(person_app, name="person")


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
        replan_after_status,
    )

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
        async with open_database(settings) as db:
            async with db.transaction() as session:
                recorded = await record_status(
                    session,
                    email=email,
                    change=change,
                    today=today,
                    actor="cli",
                    cohort_ref=cohort,
                )
            await replan_after_status(
                db,
                settings,
                cohort_key=recorded[0],
                changed=recorded[1],
                now=SystemClock().now(),
            )
            return recorded

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


@person_app.command("export")
def person_export(
    email: str = typer.Argument(..., help="The person's email."),
    out: Path = typer.Option(..., "--out", help="Where to write the JSON file."),
) -> None:
    """Write everything stored about a person, by data class, as JSON (docs/privacy.md)."""
    import json

    from bot.clock import SystemClock
    from bot.rights import UnknownPerson, export_person

    settings = load()
    require_schema(settings)

    async def produce() -> dict[str, Any]:
        async with open_database(settings) as db:
            async with db.transaction() as session:
                return await export_person(
                    session, email=email, now=SystemClock().now(), actor="cli"
                )

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

    settings = load()
    require_schema(settings)

    async def go(dry_run: bool) -> tuple[ErasureReport, str]:
        async with open_database(settings) as db:
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
