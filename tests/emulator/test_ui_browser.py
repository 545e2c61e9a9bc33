"""Click through the emulator's UI in headless Chromium against a fake bot."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from emulator import EmulatorHandle, start_emulator
from tests.emulator.conftest import SECRET, FakeBot, seed_people

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason=f"{CHROMIUM} not installed"),
]


@pytest.fixture
async def emu(bot: FakeBot) -> AsyncIterator[EmulatorHandle]:
    handle = await start_emulator(bot_events_url=bot.url, signing_secret=SECRET, seed=seed_people)
    yield handle
    await handle.stop()


async def test_person_clicks_button_fills_modal_and_runs_command(
    emu: EmulatorHandle, bot: FakeBot
) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
    tasks: set[asyncio.Task[Any]] = set()

    async def respond(url: str, body: dict[str, Any]) -> None:
        async with aiohttp.ClientSession() as session:
            await session.post(url, json=body)

    async def reply(record: dict[str, Any]) -> web.StreamResponse:
        data = record["data"]
        if data.get("command") == "/cohort":
            return web.json_response({"text": "Commands: *help*, *status*"})
        if data.get("type") == "block_actions" and data["actions"][0]["action_id"] == "done":
            task = asyncio.ensure_future(
                respond(
                    data["response_url"], {"replace_original": True, "text": "Marked as done ✔"}
                )
            )
            tasks.add(task)
        if data.get("type") == "block_actions" and data["actions"][0]["action_id"] == "feedback":
            await client.views_open(
                trigger_id=data["trigger_id"],
                view={
                    "type": "modal",
                    "title": {"type": "plain_text", "text": "Feedback"},
                    "submit": {"type": "plain_text", "text": "Submit"},
                    "blocks": [
                        {
                            "type": "input",
                            "block_id": "comment",
                            "label": {"type": "plain_text", "text": "Comment"},
                            "element": {"type": "plain_text_input", "action_id": "v"},
                        }
                    ],
                },
            )
        if data.get("type") == "view_submission":
            value = data["view"]["state"]["values"]["comment"]["v"]["value"]
            if len(value) < 5:
                return web.json_response(
                    {"response_action": "errors", "errors": {"comment": "Too short"}}
                )
        return web.Response()

    bot.reply = reply
    buttons = [
        {
            "type": "button",
            "action_id": "done",
            "style": "primary",
            "text": {"type": "plain_text", "text": "Mark as done"},
        },
        {
            "type": "button",
            "action_id": "feedback",
            "text": {"type": "plain_text", "text": "Give feedback"},
        },
    ]
    await client.chat_postMessage(
        channel="CBERGEN001",
        text="Assignment 1",
        blocks=[
            {"type": "header", "text": {"type": "plain_text", "text": "Assignment 1"}},
            {"type": "actions", "elements": buttons},
        ],
    )
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            await page.goto(f"{emu.ui_url}?as=UOLA000001&c=CBERGEN001")
            await page.get_by_role("heading", name="Assignment 1").wait_for()

            await page.get_by_role("button", name="Give feedback").click()
            dialog = page.get_by_role("dialog")
            await dialog.get_by_label("Comment").fill("ok")
            await dialog.get_by_role("button", name="Submit").click()
            await dialog.get_by_text("Too short").wait_for()
            await dialog.get_by_label("Comment").fill("Very useful")
            await dialog.get_by_role("button", name="Submit").click()
            await dialog.wait_for(state="detached")

            await page.get_by_role("button", name="Mark as done").click()
            await page.get_by_text("Marked as done ✔").wait_for()

            composer = page.get_by_test_id("composer")
            await page.get_by_role("button", name="Reply in thread to cohortbot").click()
            await composer.fill("takk")
            await composer.press("Enter")
            await page.locator(".thread").get_by_text("takk").wait_for()
            await page.get_by_role("button", name="Cancel").click()

            await composer.fill("/cohort help")
            await composer.press("Enter")
            await page.get_by_text("Only visible to you").wait_for()
            await page.get_by_text("Commands:").wait_for()
        finally:
            await browser.close()
    kinds = [r["data"].get("type") or r["data"].get("command") for r in bot.requests]
    assert kinds == [
        "block_actions",
        "view_submission",
        "view_submission",
        "block_actions",
        "event_callback",
        "/cohort",
    ]
    reply_event = bot.requests[4]["data"]["event"]
    assert reply_event["text"] == "takk" and reply_event["thread_ts"] != reply_event["ts"]
