"""`cohortbot teams package` (the Teams app package) and `cohortbot teams preinstall` (the app
installed for people through Microsoft Graph, as outbox steps)."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.common import app, fail, load

teams_app = typer.Typer(help="Microsoft Teams.", no_args_is_help=True)
app.add_typer(teams_app, name="teams")


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


@teams_app.command("preinstall")
def teams_preinstall(
    dry_run: bool = typer.Option(False, "--dry-run", help="List who; queue nothing."),
) -> None:
    """Install the Teams app (through Microsoft Graph) for everyone in the programme whom only
    email reaches now; the bot's outbox makes the calls, and each person then gets the welcome
    card in Teams."""
    from bot.clock import SystemClock
    from bot.identities import InstallPlan, queue_app_installs
    from cli.common import console, open_database, require_schema, run_async

    settings = load()
    if not settings.teams_catalog_app_id:
        fail(
            "TEAMS_CATALOG_APP_ID is missing: Graph installs the app by its id in the "
            "organisation's app catalog (Teams admin center → Manage apps → the app → App ID)"
        )
        return
    if settings.teams == "off":
        fail("Teams is off: set TEAMS_APP_ID and TEAMS_APP_PASSWORD (or COHORTBOT_TEAMS=dev)")
        return
    require_schema(settings)

    async def go() -> InstallPlan:
        from bot import audit

        async with open_database(settings) as db, db.transaction() as session:
            plan = await queue_app_installs(
                session, settings, now=SystemClock().now(), dry_run=dry_run
            )
            await audit.record_people_read(
                session,
                actor_id=None,
                actor="cli",
                action="teams.preinstall",
                person_ids=[p.id for p in plan.queued[:20]],
            )
            return plan

    plan = run_async(go())
    verb = "would be queued (dry run: nothing changed)" if dry_run else "queued"
    console.print(
        f"teams preinstall: {len(plan.queued)} {verb}; {plan.in_chat} reached in Slack or Teams "
        f"already; {plan.queued_before} queued before",
        highlight=False,
    )
    for person in plan.queued[:20]:
        console.print(f"  {person.name} <{person.email}>", highlight=False)
    if len(plan.queued) > 20:
        console.print(f"  … and {len(plan.queued) - 20} more", highlight=False)
