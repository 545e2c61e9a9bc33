"""In headless Chromium: a participant sees an assignment post in the local workspace, clicks
"Mark as done" and sees the bot's confirmation; a staff member runs `/cohort help`.

The whole stack runs: the emulator's web UI, signed requests into the bot's /slack/events, the
bot's Web API calls back into the emulator, the database. The screenshot is the README's.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.clock import FrozenClock
from bot.planner import plan_deliveries
from bot.settings import Settings
from emulator.state import WorkspaceState
from storage.models import Assignment, AssignmentProgress
from tests.utils.factories import create_class, create_cohort, create_person, enrol
from tests.utils.workspace import running_workspace

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "docs" / "workspace.png"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which(CHROMIUM) is None, reason=f"{CHROMIUM} not installed (make browser)"
    ),
]
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Tuesday 10 November 2026, 09:00 in Oslo.
RELEASE = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)


def seed(state: WorkspaceState) -> None:
    state.add_user(
        "anne",
        real_name="Anne Stab",
        email="anne@lederutdanning.no",
        role="staff",
        user_id="USTAFF",
    )
    state.add_user(
        "kari",
        real_name="Kari Nordmann",
        email="kari@bergen.kommune.no",
        role="participant",
        user_id="UKARI",
    )
    state.add_user(
        "ola",
        real_name="Ola Hansen",
        email="ola@askoy.kommune.no",
        role="participant",
        user_id="UOLA",
    )
    state.add_channel("lu-2026h-bergen", members=["USTAFF", "UKARI", "UOLA"], channel_id="CBERGEN")


async def test_participant_marks_done_and_staff_asks_for_help(settings: Settings) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    clock = FrozenClock(RELEASE - timedelta(minutes=5))
    async with running_workspace(settings, clock=clock, seed=seed) as ws:
        async with ws.runtime.db.transaction() as session:
            cohort = await create_cohort(session, key="2026h", name="Kull 2026 høst")
            bergen = await create_class(
                session,
                cohort=cohort,
                key="bergen",
                name="Klasse Bergen",
                slack_channel_id="CBERGEN",
            )
            await create_person(
                session,
                email="anne@lederutdanning.no",
                name="Anne Stab",
                slack_user_id="USTAFF",
                is_staff=True,
            )
            for uid, email, name in (
                ("UKARI", "kari@bergen.kommune.no", "Kari Nordmann"),
                ("UOLA", "ola@askoy.kommune.no", "Ola Hansen"),
            ):
                person = await create_person(session, email=email, name=name, slack_user_id=uid)
                await enrol(session, person=person, cohort=cohort, cls=bergen)
            session.add(
                Assignment(
                    cohort_id=cohort.id,
                    key="a1",
                    title="Forankre utviklingsprosjektet",
                    description="Beskriv et utviklingsprosjekt på din egen arbeidsplass.",
                    release_at=RELEASE,
                    due_at=RELEASE + timedelta(days=14),
                )
            )
            await session.flush()
            await plan_deliveries(
                session=session, cohort_id=cohort.id, settings=ws.runtime.settings, now=clock.now()
            )
        await ws.at(RELEASE)
        assert any(
            "Forankre utviklingsprosjektet" in m.text for m in ws.state.channel_messages("CBERGEN")
        )

        async with playwright_api.async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            try:
                page = await browser.new_page(viewport={"width": 1280, "height": 860})
                errors: list[str] = []
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                await page.goto(f"{ws.emulator.ui_url}?as=UKARI&c=CBERGEN")
                await page.get_by_text("Forankre utviklingsprosjektet").first.wait_for()
                await page.get_by_role("button", name="Marker som gjort").first.click()
                await page.get_by_text("Registrert som gjort").first.wait_for()

                await page.goto(f"{ws.emulator.ui_url}?as=USTAFF&c=CBERGEN")
                composer = page.get_by_test_id("composer")
                await composer.fill("/cohort help")
                await composer.press("Enter")
                await page.get_by_text("For programstaben").first.wait_for()
                SCREENSHOT.parent.mkdir(exist_ok=True)
                await page.screenshot(path=str(SCREENSHOT), full_page=False)
                assert errors == []
            finally:
                await browser.close()

        async with ws.runtime.db.session() as session:
            done = (await session.execute(select(AssignmentProgress))).scalars().all()
        assert [(row.person_id is not None, row.done_at is not None) for row in done] == [
            (True, True)
        ]
