"""Signed inbound requests, Slack's retry and timeout behaviour, and the response_url endpoint."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from emulator import EmulatorHandle, start_emulator
from emulator.inbound import InteractionError, parse_slash
from tests.emulator.conftest import SECRET, FakeBot, Reply, seed_people


@pytest.fixture
async def emu(bot: FakeBot) -> AsyncIterator[EmulatorHandle]:
    handle = await start_emulator(
        bot_events_url=bot.url,
        signing_secret=SECRET,
        seed=seed_people,
        # Generous, so a busy machine never turns a prompt answer into a timeout; the tests of
        # timeouts use a bot that never answers (`never_answer`) and shorten it themselves.
        ack_timeout=30.0,
        trigger_ttl=30.0,
        event_retry_delays=(0.0, 0.0, 0.0),
    )
    yield handle
    await handle.stop()


@pytest.fixture
async def never_answer(emu: EmulatorHandle, bot: FakeBot) -> AsyncIterator[None]:
    """Make the bot hold every request unanswered, so the emulator's ack timeout always fires."""
    released = asyncio.Event()

    async def hold(_: dict[str, Any]) -> web.StreamResponse:
        await released.wait()
        return web.Response()

    emu.config.ack_timeout = 0.2
    bot.reply = hold
    yield
    released.set()


def json_reply(body: dict[str, Any]) -> Reply:
    async def reply(_: dict[str, Any]) -> web.StreamResponse:
        return web.json_response(body)

    return reply


async def test_message_event_is_signed_like_slack(emu: EmulatorHandle, bot: FakeBot) -> None:
    dm, _ = emu.state.open_im("UOLA000001")
    await emu.inbound.message("UOLA000001", dm.id, "hei bot")
    [request] = bot.requests
    assert request["valid"] is True
    envelope = request["data"]
    assert envelope["type"] == "event_callback"
    assert envelope["team_id"] == emu.config.team_id
    assert envelope["api_app_id"] == emu.config.app_id
    assert envelope["event_id"].startswith("Ev")
    assert envelope["authorizations"][0]["user_id"] == emu.config.bot_user_id
    event = envelope["event"]
    assert (event["type"], event["channel_type"], event["text"]) == ("message", "im", "hei bot")
    assert "X-Slack-Retry-Num" not in request["headers"]


async def test_tampered_signature_is_rejected_by_verifier(emu: EmulatorHandle) -> None:
    body = b'{"a": 1}'
    headers = emu.inbound.headers(body, "application/json")
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid_request(b'{"a": 2}', headers)


async def test_mention_in_channel_sends_message_and_app_mention(
    emu: EmulatorHandle, bot: FakeBot
) -> None:
    await emu.inbound.message("UOLA000001", "CBERGEN001", f"<@{emu.config.bot_user_id}> hjelp")
    types = [r["data"]["event"]["type"] for r in bot.requests]
    assert types == ["message", "app_mention"]
    assert bot.requests[0]["data"]["event"]["channel_type"] == "channel"


async def test_slow_bot_gets_event_retries(
    emu: EmulatorHandle, bot: FakeBot, never_answer: None
) -> None:
    dm, _ = emu.state.open_im("UOLA000001")
    await emu.inbound.message("UOLA000001", dm.id, "er du der?")
    assert len(bot.requests) == 4
    retry_nums = [r["headers"].get("X-Slack-Retry-Num") for r in bot.requests]
    assert retry_nums == [None, "1", "2", "3"]
    assert {r["headers"].get("X-Slack-Retry-Reason") for r in bot.requests[1:]} == {"http_timeout"}
    assert len({r["data"]["event_id"] for r in bot.requests}) == 1
    assert emu.state.notices[-1].kind == "event_failed"


async def test_retry_stops_once_acked(emu: EmulatorHandle, bot: FakeBot) -> None:
    async def flaky(record: dict[str, Any]) -> web.StreamResponse:
        return web.Response(status=500 if len(bot.requests) == 1 else 200)

    bot.reply = flaky
    result = await emu.inbound.app_home_opened("UOLA000001")
    assert result is not None and result.acked and result.attempts == 2
    assert bot.requests[1]["headers"]["X-Slack-Retry-Reason"] == "http_error"
    assert bot.requests[0]["data"]["event"]["tab"] == "home"


async def test_invite_sends_member_joined_channel(emu: EmulatorHandle, bot: FakeBot) -> None:
    client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
    await client.conversations_invite(channel="CBERGEN001", users="ULARS00001")
    await emu.inbound.drain()
    event = bot.requests[0]["data"]["event"]
    assert event["type"] == "member_joined_channel"
    assert (event["user"], event["channel"], event["inviter"]) == (
        "ULARS00001",
        "CBERGEN001",
        emu.config.bot_user_id,
    )


async def post_assignment(emu: EmulatorHandle) -> str:
    client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
    resp = await client.chat_postMessage(
        channel="CBERGEN001",
        text="Oppgave 1",
        blocks=[
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Oppgave 1*"}},
            {
                "type": "actions",
                "block_id": "assignment",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Mark as done"},
                        "action_id": "assignment_done",
                        "value": "42",
                        "style": "primary",
                    },
                    {
                        "type": "static_select",
                        "action_id": "rate",
                        "placeholder": {"type": "plain_text", "text": "Rate"},
                        "options": [
                            {"text": {"type": "plain_text", "text": "Good"}, "value": "good"},
                            {"text": {"type": "plain_text", "text": "Bad"}, "value": "bad"},
                        ],
                    },
                ],
            },
        ],
    )
    return str(resp["ts"])


async def test_block_actions_payload_and_response_url(emu: EmulatorHandle, bot: FakeBot) -> None:
    ts = await post_assignment(emu)
    await emu.inbound.click("UOLA000001", "assignment_done", channel_id="CBERGEN001", message_ts=ts)
    payload = bot.requests[0]["data"]
    assert bot.requests[0]["valid"]
    assert payload["type"] == "block_actions"
    assert payload["user"]["id"] == "UOLA000001"
    assert payload["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": "CBERGEN001",
        "is_ephemeral": False,
    }
    action = payload["actions"][0]
    assert (action["action_id"], action["block_id"], action["value"]) == (
        "assignment_done",
        "assignment",
        "42",
    )
    assert action["text"]["text"] == "Mark as done"
    assert payload["message"]["ts"] == ts and payload["trigger_id"]

    async with aiohttp.ClientSession() as session:
        async with session.post(
            payload["response_url"], json={"replace_original": True, "text": "Takk, registrert ✅"}
        ) as resp:
            assert (await resp.json())["ok"] is True
        async with session.post(payload["response_url"], json={"text": "Bare til deg"}) as resp:
            assert resp.status == 200
    message = emu.state.find_message("CBERGEN001", ts)
    assert message is not None and message.text == "Takk, registrert ✅" and message.blocks == []
    assert emu.state.ephemerals_for("UOLA000001", "CBERGEN001")[0].text == "Bare til deg"


async def test_select_action_carries_selected_option(emu: EmulatorHandle, bot: FakeBot) -> None:
    ts = await post_assignment(emu)
    await emu.inbound.click(
        "UOLA000001", "rate", channel_id="CBERGEN001", message_ts=ts, value="good"
    )
    action = bot.requests[0]["data"]["actions"][0]
    assert action["selected_option"]["value"] == "good"
    assert (
        bot.requests[0]["data"]["state"]["values"]["assignment"]["rate"]["type"] == "static_select"
    )
    with pytest.raises(InteractionError):
        await emu.inbound.click(
            "UOLA000001", "rate", channel_id="CBERGEN001", message_ts=ts, value="meh"
        )


async def test_slow_ack_on_click_shows_error_to_person(
    emu: EmulatorHandle, bot: FakeBot, never_answer: None
) -> None:
    ts = await post_assignment(emu)
    result = await emu.inbound.click(
        "UOLA000001", "assignment_done", channel_id="CBERGEN001", message_ts=ts
    )
    assert result.error == "http_timeout"
    [notice] = emu.state.notices_for("UOLA000001")
    assert notice.kind == "operation_timeout"
    assert "didn't respond" in notice.text
    assert len(bot.requests) == 1


async def open_pulse_modal(emu: EmulatorHandle, bot: FakeBot) -> str:
    client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
    trigger = emu.state.issue_trigger("UOLA000001")
    options = [{"text": {"type": "plain_text", "text": str(n)}, "value": str(n)} for n in (1, 2, 3)]
    view = {
        "type": "modal",
        "callback_id": "pulse",
        "notify_on_close": True,
        "title": {"type": "plain_text", "text": "Pulse"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [
            {
                "type": "input",
                "block_id": "text",
                "label": {"type": "plain_text", "text": "Comment"},
                "element": {"type": "plain_text_input", "action_id": "v", "multiline": True},
            },
            {
                "type": "input",
                "block_id": "score",
                "label": {"type": "plain_text", "text": "Score"},
                "element": {"type": "static_select", "action_id": "v", "options": options},
            },
            {
                "type": "input",
                "block_id": "date",
                "optional": True,
                "label": {"type": "plain_text", "text": "Date"},
                "element": {"type": "datepicker", "action_id": "v"},
            },
            {
                "type": "input",
                "block_id": "radio",
                "optional": True,
                "label": {"type": "plain_text", "text": "Radio"},
                "element": {"type": "radio_buttons", "action_id": "v", "options": options},
            },
            {
                "type": "input",
                "block_id": "boxes",
                "optional": True,
                "label": {"type": "plain_text", "text": "Boxes"},
                "element": {"type": "checkboxes", "action_id": "v", "options": options},
            },
            {
                "type": "input",
                "block_id": "who",
                "optional": True,
                "label": {"type": "plain_text", "text": "Who"},
                "element": {"type": "users_select", "action_id": "v"},
            },
            {
                "type": "input",
                "block_id": "n",
                "optional": True,
                "label": {"type": "plain_text", "text": "Number"},
                "element": {"type": "number_input", "action_id": "v", "is_decimal_allowed": False},
            },
        ],
    }
    resp = await client.views_open(trigger_id=trigger.id, view=view)
    return str(resp["view"]["id"])


async def test_view_submission_state_values_and_errors(emu: EmulatorHandle, bot: FakeBot) -> None:
    view_id = await open_pulse_modal(emu, bot)
    values = {
        "text": {"v": "Bra samling"},
        "score": {"v": "3"},
        "date": {"v": "2026-03-03"},
        "radio": {"v": "2"},
        "boxes": {"v": ["1", "3"]},
        "who": {"v": "UINGRID001"},
        "n": {"v": "7"},
    }
    bot.reply = json_reply({"response_action": "errors", "errors": {"text": "For kort"}})
    await emu.inbound.submit_view("UOLA000001", view_id, values)
    state = bot.requests[0]["data"]["view"]["state"]["values"]
    assert state["text"]["v"] == {"type": "plain_text_input", "value": "Bra samling"}
    assert state["score"]["v"]["selected_option"]["value"] == "3"
    assert state["date"]["v"] == {"type": "datepicker", "selected_date": "2026-03-03"}
    assert state["radio"]["v"]["selected_option"]["value"] == "2"
    assert [o["value"] for o in state["boxes"]["v"]["selected_options"]] == ["1", "3"]
    assert state["who"]["v"] == {"type": "users_select", "selected_user": "UINGRID001"}
    assert state["n"]["v"] == {"type": "number_input", "value": "7"}
    modal = emu.state.top_modal("UOLA000001")
    assert modal is not None and modal.errors == {"text": "For kort"}

    bot.reply = None
    await emu.inbound.submit_view("UOLA000001", view_id, values)
    assert emu.state.top_modal("UOLA000001") is None


async def test_required_inputs_are_checked_before_sending(
    emu: EmulatorHandle, bot: FakeBot
) -> None:
    view_id = await open_pulse_modal(emu, bot)
    result = await emu.inbound.submit_view("UOLA000001", view_id, {"text": {"v": "hei"}})
    assert result.error == "client_validation"
    assert bot.requests == []
    assert "score" in emu.state.views[view_id].errors


async def test_response_action_update_push_clear(emu: EmulatorHandle, bot: FakeBot) -> None:
    view_id = await open_pulse_modal(emu, bot)
    values = {"text": {"v": "x"}, "score": {"v": "1"}}
    simple = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Takk"},
        "blocks": [{"type": "divider"}],
    }
    bot.reply = json_reply({"response_action": "update", "view": simple})
    await emu.inbound.submit_view("UOLA000001", view_id, values)
    modal = emu.state.top_modal("UOLA000001")
    assert modal is not None and modal.id == view_id and modal.payload["title"]["text"] == "Takk"

    view_id = await open_pulse_modal(emu, bot)
    bot.reply = json_reply({"response_action": "push", "view": simple})
    await emu.inbound.submit_view("UOLA000001", view_id, values)
    assert len(emu.state.modal_stacks["UOLA000001"]) == 2
    bot.reply = json_reply({"response_action": "clear"})
    await emu.inbound.submit_view("UOLA000001", view_id, values)
    assert emu.state.top_modal("UOLA000001") is None


async def test_view_closed_when_notify_on_close(emu: EmulatorHandle, bot: FakeBot) -> None:
    view_id = await open_pulse_modal(emu, bot)
    await emu.inbound.close_view("UOLA000001", view_id)
    payload = bot.requests[0]["data"]
    assert payload["type"] == "view_closed" and payload["view"]["id"] == view_id
    assert payload["is_cleared"] is False
    assert emu.state.top_modal("UOLA000001") is None


async def test_slash_command_form_and_replies(emu: EmulatorHandle, bot: FakeBot) -> None:
    bot.reply = json_reply({"text": "Hjelp: /cohort status"})
    await emu.inbound.slash_command("UKARI00001", "CBERGEN001", "/cohort", "help")
    form = bot.requests[0]["data"]
    assert bot.requests[0]["valid"]
    assert (form["command"], form["text"], form["user_id"], form["channel_id"]) == (
        "/cohort",
        "help",
        "UKARI00001",
        "CBERGEN001",
    )
    assert form["trigger_id"] and form["response_url"] and form["team_id"] == emu.config.team_id
    [ephemeral] = emu.state.ephemerals_for("UKARI00001", "CBERGEN001")
    assert ephemeral.text == "Hjelp: /cohort status"

    async with aiohttp.ClientSession() as session:
        async with session.post(
            form["response_url"], json={"response_type": "in_channel", "text": "Til alle"}
        ) as r:
            assert r.status == 200
    assert emu.state.channel_messages("CBERGEN001")[-1].text == "Til alle"


async def test_slash_command_timeout_shows_operation_timeout(
    emu: EmulatorHandle, bot: FakeBot, never_answer: None
) -> None:
    await emu.inbound.slash_command("UKARI00001", "CBERGEN001", "/cohort", "status")
    [notice] = emu.state.notices_for("UKARI00001")
    assert notice.text == '/cohort failed with the error "operation_timeout"'


async def test_trigger_from_interaction_opens_modal_within_ttl(
    emu: EmulatorHandle, bot: FakeBot
) -> None:
    ts = await post_assignment(emu)
    await emu.inbound.click("UOLA000001", "assignment_done", channel_id="CBERGEN001", message_ts=ts)
    trigger_id = bot.requests[0]["data"]["trigger_id"]
    client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Hei"}, "blocks": []}
    assert (await client.views_open(trigger_id=trigger_id, view=view))["ok"]


async def test_response_url_expiry_and_unknown(emu: EmulatorHandle) -> None:
    record = emu.state.issue_response_url("UOLA000001", "CBERGEN001")
    async with aiohttp.ClientSession() as session:
        for _ in range(5):
            async with session.post(
                f"{emu.base_url}/_respond/{record.id}", json={"text": "x"}
            ) as r:
                assert r.status == 200
        async with session.post(f"{emu.base_url}/_respond/{record.id}", json={"text": "x"}) as r:
            assert (await r.json())["error"] == "used_url"
        async with session.post(f"{emu.base_url}/_respond/nope", json={"text": "x"}) as r:
            assert r.status == 404


def test_parse_slash() -> None:
    assert parse_slash("/cohort help me") == ("/cohort", "help me")
    assert parse_slash("/cohort") == ("/cohort", "")
    assert parse_slash("hello /cohort") is None


async def test_no_retry_header_stops_retries(emu: EmulatorHandle, bot: FakeBot) -> None:
    async def refuse(_: dict[str, Any]) -> web.StreamResponse:
        return web.Response(status=500, headers={"X-Slack-No-Retry": "1"})

    bot.reply = refuse
    result = await emu.inbound.app_home_opened("UOLA000001")
    assert result is not None and result.attempts == 1 and len(bot.requests) == 1


async def test_url_verification_challenge(emu: EmulatorHandle, bot: FakeBot) -> None:
    async def echo(record: dict[str, Any]) -> web.StreamResponse:
        return web.json_response({"challenge": record["data"]["challenge"]})

    bot.reply = echo
    assert await emu.inbound.url_verification() is True
    bot.reply = None
    assert await emu.inbound.url_verification() is False
