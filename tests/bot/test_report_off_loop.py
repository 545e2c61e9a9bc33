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
