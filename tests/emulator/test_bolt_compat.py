"""A real slack_bolt AsyncApp served over HTTP accepts everything the emulator sends.

Bolt verifies signatures, parses payloads, routes listeners and uses `say`, `respond`, `ack`
with `response_action` and the Web API client — so this proves the emulator's wire format.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.app.async_server import AsyncSlackAppServer
from slack_sdk.web.async_client import AsyncWebClient

from emulator import EmulatorHandle, start_emulator
from emulator.server import free_port
from tests.emulator.conftest import SECRET, seed_people


@pytest.fixture
async def wired() -> AsyncIterator[tuple[EmulatorHandle, dict[str, Any]]]:
    port = free_port()
    emu = await start_emulator(
        bot_events_url=f"http://127.0.0.1:{port}/slack/events",
        signing_secret=SECRET,
        seed=seed_people,
        ack_timeout=30.0,
        event_retry_delays=(0.0,),
    )
    seen: dict[str, Any] = {}
    client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
    app = AsyncApp(client=client, signing_secret=SECRET)

    @app.command("/cohort")
    async def cohort(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        await ack()
        seen["command_text"] = command["text"]
        await respond(f"Hjelp for {command['text']}")

    @app.action("done")
    async def done(ack: Any, respond: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        seen["channel"] = body["channel"]["id"]
        await respond(replace_original=True, text="Levert ✅")
        await client.views_open(
            trigger_id=body["trigger_id"],
            view={
                "type": "modal",
                "callback_id": "pulse",
                "title": {"type": "plain_text", "text": "Pulse"},
                "submit": {"type": "plain_text", "text": "Send"},
                "blocks": [
                    {
                        "type": "input",
                        "block_id": "q",
                        "label": {"type": "plain_text", "text": "Hvordan?"},
                        "element": {"type": "plain_text_input", "action_id": "v"},
                    }
                ],
            },
        )

    @app.view("pulse")
    async def pulse(ack: Any, view: dict[str, Any]) -> None:
        value = view["state"]["values"]["q"]["v"]["value"]
        if value == "?":
            await ack(response_action="errors", errors={"q": "Skriv mer"})
        else:
            seen["pulse"] = value
            await ack()

    @app.event("app_home_opened")
    async def home(event: dict[str, Any], client: AsyncWebClient) -> None:
        await client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hei"}}],
            },
        )

    @app.event("message")
    async def echo(event: dict[str, Any], say: Any) -> None:
        await say(f"Du skrev: {event['text']}")

    server = AsyncSlackAppServer(port=port, path="/slack/events", app=app)
    runner = web.AppRunner(server.web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield emu, seen
    await runner.cleanup()
    await emu.stop()


async def eventually(check: Any, within: float = 30.0) -> None:
    """Wait until `check()` holds (Bolt runs listeners after the ack), polling the condition."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within:g} s")
        await asyncio.sleep(0.02)


async def test_bolt_handles_commands_actions_views_and_events(
    wired: tuple[EmulatorHandle, dict[str, Any]],
) -> None:
    emu, seen = wired
    state = emu.state

    result = await emu.inbound.slash_command("UKARI00001", "CBERGEN001", "/cohort", "status")
    assert result.acked
    await eventually(lambda: state.ephemerals_for("UKARI00001", "CBERGEN001"))
    assert state.ephemerals_for("UKARI00001", "CBERGEN001")[0].text == "Hjelp for status"

    client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
    button = {
        "type": "button",
        "action_id": "done",
        "text": {"type": "plain_text", "text": "Mark as done"},
    }
    posted = await client.chat_postMessage(
        channel="CBERGEN001", text="Oppgave", blocks=[{"type": "actions", "elements": [button]}]
    )
    assert (
        await emu.inbound.click(
            "UOLA000001", "done", channel_id="CBERGEN001", message_ts=posted["ts"]
        )
    ).acked
    await eventually(lambda: state.top_modal("UOLA000001") is not None)
    message = state.find_message("CBERGEN001", posted["ts"])
    assert message is not None and message.text == "Levert ✅" and seen["channel"] == "CBERGEN001"

    modal = state.top_modal("UOLA000001")
    assert modal is not None
    await emu.inbound.submit_view("UOLA000001", modal.id, {"q": {"v": "?"}})
    assert modal.errors == {"q": "Skriv mer"}
    await emu.inbound.submit_view("UOLA000001", modal.id, {"q": {"v": "Bra"}})
    assert seen["pulse"] == "Bra" and state.top_modal("UOLA000001") is None

    await emu.inbound.app_home_opened("UOLA000001")
    await eventually(lambda: "UOLA000001" in state.home_views)

    dm, _ = state.open_im("UOLA000001")
    await emu.inbound.message("UOLA000001", dm.id, "hei")
    await eventually(lambda: any(m.text == "Du skrev: hei" for m in state.channel_messages(dm.id)))
    assert all(r.attempts == 1 for r in emu.inbound.log)
