"""`rapport` / `report [YEAR] [html|xlsx|csv]` in Teams: the annual report as a download link.

A bot's file in a Teams chat needs the person's consent card and an upload to their OneDrive
(or Graph); a link is simpler and works in every client: the report is rendered (off the event
loop, by `bot.report`), kept for `DOWNLOAD_HOURS` behind a random token (bot.downloads) and
served by `GET /files/{token}` (handlers/web/downloads.py). The turn answers at once ("making
it…") and the card with the link follows when the report is ready, since a national year takes
longer than Teams waits for a turn.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from bot.downloads import keep_for_download
from bot.messages import format_when, t
from bot.notifier import Button, OutgoingMessage, Section
from bot.people import Actor
from bot.report import REPORT_FORMATS, annual_report_in_child
from bot.runtime import Runtime
from bot.worker_loop import transaction_in_process

logger = logging.getLogger(__name__)

DOWNLOAD_ACTION = "report_download"
_running: set[asyncio.Task[None]] = set()


def parse_args(args: str, now: datetime, zone: Any) -> tuple[int, str]:
    """(year, format) from the words after the command; as Slack's `/cohort report`."""
    today = now.astimezone(zone)
    # The report is due 1 March for the year before: until then, default to last year.
    year, fmt = (today.year - 1 if today.month <= 2 else today.year), "html"
    for word in args.split():
        if word.isdigit() and len(word) == 4:
            year = int(word)
        elif word.lower() in REPORT_FORMATS:
            fmt = word.lower()
    return year, fmt


def _size(n: int) -> str:
    return f"{max(1, (n + 1023) // 1024)} kB"


def ready_message(
    *, year: int, fmt: str, size: int, link: str, expires_at: datetime, locale: str, tz: str
) -> OutgoingMessage:
    text = t(
        "teams.report.ready",
        locale,
        year=year,
        format=fmt.upper(),
        size=_size(size),
        when=format_when(expires_at, locale, tz),
    )
    button = Button(DOWNLOAD_ACTION, t("teams.report.download", locale), url=link)
    return OutgoingMessage(
        text=text,
        title=t("report.title", locale, year=year),
        sections=(Section(text=text, buttons=(button,)),),
        locale=locale,
    )


async def _produce(runtime: Runtime, actor: Actor, year: int, fmt: str, reply: Any) -> None:
    locale, settings = actor.locale, runtime.settings
    try:
        now = runtime.clock.now()
        # Queries, disclosure control and rendering in the warm worker process: the loop
        # that answers Teams and acks Slack's clicks is not held, not even through the GIL.
        data = await transaction_in_process(
            runtime.db,
            annual_report_in_child,
            year,
            fmt,
            settings,
            now,
            f"person:{actor.person_id}",
            actor.person_id,
            locale,
            worker=runtime.worker,
        )
        async with runtime.db.transaction() as session:
            token, expires_at = await keep_for_download(
                session, data=data, filename=f"arsrapport-{year}.{fmt}", fmt=fmt, now=now
            )
    except Exception:
        logger.exception("Failed to make the annual report %s for Teams", year)
        await reply(OutgoingMessage(text=t("teams.report.failed", locale), locale=locale))
        return
    link = f"{settings.base_url.rstrip('/')}/files/{token}"
    await reply(
        ready_message(
            year=year,
            fmt=fmt,
            size=len(data),
            link=link,
            expires_at=expires_at,
            locale=locale,
            tz=settings.timezone,
        )
    )


async def report_command(runtime: Runtime, actor: Actor, args: str, reply: Any) -> None:
    """Say it is coming, then make it in the background and send the link."""
    year, fmt = parse_args(args, runtime.clock.now(), runtime.settings.zone)
    locale = actor.locale
    await reply(
        OutgoingMessage(
            text=t("teams.report.preparing", locale, year=year, format=fmt.upper()), locale=locale
        )
    )
    task = asyncio.create_task(_produce(runtime, actor, year, fmt, reply))
    _running.add(task)
    task.add_done_callback(_running.discard)


async def wait_for_reports() -> None:
    """Wait until every report being made has been sent (tests, shutdown)."""
    while _running:
        await asyncio.gather(*list(_running), return_exceptions=True)
