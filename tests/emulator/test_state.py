"""Workspace state: seeding helpers and saving/restoring a workspace across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from emulator import start_emulator
from emulator.state import WorkspaceState
from tests.emulator.conftest import seed_people


def test_seeding_refuses_duplicates_and_indexes_dms() -> None:
    state = WorkspaceState()
    seed_people(state)
    with pytest.raises(ValueError):
        state.add_channel("general")
    with pytest.raises(ValueError):
        state.add_user("x", user_id="UOLA000001")
    dm, created = state.open_im("UOLA000001")
    assert created and state.im_between(state.bot_user_id, "UOLA000001") is dm
    assert state.open_im("UOLA000001") == (dm, False)
    assert state.user_by_email("OLA@example.no") is state.users["UOLA000001"]


async def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "workspace.json"
    first = await start_emulator(seed=seed_people, state_file=str(path), smtp_port=None)
    client = AsyncWebClient(token=first.bot_token, base_url=first.api_url)
    posted = await client.chat_postMessage(channel="UOLA000001", text="Hei Ola")
    await client.views_publish(
        user_id="UOLA000001", view={"type": "home", "blocks": [{"type": "divider"}]}
    )
    first.state.add_email(mail_from="a@b", to=["c@d"], subject="s", text="t", html=None)
    await first.stop()

    second = await start_emulator(
        seed=lambda s: s.add_user("never"), state_file=str(path), smtp_port=None
    )
    try:
        message = second.state.find_message(posted["channel"], posted["ts"])
        assert message is not None and message.text == "Hei Ola"
        assert second.state.im_between("UOLA000001", second.state.bot_user_id) is not None
        assert "UOLA000001" in second.state.home_views
        assert second.state.emails[0].subject == "s"
        assert not any(u.name == "never" for u in second.state.users.values())
        client = AsyncWebClient(token=second.bot_token, base_url=second.api_url)
        again = await client.chat_postMessage(channel="UOLA000001", text="igjen")
        assert again["channel"] == posted["channel"] and float(again["ts"]) > float(posted["ts"])
    finally:
        await second.stop()


def test_seed_from_file_and_demo(tmp_path: Path) -> None:
    from emulator.seed import seed_demo, seed_from_file

    path = tmp_path / "people.json"
    path.write_text(
        '{"users": [{"name": "ola", "email": "ola@x.no", "role": "participant", "user_id": "U1"},'
        ' {"name": "lars", "email": "lars@x.no", "role": "line manager"}],'
        ' "channels": [{"name": "kull", "members": ["ola", "lars"]}]}',
        encoding="utf-8",
    )
    state = WorkspaceState()
    seed_from_file(state, path)
    channel = state.channel_by_name("kull")
    assert channel is not None and "U1" in channel.members and state.bot_user_id in channel.members
    assert state.user_by_email("lars@x.no") is not None

    demo = WorkspaceState()
    seed_demo(demo)
    roles = {u.role for u in demo.users.values() if not u.is_bot}
    assert roles == {"staff", "participant", "line manager", "alumnus"}


def test_command_line_parses() -> None:
    from emulator.__main__ import parse_args

    args = parse_args(
        [
            "--port",
            "3009",
            "--bot-url",
            "http://b/slack/events",
            "--rate-limits",
            "--fault-429",
            "0.1",
        ]
    )
    assert (args.port, args.bot_url, args.rate_limits, args.fault_429) == (
        3009,
        "http://b/slack/events",
        True,
        0.1,
    )
