"""The web UI's pages and endpoints, and the Block Kit / mrkdwn renderer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from emulator import EmulatorHandle, start_emulator
from emulator.render import Renderer
from emulator.state import WorkspaceState
from emulator.ui import email_links, sanitise_email_html
from tests.emulator.conftest import SECRET, FakeBot, seed_people


@pytest.fixture
async def emu(bot: FakeBot) -> AsyncIterator[EmulatorHandle]:
    handle = await start_emulator(
        bot_events_url=bot.url,
        signing_secret=SECRET,
        seed=seed_people,
        ack_timeout=30.0,
        event_retry_delays=(0.0,),
        clock_url=bot.url.replace("/slack/events", "/_local/clock"),
    )
    yield handle
    await handle.stop()


def renderer() -> Renderer:
    state = WorkspaceState()
    seed_people(state)
    return Renderer(state.users, state.channels)


def test_mrkdwn_basics() -> None:
    r = renderer()
    out = r.mrkdwn(
        "*Frist* _i morgen_ `kode` ~nei~\n<https://example.no/a?b=1&amp;c=2|Les mer> <@UOLA000001>"
    )
    assert "<strong>Frist</strong>" in out and "<em>i morgen</em>" in out
    assert "<code>kode</code>" in out and "<del>nei</del>" in out
    assert (
        '<a href="https://example.no/a?b=1&amp;c=2" target="_blank" rel="noopener">Les mer</a>'
        in out
    )
    assert "@Ola Hansen" in out and "<br>" in out
    assert "&lt;script&gt;" in r.mrkdwn("<script>alert(1)</script>")
    assert "href" not in r.mrkdwn("<javascript:alert(1)|x>")
    assert "<pre>a *b*</pre>" in r.mrkdwn("```a *b*```")


def test_known_emoji_shortcodes_show_as_emoji_and_others_stay() -> None:
    r = renderer()
    assert r.mrkdwn(":calendar: tirsdag :round_pushpin: Bergen") == "📅 tirsdag 📍 Bergen"
    assert r.mrkdwn("kl. 09:00:30 :not_an_emoji:") == "kl. 09:00:30 :not_an_emoji:"
    assert "<blockquote>sitat</blockquote>" in r.mrkdwn("&gt; sitat")
    assert "snake_case_name" in r.mrkdwn("snake_case_name")


def test_blocks_render_readably() -> None:
    r = renderer()
    blocks: list[dict[str, Any]] = [
        {"type": "header", "block_id": "h", "text": {"type": "plain_text", "text": "Oppgave 2"}},
        {
            "type": "section",
            "block_id": "s",
            "text": {"type": "mrkdwn", "text": "*Frist:* tirsdag"},
            "fields": [{"type": "mrkdwn", "text": "*Klasse*\nBergen"}],
            "accessory": {
                "type": "overflow",
                "action_id": "more",
                "options": [{"text": {"type": "plain_text", "text": "Utsett"}, "value": "snooze"}],
            },
        },
        {
            "type": "context",
            "block_id": "c",
            "elements": [{"type": "mrkdwn", "text": "Sendt av kari"}],
        },
        {"type": "divider", "block_id": "d"},
        {"type": "image", "block_id": "i", "image_url": "https://x/y.png", "alt_text": "graf"},
        {
            "type": "actions",
            "block_id": "a",
            "elements": [
                {
                    "type": "button",
                    "action_id": "done",
                    "text": {"type": "plain_text", "text": "Mark as done"},
                    "style": "primary",
                },
                {"type": "datepicker", "action_id": "when", "initial_date": "2026-03-03"},
                {
                    "type": "static_select",
                    "action_id": "pick",
                    "placeholder": {"type": "plain_text", "text": "Velg"},
                    "options": [{"text": {"type": "plain_text", "text": "A"}, "value": "a"}],
                },
            ],
        },
    ]
    out = r.blocks(blocks)
    assert '<h3 class="bk-header" data-block-id="h">Oppgave 2</h3>' in out
    assert "<strong>Frist:</strong> tirsdag" in out and "<strong>Klasse</strong><br>Bergen" in out
    assert 'aria-label="More options"' in out and "Utsett" in out
    assert '<hr class="bk-divider">' in out and 'alt="graf"' in out
    assert 'data-testid="action-done"' in out and ">Mark as done</button>" in out
    assert 'type="date"' in out and 'value="2026-03-03"' in out
    assert 'aria-label="Velg"' in out


def test_email_html_is_sanitised_and_links_listed() -> None:
    raw = '<p onclick="x()">Hei</p><script>alert(1)</script><a href="http://127.0.0.1:3000/r/t1">Svar ja</a>'
    clean = sanitise_email_html(raw)
    assert "<script" not in clean and "onclick" not in clean and '<base target="_blank">' in clean
    assert email_links(raw) == [("http://127.0.0.1:3000/r/t1", "Svar ja")]


async def test_workspace_page_lists_people_by_role_and_conversations(
    emu: EmulatorHandle, http: aiohttp.ClientSession
) -> None:
    async with http.get(emu.ui_url + "?as=UOLA000001") as resp:
        page = await resp.text()
    assert resp.status == 200
    assert '<optgroup label="Staff">' in page and '<optgroup label="Line managers">' in page
    assert "Gone Away — alumnus (deactivated)" in page
    assert "#kull-2026-bergen" in page and 'data-testid="composer"' in page
    assert "Fast-forward" in page


async def test_clock_control_hidden_without_clock_url(http: aiohttp.ClientSession) -> None:
    handle = await start_emulator(seed=seed_people)
    try:
        async with http.get(handle.ui_url) as resp:
            assert "Fast-forward" not in await resp.text()
    finally:
        await handle.stop()


async def test_click_through_the_ui_endpoint(
    emu: EmulatorHandle, bot: FakeBot, http: aiohttp.ClientSession
) -> None:
    client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
    button = {
        "type": "button",
        "action_id": "done",
        "text": {"type": "plain_text", "text": "Mark as done"},
    }
    posted = await client.chat_postMessage(
        channel="CBERGEN001", text="Oppgave", blocks=[{"type": "actions", "elements": [button]}]
    )
    async with http.get(f"{emu.base_url}/ui/fragment?as=UOLA000001&c=CBERGEN001&v=-1") as resp:
        fragment = await resp.json()
    assert "Mark as done" in fragment["messages"]
    body = {"as": "UOLA000001", "action_id": "done", "channel": "CBERGEN001", "ts": posted["ts"]}
    async with http.post(emu.base_url + "/ui/action", json=body) as resp:
        assert (await resp.json())["ok"] is True
    assert bot.requests[0]["data"]["actions"][0]["action_id"] == "done"
    async with http.get(
        f"{emu.base_url}/ui/fragment?as=UOLA000001&c=CBERGEN001&v={fragment['version']}"
    ) as resp:
        assert set(await resp.json()) == {"version"}


async def test_composer_sends_messages_and_commands(
    emu: EmulatorHandle, bot: FakeBot, http: aiohttp.ClientSession
) -> None:
    async def reply(record: dict[str, Any]) -> web.StreamResponse:
        if record["data"].get("command") == "/cohort":
            return web.json_response({"text": "*Kommandoer*: help, status"})
        return web.Response()

    bot.reply = reply
    async with http.post(
        emu.base_url + "/ui/send",
        json={"as": "UKARI00001", "channel": "CBERGEN001", "text": "/cohort help"},
    ) as resp:
        assert (await resp.json())["ok"] is True
    async with http.post(
        emu.base_url + "/ui/send",
        json={"as": "UKARI00001", "channel": "CBERGEN001", "text": "hei alle"},
    ) as resp:
        assert (await resp.json())["ok"] is True
    await emu.inbound.drain()
    kinds = [r["data"].get("command") or r["data"]["event"]["type"] for r in bot.requests]
    assert kinds == ["/cohort", "message"]
    async with http.get(f"{emu.base_url}/ui/fragment?as=UKARI00001&c=CBERGEN001") as resp:
        html = (await resp.json())["messages"]
    assert (
        "Only visible to you" in html
        and "<strong>Kommandoer</strong>" in html
        and "hei alle" in html
    )
    async with http.get(f"{emu.base_url}/ui/fragment?as=UOLA000001&c=CBERGEN001") as resp:
        assert "Kommandoer" not in (await resp.json())["messages"]


async def test_modal_renders_and_submits_through_the_ui(
    emu: EmulatorHandle, bot: FakeBot, http: aiohttp.ClientSession
) -> None:
    client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Pulse"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [
            {
                "type": "input",
                "block_id": "q",
                "label": {"type": "plain_text", "text": "Hvordan gikk det?"},
                "element": {"type": "plain_text_input", "action_id": "v", "multiline": True},
            }
        ],
    }
    opened = await client.views_open(trigger_id=emu.state.issue_trigger("UOLA000001").id, view=view)
    view_id = opened["view"]["id"]
    async with http.get(f"{emu.base_url}/ui/fragment?as=UOLA000001&c=CBERGEN001") as resp:
        modal = (await resp.json())["modal"]
    assert 'role="dialog"' in modal and "<textarea" in modal and "Hvordan gikk det?" in modal

    async def errors(_: dict[str, Any]) -> web.StreamResponse:
        return web.json_response({"response_action": "errors", "errors": {"q": "Skriv litt mer"}})

    bot.reply = errors
    body = {"as": "UOLA000001", "view_id": view_id, "values": {"q": {"v": "ok"}}}
    async with http.post(emu.base_url + "/ui/view/submit", json=body) as resp:
        assert (await resp.json())["ok"] is True
    async with http.get(f"{emu.base_url}/ui/fragment?as=UOLA000001&c=CBERGEN001") as resp:
        modal = (await resp.json())["modal"]
    assert "Skriv litt mer" in modal and ">ok</textarea>" in modal
    async with http.post(
        emu.base_url + "/ui/view/close", json={"as": "UOLA000001", "view_id": view_id}
    ) as resp:
        assert (await resp.json())["ok"] is True
    assert emu.state.top_modal("UOLA000001") is None


async def test_home_tab_sends_app_home_opened(
    emu: EmulatorHandle, bot: FakeBot, http: aiohttp.ClientSession
) -> None:
    async with http.get(emu.ui_url + "?as=UOLA000001&tab=home") as resp:
        assert "has not published a Home view" in await resp.text()
    async with http.post(emu.base_url + "/ui/home/open", json={"as": "UOLA000001"}) as resp:
        assert (await resp.json())["ok"] is True
    await emu.inbound.drain()
    assert bot.requests[0]["data"]["event"]["type"] == "app_home_opened"


async def test_inbox_and_errors_pages(emu: EmulatorHandle, http: aiohttp.ClientSession) -> None:
    emu.state.add_email(
        mail_from="bot@example.no",
        to=["leder@kommune.no"],
        subject="Bekreft deltakelse",
        text="Svar: http://127.0.0.1:3000/r/abc",
        html='<p>Svar <a href="http://127.0.0.1:3000/r/abc">Ja, jeg deltar</a></p>',
    )
    emu.state.add_notice(
        "UOLA000001", "operation_timeout", "cohortbot didn't respond (operation_timeout)"
    )
    async with http.get(emu.base_url + "/ui/inbox") as resp:
        assert "Bekreft deltakelse" in await resp.text()
    async with http.get(emu.base_url + "/ui/inbox/1") as resp:
        page = await resp.text()
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in page
    assert (
        '<a href="http://127.0.0.1:3000/r/abc" target="_blank" rel="noopener" data-testid="mail-link">Ja, jeg deltar</a>'
        in page
    )
    async with http.get(emu.base_url + "/ui/errors") as resp:
        assert "didn&#x27;t respond" in await resp.text()
    async with http.get(emu.base_url + "/ui/calls") as resp:
        assert resp.status == 200


async def test_fast_forward_posts_to_clock_url(
    emu: EmulatorHandle, bot: FakeBot, http: aiohttp.ClientSession
) -> None:
    async with http.post(emu.base_url + "/ui/clock", json={"seconds": 3600}) as resp:
        body = await resp.json()
    assert body["status"] == 404  # the fake bot has no clock route; the request did reach it


async def test_banner_when_bot_unreachable(http: aiohttp.ClientSession) -> None:
    from emulator.server import free_port

    handle = await start_emulator(
        seed=seed_people,
        bot_events_url=f"http://127.0.0.1:{free_port()}/slack/events",
        event_retry_delays=(),
    )
    try:
        dm, _ = handle.state.open_im("UOLA000001")
        await handle.inbound.message("UOLA000001", dm.id, "hei")
        async with http.get(handle.ui_url + "?as=UOLA000001") as resp:
            assert "cohortbot is not reachable at http://127.0.0.1:" in await resp.text()
    finally:
        await handle.stop()


async def test_page_accepts_email_and_channel_name(
    emu: EmulatorHandle, http: aiohttp.ClientSession
) -> None:
    async with http.get(emu.ui_url + "?as=ingrid@example.no&c=kull-2026-bergen") as resp:
        page = await resp.text()
    assert 'data-as="UINGRID001"' in page and 'data-channel="CBERGEN001"' in page
