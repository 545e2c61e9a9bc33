"""`cohortbot run` stopped (SIGTERM) in the middle of a burst of button presses: every press the
edge answered 200 is finished before the process ends (Slack does not send an acked press
again), and none is answered 200 and then dropped."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import sys
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from emulator.records import Message
from emulator.server import free_port, start_emulator
from emulator.state import WorkspaceState
from handlers.slack.blocks.broadcasts import CANCEL_ACTION
from tests.utils.slack import sign
from tests.utils.workspace import eventually

ROOT = Path(__file__).resolve().parent.parent
PRESSES = 150
AT_ONCE = 4  # presses in flight: a steady stream that the SIGTERM lands in
STOP_AFTER = 15  # acks seen before the SIGTERM


def _seed(state: WorkspaceState) -> None:
    for i in range(PRESSES):
        state.add_user(f"u{i}", real_name=f"Person {i}", email=f"p{i}@example.no", user_id=f"U{i}")


async def test_every_press_acked_before_a_sigterm_is_finished(tmp_path: Path) -> None:
    bot_port = free_port()
    emulator = await start_emulator(
        bot_events_url=f"http://127.0.0.1:{bot_port}/slack/events", seed=_seed
    )
    state = emulator.state
    bodies: dict[str, str] = {}
    for i in range(PRESSES):
        user = f"U{i}"
        channel, _ = state.open_im(user)
        message = state.add_message(
            Message(
                channel=channel.id,
                ts=state.next_ts(),
                user=state.bot_user_id,
                text="Kunngjøringer",
                blocks=[
                    {
                        "type": "actions",
                        "block_id": "b",
                        "elements": [
                            {
                                "type": "button",
                                "action_id": CANCEL_ACTION,
                                "text": {"type": "plain_text", "text": "Avlys"},
                                "value": "1",
                            }
                        ],
                    }
                ],
            )
        )
        payload, _, _ = emulator.emulator.inbound.click_payload(
            user, CANCEL_ACTION, channel_id=channel.id, message_ts=message.ts
        )
        bodies[user] = urlencode({"payload": json.dumps(payload)})

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "COHORTBOT_"))}
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'cohortbot.db'}",
            "COHORTBOT_PORT": str(bot_port),
            "SLACK_API_URL": emulator.api_url,
            "SLACK_BOT_TOKEN": emulator.emulator.config.bot_token,
            "SLACK_SIGNING_SECRET": emulator.emulator.config.signing_secret,
            "COHORTBOT_SECRET_KEY": secrets.token_urlsafe(32),
            "PYTHONPATH": str(ROOT),
        }
    )
    cli = [sys.executable, "-c", "from cli import main; main()"]
    upgrade = await asyncio.create_subprocess_exec(*cli, "db", "upgrade", env=env, cwd=tmp_path)
    assert await upgrade.wait() == 0
    bot = await asyncio.create_subprocess_exec(
        *cli,
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{bot_port}"
    acked: list[str] = []
    try:
        async with aiohttp.ClientSession() as http:

            async def up() -> bool:
                try:
                    async with http.get(f"{url}/healthz") as response:
                        return response.status == 200
                except aiohttp.ClientError:
                    return False

            await eventually(up, within=120)
            enough = asyncio.Event()
            secret = emulator.emulator.config.signing_secret

            slots = asyncio.Semaphore(AT_ONCE)

            async def press(user: str) -> None:
                async with slots:
                    await press_now(user)

            async def press_now(user: str) -> None:
                body = bodies[user]
                headers = {"Content-Type": "application/x-www-form-urlencoded"}
                try:
                    async with http.post(
                        f"{url}/slack/events", data=body, headers={**headers, **sign(secret, body)}
                    ) as response:
                        if response.status == 200:
                            acked.append(user)
                            if len(acked) >= STOP_AFTER:
                                enough.set()
                except aiohttp.ClientError:
                    pass  # the port closed: not acked, Slack would send it again

            async def stop_when_enough() -> None:
                await enough.wait()
                bot.send_signal(signal.SIGTERM)

            stopper = asyncio.ensure_future(stop_when_enough())
            await asyncio.gather(*(press(user) for user in bodies))
            await stopper
        output, _ = await asyncio.wait_for(bot.communicate(), timeout=90)
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()
        await emulator.stop()
    text = output.decode(errors="replace")
    assert bot.returncode == 0, text
    assert "Traceback" not in text, text
    assert len(acked) >= STOP_AFTER
    unanswered = [u for u in acked if not state.ephemerals_for(u, state.open_im(u)[0].id)]
    assert unanswered == [], f"{len(unanswered)} of {len(acked)} acked presses were dropped"
