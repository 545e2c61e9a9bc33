"""`cohortbot db upgrade`, `run` and `demo`: the schema, the bot and the demo programme."""

from __future__ import annotations

import asyncio

import typer

from bot.logs import redact
from cli.common import app, console, fail, load, open_database, require_schema, run_async

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the newest version."""
    from storage.migrate import current_revision, upgrade

    settings = load()
    try:
        filled = upgrade(settings.database_url)
    except Exception as exc:
        # The driver's text may hold the URL (and its password) or a row's values: name the
        # kind of error only, with any URL password blanked.
        fail(
            f"could not migrate the database ({type(exc).__name__}: "
            f"{redact(str(exc).splitlines()[0] if str(exc) else '')[:160]}); check DATABASE_URL"
        )
    if filled:
        console.print(f"moved {filled} Slack ids from person to person_identity")
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

        async with open_database(settings) as db, aiohttp.ClientSession() as http:
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
        if not report.created:
            console.print(f"the demo cohort '{DEMO_COHORT}' exists already; nothing changed")
            return
        console.print(
            f"seeded cohort '{DEMO_COHORT}': {report.participants} participants, "
            f"{report.line_managers} line managers, {report.channels} channels"
        )

    run_async(go())
