"""`cohortbot teams package`: the Teams app package."""

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
