"""Build, render off the event loop, and audit: what the CLI and the bot call."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.report.builder import build_annual_report, build_final_report
from bot.settings import Settings

REPORT_FORMATS = ("html", "xlsx", "csv")


async def produce_annual_report(
    session: AsyncSession,
    *,
    year: int,
    fmt: str,
    settings: Settings,
    now: datetime,
    actor: str,
    actor_id: int | None = None,
    locale: str = "nb",
) -> bytes:
    """Build and render the annual report, and audit who produced it (in the caller's transaction)."""
    if fmt not in REPORT_FORMATS:
        raise ValueError(f"unknown report format {fmt!r}: expected html, xlsx or csv")
    report = await build_annual_report(
        session, year=year, settings=settings, now=now, locale=locale
    )
    return await _render_and_audit(
        session,
        report,
        fmt,
        actor=actor,
        actor_id=actor_id,
        action="report.annual",
        subject=f"year:{year}",
    )


async def annual_report_in_child(
    session: AsyncSession,
    year: int,
    fmt: str,
    settings: Settings,
    now: datetime,
    actor: str,
    actor_id: int | None,
    locale: str,
) -> bytes:
    """`produce_annual_report` with positional arguments, as `transaction_in_process` calls it."""
    return await produce_annual_report(
        session,
        year=year,
        fmt=fmt,
        settings=settings,
        now=now,
        actor=actor,
        actor_id=actor_id,
        locale=locale,
    )


async def produce_final_report(
    session: AsyncSession,
    *,
    first_year: int,
    last_year: int,
    fmt: str,
    settings: Settings,
    now: datetime,
    actor: str,
    actor_id: int | None = None,
    locale: str = "nb",
) -> bytes:
    """Build and render the final report over several years, audited like the annual one."""
    if fmt not in REPORT_FORMATS:
        raise ValueError(f"unknown report format {fmt!r}: expected html, xlsx or csv")
    report = await build_final_report(
        session,
        first_year=first_year,
        last_year=last_year,
        settings=settings,
        now=now,
        locale=locale,
    )
    return await _render_and_audit(
        session,
        report,
        fmt,
        actor=actor,
        actor_id=actor_id,
        action="report.final",
        subject=f"years:{first_year}-{last_year}",
    )


async def _render_and_audit(
    session: AsyncSession,
    report: Any,
    fmt: str,
    *,
    actor: str,
    actor_id: int | None,
    action: str,
    subject: str,
) -> bytes:
    """Render in a worker thread and audit who produced it (in the caller's transaction).

    Charts, HTML and XLSX are CPU work (a second or two for a national year): the bot's event
    loop keeps acking clicks meanwhile.
    """
    from bot.report.render import render
    from storage.queries.people import record_audit

    data = await asyncio.to_thread(render, report, fmt)
    await record_audit(
        session=session,
        actor=actor,
        actor_id=actor_id,
        action=action,
        subject=subject,
        detail={"format": fmt, "cohorts": [c.id for c in report.cohorts], "bytes": len(data)},
    )
    return data
