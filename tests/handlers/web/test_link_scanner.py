"""A mail scanner cannot answer for a line manager; the manager still answers in one click.

The nudge email goes out for real (SMTP to a local aiosmtpd server). A scanner then fetches
every link in it, in order, the ways mail gateways and link previews do (GET, HEAD, prefetch,
GET again after a "click-time" delay): nothing is recorded and nobody is told anything. Then a
real browser (headless chromium) opens the link and presses the page's button: the answer is
recorded exactly once.
"""

from __future__ import annotations

import email
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from sqlmodel import col, select

from app import build_runtime, create_web_app
from bot.clock import FrozenClock
from bot.delivery import Dispatcher
from bot.notifier import RecordingNotifier
from bot.planner import plan_deliveries
from bot.settings import Settings
from emulator.server import free_port
from handlers.web.email_notifier import EmailNotifier
from storage.models import Delivery, NudgeAnswer
from tests.utils.assignments import add_nudge, build_programme, oslo
from tests.utils.workspace import eventually

CHROMIUM = Path("/usr/bin/chromium")
SEND = oslo(2026, 8, 24, 9, 0)  # Monday
SCANNER_HEADERS: list[dict[str, str]] = [
    {"User-Agent": "Mozilla/5.0 (compatible; SafeLinks scanner)"},
    {"Purpose": "prefetch", "Sec-Purpose": "prefetch"},
    {"X-Moz": "prefetch", "Sec-Fetch-Mode": "no-cors"},
]


class Sink:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.mails: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[tuple[Any, Sink, str, FrozenClock]]:
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    port = free_port()
    bot_url = f"http://127.0.0.1:{port}"
    settings = settings.model_copy(
        update={"smtp_url": f"smtp://127.0.0.1:{smtp.port}", "base_url": bot_url}
    )
    clock = FrozenClock(SEND - timedelta(days=1))
    runtime = build_runtime(settings, clock=clock)
    runtime.notifiers["email"] = EmailNotifier(settings.smtp_url or "", settings.smtp_from)
    runtime.notifiers["slack"] = RecordingNotifier()
    async with runtime.db.transaction() as session:
        p = await build_programme(session)
        await add_nudge(session, p.cohort, send_at=SEND)
        await plan_deliveries(
            session=session, cohort_id=p.cohort.id, settings=settings, now=clock.now()
        )
    runner = web.AppRunner(create_web_app(runtime, None))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield runtime, sink, bot_url, clock
    finally:
        await runner.cleanup()
        await runtime.db.dispose()
        smtp.stop()


def _links(mail: Message) -> list[str]:
    """Every link in the mail, in order: the HTML part's hrefs, then the text part's URLs."""
    found: list[str] = []
    for part in mail.walk():
        if part.get_content_maintype() != "text":
            continue
        body = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        pattern = r'href="([^"]+)"' if part.get_content_subtype() == "html" else r"(https?://\S+)"
        found += [u.replace("&amp;", "&") for u in re.findall(pattern, body)]
    return found


async def _answers(runtime: Any) -> list[str | None]:
    async with runtime.db.session() as session:
        return [a.answer for a in (await session.execute(select(NudgeAnswer))).scalars()]


async def _told(runtime: Any) -> list[Delivery]:
    async with runtime.db.session() as session:
        rows = await session.execute(
            select(Delivery).where(col(Delivery.dedupe_key).like("%:confirmed:%"))
        )
        return list(rows.scalars())


async def _sent_mail(runtime: Any, sink: Sink, clock: FrozenClock) -> Message:
    clock.set(SEND)
    await Dispatcher(runtime).tick()

    async def arrived() -> bool:
        return any("erik@tromso.kommune.no" in str(m["To"]) for m in sink.mails)

    await eventually(arrived)
    return next(m for m in sink.mails if "erik@tromso.kommune.no" in str(m["To"]))


async def test_a_scanner_fetching_every_link_in_the_mail_records_nothing(world: Any) -> None:
    runtime, sink, bot_url, clock = world
    mail = await _sent_mail(runtime, sink, clock)
    links = _links(mail)
    assert len(links) >= 3 and all(u.startswith(f"{bot_url}/r/") for u in links)
    async with aiohttp.ClientSession() as http:
        for url in links:  # in order, as Safe Links does
            for headers in SCANNER_HEADERS:
                async with http.get(url, headers=headers) as resp:
                    assert resp.status == 200
                    body = await resp.text()
                    # a scanner that follows what the page links to finds nothing to follow
                    assert re.findall(r'href="([^"]+)"', body) == []
                async with http.head(url, headers=headers) as resp:
                    assert resp.status == 200
                async with http.options(url) as resp:
                    assert resp.status == 405
            clock.advance(timedelta(minutes=1))  # the re-scan at click time
            async with http.get(url) as resp:
                assert resp.status == 200
    assert set(await _answers(runtime)) == {None}
    assert await _told(runtime) == []


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (`make browser`)")
async def test_after_the_scanner_one_press_in_a_real_browser_records_exactly_once(
    world: Any,
) -> None:
    from playwright.async_api import async_playwright

    runtime, sink, _bot_url, clock = world
    mail = await _sent_mail(runtime, sink, clock)
    links = _links(mail)
    async with aiohttp.ClientSession() as http:
        for url in links:
            async with http.get(url) as resp:
                assert resp.status == 200
    assert set(await _answers(runtime)) == {None}
    done = next(u for u in links if "/r/" in u)  # the first link: "Gjort – for Per Olsen"
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = await browser.new_page()
            await page.goto(done)
            assert set(await _answers(runtime)) == {None}  # opening the page recorded nothing
            await page.locator("button").first.click()  # the one press
            await page.wait_for_selector("text=Takk for svaret")
            await page.go_back()
            await page.reload()
        finally:
            await browser.close()
    answers = await _answers(runtime)
    assert sorted(a or "" for a in answers).count("done") == 1
    async with runtime.db.session() as session:
        row = (
            await session.execute(select(NudgeAnswer).where(col(NudgeAnswer.answer) == "done"))
        ).scalar_one()
    assert row.answered_via == "email"
