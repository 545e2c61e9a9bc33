"""The HTML report in headless Chromium: it renders without console errors, and docs/ keeps a picture."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.report import build_annual_report
from bot.report.render import render_html
from bot.settings import Settings
from storage.db import Database
from tests.bot.test_report import NOW, build_fixture

CHROMIUM = Path("/usr/bin/chromium")
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "report-example.png"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not at /usr/bin/chromium (`make browser`)",
    ),
]


async def test_report_renders_in_chromium_without_errors(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    await build_fixture(db, settings)
    async with db.session() as s:
        report = await build_annual_report(s, year=2026, settings=settings, now=NOW)
    page_file = tmp_path / "report.html"
    page_file.write_text(render_html(report), encoding="utf-8")
    problems: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = await browser.new_page(viewport={"width": 900, "height": 1200})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            await page.goto(page_file.as_uri())
            assert await page.locator("table caption").count() > 10
            assert await page.locator("svg[role=img]").count() == 2
            assert await page.locator("html").get_attribute("lang") == "nb"
            png = await page.screenshot(full_page=True)
            pdf = await page.pdf(format="A4")  # printable on A4
        finally:
            await browser.close()
    assert problems == []
    assert png.startswith(b"\x89PNG") and pdf.startswith(b"%PDF")
    EXAMPLE.parent.mkdir(exist_ok=True)
    EXAMPLE.write_bytes(png)
