"""`cohortbot broadcast`: announcements to chosen audiences, their list, changes and reports."""

from __future__ import annotations

from typing import Any

import typer

from bot.messages import counted
from bot.settings import Settings
from cli.common import app, console, fail, load, open_database, require_schema, run_async


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

    async with open_database(settings) as db:
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


async def _broadcast_report(settings: Settings, broadcast_id: int) -> None:
    from bot import broadcasts
    from bot.networks import InvalidRequest

    async with open_database(settings) as db:
        async with db.session() as session:
            try:
                result = await broadcasts.delivery_report(session, broadcast_id)
            except InvalidRequest as exc:
                fail(str(exc))
                raise
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

    async with open_database(settings) as db:
        async with db.session() as session:
            found = await broadcasts.list_broadcasts(session, actor=None, now=SystemClock().now())
            labels = {
                s.id: await broadcasts.audience_label(session, s.audience, "en") for s in found
            }
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
    from bot.clock import SystemClock
    from bot.networks import InvalidRequest

    async with open_database(settings) as db:
        async with db.transaction() as session:
            try:
                n = await broadcasts.cancel_broadcast(
                    session, broadcast_id, actor=None, now=SystemClock().now()
                )
            except InvalidRequest as exc:
                fail(f"{exc}; nothing changed")
                raise
    console.print(
        f"announcement {broadcast_id} cancelled: {counted(n, 'delivery', 'deliveries')} stopped"
    )


async def _broadcast_change(
    settings: Settings, broadcast_id: int, text: str | None, send_at: Any
) -> None:
    from bot import broadcasts
    from bot.clock import SystemClock
    from bot.networks import InvalidRequest

    async with open_database(settings) as db:
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
    console.print(f"announcement {broadcast_id} changed:", highlight=False)
    console.print(
        _summary_line(settings, summary, label), highlight=False, markup=False, soft_wrap=True
    )
