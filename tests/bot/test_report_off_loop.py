"""CPU-heavy rendering (charts, HTML, XLSX) runs off the event loop."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.report import produce_annual_report
from bot.report import render as report_render
from bot.settings import Settings
from storage.db import Database


@pytest.mark.parametrize("fmt", ["html", "xlsx"])
async def test_the_annual_report_renders_off_the_event_loop(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    loops: list[bool] = []
    real_render = report_render.render

    def watched(report: object, fmt: str) -> bytes:
        try:
            asyncio.get_running_loop()
            loops.append(True)
        except RuntimeError:
            loops.append(False)  # a worker thread: no event loop here
        return real_render(report, fmt)  # type: ignore[arg-type]

    monkeypatch.setattr(report_render, "render", watched)
    async with db.transaction() as session:
        data = await produce_annual_report(
            session,
            year=2026,
            fmt=fmt,
            settings=settings,
            now=datetime(2026, 12, 1, tzinfo=UTC),
            actor="cli",
        )
    assert data and loops == [False]


def _on_loop() -> bool:
    try:
        asyncio.get_running_loop()
        return True
    except RuntimeError:
        return False  # a worker thread: no event loop here


@pytest.mark.parametrize("kind", ["annual", "final"])
async def test_counting_and_solving_the_tables_run_off_the_event_loop_too(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """Not only the rendering: the equation solving (every LinearTable), the per-column
    figures and the pulse counts run in worker threads, for the annual and the final report,
    so a report started from Slack leaves the loop free to ack clicks."""
    from bot.report import produce_final_report
    from bot.report import pulses as report_pulses
    from bot.report.sections.base import SectionBase
    from bot.suppression import LinearTable
    from tests.bot.test_report import build_fixture

    await build_fixture(db, settings)
    calls: dict[str, list[bool]] = {"solve": [], "figures": [], "assemble": [], "render": []}

    def watch(owner: object, name: str, label: str) -> None:
        real = getattr(owner, name)

        def watched(*args: object, **kw: object) -> object:
            calls[label].append(_on_loop())
            return real(*args, **kw)

        monkeypatch.setattr(owner, name, watched)

    watch(LinearTable, "solve", "solve")
    watch(SectionBase, "_count_figures", "figures")
    watch(report_pulses, "_assemble", "assemble")
    watch(report_render, "render", "render")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    async with db.transaction() as session:
        if kind == "annual":
            data = await produce_annual_report(
                session, year=2026, fmt="csv", settings=settings, now=now, actor="cli"
            )
        else:
            data = await produce_final_report(
                session,
                first_year=2025,
                last_year=2026,
                fmt="csv",
                settings=settings,
                now=now,
                actor="cli",
            )
    assert data
    for label, seen in calls.items():
        assert seen and not any(seen), (label, seen)
