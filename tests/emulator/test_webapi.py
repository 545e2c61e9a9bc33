"""Web API shapes and errors, checked with the real slack_sdk client over HTTP."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from emulator import EmulatorHandle


async def slack_error(coro: Any) -> str:
    with pytest.raises(SlackApiError) as info:
        await coro
    return str(info.value.response["error"])


def button(text: str, action_id: str = "done") -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id}


async def test_auth_test_describes_the_bot(client: AsyncWebClient, emu: EmulatorHandle) -> None:
    resp = await client.auth_test()
    assert resp["ok"] is True
    assert resp["user_id"] == emu.config.bot_user_id
    assert resp["team_id"] == emu.config.team_id
    assert resp["bot_id"] == emu.config.bot_id


async def test_bad_or_missing_token_is_refused(emu: EmulatorHandle) -> None:
    bad = AsyncWebClient(token="xoxb-wrong", base_url=emu.api_url)
    assert await slack_error(bad.auth_test()) == "invalid_auth"
    async with aiohttp.ClientSession() as session:
        async with session.post(emu.api_url + "auth.test") as resp:
            assert resp.status == 200
            assert await resp.json() == {"ok": False, "error": "not_authed"}


async def test_form_encoded_and_token_param_are_accepted(emu: EmulatorHandle) -> None:
    blocks = json.dumps([{"type": "section", "text": {"type": "mrkdwn", "text": "*Hei*"}}])
    form = {"token": emu.bot_token, "channel": "CBERGEN001", "text": "Hei", "blocks": blocks}
    async with aiohttp.ClientSession() as session:
        async with session.post(emu.api_url + "chat.postMessage", data=form) as resp:
            body = await resp.json()
    assert body["ok"] is True
    assert body["message"]["blocks"][0]["text"]["text"] == "*Hei*"


async def test_post_message_shape(client: AsyncWebClient, emu: EmulatorHandle) -> None:
    resp = await client.chat_postMessage(
        channel="CBERGEN001", text="Ny oppgave", blocks=[{"type": "divider"}]
    )
    assert resp["channel"] == "CBERGEN001"
    assert resp["ts"] == resp["message"]["ts"]
    assert resp["message"]["bot_id"] == emu.config.bot_id
    assert resp["message"]["user"] == emu.config.bot_user_id
    stored = emu.state.find_message("CBERGEN001", resp["ts"])
    assert stored is not None and stored.text == "Ny oppgave"
    assert stored.blocks[0]["block_id"]


async def test_post_to_user_id_opens_the_dm(client: AsyncWebClient, emu: EmulatorHandle) -> None:
    resp = await client.chat_postMessage(channel="UOLA000001", text="Hei Ola")
    assert resp["channel"].startswith("D")
    again = await client.conversations_open(users="UOLA000001")
    assert again["channel"]["id"] == resp["channel"]
    assert again["already_open"] is True


async def test_thread_reply_counts_on_parent(client: AsyncWebClient, emu: EmulatorHandle) -> None:
    parent = await client.chat_postMessage(channel="CBERGEN001", text="parent")
    await client.chat_postMessage(channel="CBERGEN001", text="reply", thread_ts=parent["ts"])
    replies = await client.conversations_replies(channel="CBERGEN001", ts=parent["ts"])
    assert [m["text"] for m in replies["messages"]] == ["parent", "reply"]
    assert replies["messages"][0]["reply_count"] == 1


async def test_post_message_errors(client: AsyncWebClient, emu: EmulatorHandle) -> None:
    assert (
        await slack_error(client.chat_postMessage(channel="CNOPE", text="x")) == "channel_not_found"
    )
    assert (
        await slack_error(client.chat_postMessage(channel="UNOPE", text="x")) == "channel_not_found"
    )
    assert (
        await slack_error(client.chat_postMessage(channel="CSTAFF0001", text="x"))
        == "channel_not_found"
    )
    assert (
        await slack_error(client.chat_postMessage(channel="UGONE00001", text="x"))
        == "account_inactive"
    )
    assert (
        await slack_error(client.chat_postMessage(channel="CBERGEN001", text="x" * 40_001))
        == "msg_too_long"
    )
    with pytest.warns(UserWarning, match="text"):
        assert await slack_error(client.chat_postMessage(channel="CBERGEN001")) == "no_text"


async def test_not_in_channel_then_join_and_retry(
    client: AsyncWebClient, emu: EmulatorHandle
) -> None:
    assert (
        await slack_error(client.chat_postMessage(channel="CGENERAL01", text="x"))
        == "not_in_channel"
    )
    joined = await client.conversations_join(channel="CGENERAL01")
    assert joined["channel"]["id"] == "CGENERAL01"
    again = await client.conversations_join(channel="CGENERAL01")
    assert again["warning"] == "already_in_channel"
    assert (await client.chat_postMessage(channel="CGENERAL01", text="x"))["ok"]


async def test_public_posting_without_membership_when_configured(
    client: AsyncWebClient, emu: EmulatorHandle
) -> None:
    emu.config.public_post_requires_membership = False
    assert (await client.chat_postMessage(channel="CGENERAL01", text="x"))["ok"]
    assert (
        await slack_error(client.chat_postMessage(channel="CSTAFF0001", text="x"))
        == "channel_not_found"
    )


async def test_archived_channel_refuses_posts(client: AsyncWebClient, emu: EmulatorHandle) -> None:
    await client.conversations_archive(channel="CBERGEN001")
    assert (
        await slack_error(client.chat_postMessage(channel="CBERGEN001", text="x")) == "is_archived"
    )
    assert (
        await slack_error(client.conversations_archive(channel="CBERGEN001")) == "already_archived"
    )


@pytest.mark.parametrize(
    ("blocks", "needle"),
    [
        ([{"type": "divider"}] * 51, "no more than 50 items"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "3001"),
        ([{"type": "actions", "elements": [button("x" * 76)]}], "76"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}], "151"),
        ([{"type": "header"}], "missing required field"),
        ([{"type": "section"}], "either text or fields"),
        ([{"type": "carousel"}], "unsupported type"),
        ([{"type": "image", "image_url": "https://x/y.png"}], "alt_text"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x", "emoji": True}}], "emoji"),
        (
            [
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "static_select",
                            "options": [
                                {"text": {"type": "plain_text", "text": "A"}, "value": "a"}
                            ],
                            "initial_option": {
                                "text": {"type": "plain_text", "text": "B"},
                                "value": "b",
                            },
                        }
                    ],
                }
            ],
            "must match one of the options",
        ),
        (
            [
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "overflow",
                            "options": [{"text": {"type": "mrkdwn", "text": "A"}, "value": "a"}],
                        }
                    ],
                }
            ],
            "must be one of plain_text",
        ),
    ],
)
async def test_invalid_blocks(
    client: AsyncWebClient, blocks: list[dict[str, Any]], needle: str
) -> None:
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel="CBERGEN001", text="x", blocks=blocks)
    assert info.value.response["error"] == "invalid_blocks"
    assert any(needle in e for e in info.value.response["errors"])


async def test_update_ephemeral_delete(client: AsyncWebClient, emu: EmulatorHandle) -> None:
    posted = await client.chat_postMessage(channel="CBERGEN001", text="før")
    updated = await client.chat_update(channel="CBERGEN001", ts=posted["ts"], text="etter")
    assert updated["ts"] == posted["ts"] and updated["text"] == "etter"
    eph = await client.chat_postEphemeral(
        channel="CBERGEN001", user="UOLA000001", text="bare til deg"
    )
    assert emu.state.ephemerals_for("UOLA000001", "CBERGEN001")[0].ts == eph["message_ts"]
    err = await slack_error(
        client.chat_postEphemeral(channel="CBERGEN001", user="ULARS00001", text="x")
    )
    assert err == "user_not_in_channel"
    deleted = await client.chat_delete(channel="CBERGEN001", ts=posted["ts"])
    assert deleted["ts"] == posted["ts"]
    assert (
        await slack_error(client.chat_update(channel="CBERGEN001", ts=posted["ts"], text="x"))
        == "message_not_found"
    )


async def test_channel_lifecycle(client: AsyncWebClient, emu: EmulatorHandle) -> None:
    created = await client.conversations_create(name="peer-group-1", is_private=True)
    cid = created["channel"]["id"]
    assert created["channel"]["is_private"] is True
    assert await slack_error(client.conversations_create(name="peer-group-1")) == "name_taken"
    assert (
        await slack_error(client.conversations_create(name="Bad Name")) == "invalid_name_specials"
    )
    invited = await client.conversations_invite(channel=cid, users=["UOLA000001", "UINGRID001"])
    assert invited["channel"]["id"] == cid
    assert (
        await slack_error(client.conversations_invite(channel=cid, users="UOLA000001"))
        == "already_in_channel"
    )
    assert (
        await slack_error(client.conversations_invite(channel=cid, users="UNOPE"))
        == "user_not_found"
    )
    await client.conversations_kick(channel=cid, user="UOLA000001")
    info = await client.conversations_info(channel=cid, include_num_members=True)
    assert info["channel"]["num_members"] == 2
    await client.conversations_archive(channel=cid)
    assert (await client.conversations_info(channel=cid))["channel"]["is_archived"] is True


async def test_conversations_open_mpim_and_errors(client: AsyncWebClient) -> None:
    mpim = await client.conversations_open(users=["UOLA000001", "UINGRID001"], return_im=True)
    assert mpim["channel"]["is_mpim"] is True
    assert (
        await slack_error(client.conversations_open(users=["UOLA000001", "UNOPE"]))
        == "users_not_found"
    )
    assert await slack_error(client.conversations_open(users="UNOPE")) == "user_not_found"


async def test_members_pagination(client: AsyncWebClient) -> None:
    first = await client.conversations_members(channel="CBERGEN001", limit=2)
    assert len(first["members"]) == 2
    cursor = first["response_metadata"]["next_cursor"]
    assert cursor
    rest = await client.conversations_members(channel="CBERGEN001", limit=2, cursor=cursor)
    assert rest["response_metadata"]["next_cursor"] == ""
    assert len(first["members"] + rest["members"]) == 4


async def test_users_list_pagination(client: AsyncWebClient, emu: EmulatorHandle) -> None:
    for i in range(12):
        emu.state.add_user(f"p{i}", email=f"p{i}@example.no", role="participant")
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        resp = await client.users_list(limit=5, cursor=cursor, include_locale=True)
        seen += [m["id"] for m in resp["members"]]
        pages += 1
        cursor = resp["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == len(emu.state.users) == 18
    assert pages == 4
    assert await slack_error(client.users_list(cursor="garbage!")) == "invalid_cursor"


async def test_users_info_and_lookup(client: AsyncWebClient) -> None:
    info = await client.users_info(user="UINGRID001", include_locale=True)
    assert info["user"]["locale"] == "en-US"
    assert info["user"]["tz"] == "Europe/Oslo"
    assert info["user"]["profile"]["email"] == "ingrid@example.no"
    gone = await client.users_info(user="UGONE00001")
    assert gone["user"]["deleted"] is True
    assert await slack_error(client.users_info(user="UNOPE")) == "user_not_found"
    found = await client.users_lookupByEmail(email="Ola@Example.no")
    assert found["user"]["id"] == "UOLA000001"
    assert (
        await slack_error(client.users_lookupByEmail(email="nobody@example.no"))
        == "users_not_found"
    )


def modal(blocks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "pulse",
        "title": {"type": "plain_text", "text": "Pulse"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": blocks
        or [
            {
                "type": "input",
                "block_id": "q1",
                "label": {"type": "plain_text", "text": "How was it?"},
                "element": {"type": "plain_text_input", "action_id": "answer"},
            }
        ],
    }


async def test_views_open_update_push_and_triggers(
    client: AsyncWebClient, emu: EmulatorHandle
) -> None:
    trigger = emu.state.issue_trigger("UOLA000001")
    opened = await client.views_open(trigger_id=trigger.id, view=modal())
    view_id = opened["view"]["id"]
    assert opened["view"]["state"] == {"values": {}}
    assert emu.state.top_modal("UOLA000001").id == view_id  # type: ignore[union-attr]
    assert (
        await slack_error(client.views_open(trigger_id=trigger.id, view=modal()))
        == "exchanged_trigger_id"
    )
    assert (
        await slack_error(client.views_open(trigger_id="1.2.nope", view=modal()))
        == "invalid_trigger_id"
    )
    stale = emu.state.issue_trigger("UOLA000001")
    stale.issued -= 4
    assert (
        await slack_error(client.views_open(trigger_id=stale.id, view=modal()))
        == "expired_trigger_id"
    )

    updated = await client.views_update(view_id=view_id, view=modal(), hash=opened["view"]["hash"])
    assert updated["view"]["id"] == view_id
    assert (
        await slack_error(client.views_update(view_id=view_id, view=modal(), hash="old"))
        == "hash_conflict"
    )
    pushed = await client.views_push(
        trigger_id=emu.state.issue_trigger("UOLA000001").id, view=modal()
    )
    assert pushed["view"]["previous_view_id"] == view_id

    bad = modal()
    del bad["submit"]
    assert (
        await slack_error(
            client.views_open(trigger_id=emu.state.issue_trigger("UOLA000001").id, view=bad)
        )
        == "invalid_arguments"
    )


async def test_views_publish_home_and_block_limit(
    client: AsyncWebClient, emu: EmulatorHandle
) -> None:
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hei"}}],
    }
    resp = await client.views_publish(user_id="UOLA000001", view=home)
    assert resp["view"]["type"] == "home"
    assert emu.state.home_views["UOLA000001"].id == resp["view"]["id"]
    too_many = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    with pytest.raises(SlackApiError) as info:
        await client.views_publish(user_id="UOLA000001", view=too_many)
    assert info.value.response["error"] == "invalid_arguments"
    assert "no more than 100 items" in info.value.response["response_metadata"]["messages"][0]
    assert await slack_error(client.views_publish(user_id="UNOPE", view=home)) == "user_not_found"


async def test_files_upload_v2_round_trip(client: AsyncWebClient, emu: EmulatorHandle) -> None:
    resp = await client.files_upload_v2(
        channel="CBERGEN001",
        content="navn;kommune\nOla;Bergen\n",
        filename="deltakere.csv",
        title="Deltakere",
        initial_comment="Her er lista",
    )
    file = resp["file"]
    assert file["name"] == "deltakere.csv" and file["title"] == "Deltakere"
    assert "CBERGEN001" in file["channels"]
    message = emu.state.channel_messages("CBERGEN001")[-1]
    assert message.text == "Her er lista" and message.files[0]["id"] == file["id"]
    async with aiohttp.ClientSession() as session:
        async with session.get(file["url_private"]) as got:
            assert await got.text() == "navn;kommune\nOla;Bergen\n"
    methods = [c.method for c in emu.calls.calls()]
    assert methods == [
        "files.getUploadURLExternal",
        "files.upload_url",
        "files.completeUploadExternal",
    ]


async def test_history_and_list(client: AsyncWebClient) -> None:
    await client.chat_postMessage(channel="CBERGEN001", text="one")
    await client.chat_postMessage(channel="CBERGEN001", text="two")
    history = await client.conversations_history(channel="CBERGEN001")
    assert [m["text"] for m in history["messages"]] == ["two", "one"]
    listed = await client.conversations_list(types="public_channel,private_channel")
    names = {c["name"] for c in listed["channels"]}
    assert "general" in names and "staff-only" not in names


async def test_call_log_counts_and_duplicates(client: AsyncWebClient, emu: EmulatorHandle) -> None:
    await client.chat_postMessage(channel="UOLA000001", text="same")
    await client.chat_postMessage(channel="UOLA000001", text="same")
    await client.chat_postMessage(channel="UINGRID001", text="same")
    assert emu.calls.count("chat.postMessage") == 3
    assert list(emu.calls.duplicates().values()) == [2]
    assert emu.calls.posts_per_recipient() == {"UOLA000001": 2, "UINGRID001": 1}
    async with aiohttp.ClientSession() as session:
        async with session.get(emu.base_url + "/_admin/calls?method=chat.postMessage") as resp:
            body = await resp.json()
    assert body["summary"]["by_method"]["chat.postMessage"] == 3
    assert body["calls"][0]["channel"].startswith("D")


async def test_create_emulator_app_learns_its_url_for_uploads() -> None:
    from aiohttp.test_utils import TestServer

    from emulator import EmulatorConfig, create_emulator_app

    server = TestServer(create_emulator_app(EmulatorConfig(bot_token="xoxb-t")))
    await server.start_server()
    try:
        client = AsyncWebClient(token="xoxb-t", base_url=str(server.make_url("/api/")))
        resp = await client.files_getUploadURLExternal(filename="a.txt", length=3)
        assert resp["upload_url"].startswith(str(server.make_url("/_upload/")))
    finally:
        await server.close()
