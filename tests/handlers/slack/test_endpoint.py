"""`POST /slack/events` counts each request until its ack, so the dispatcher steps aside for it."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult

from bot.precedence import Precedence
from handlers.slack.endpoint import slack_events_handler
from tests.utils.slack import interaction_body, sign
from tests.utils.workspace import eventually

SECRET = "endpoint-test-secret"


async def _authorize(**_: Any) -> AuthorizeResult:
    return AuthorizeResult(
        enterprise_id=None, team_id="T1", bot_token="xoxb-test", bot_user_id="UBOT", bot_id="B1"
    )


async def test_a_request_counts_as_waiting_until_acked_and_not_after() -> None:
    release = asyncio.Event()
    after_ack = asyncio.Event()
    bolt = AsyncApp(signing_secret=SECRET, authorize=_authorize, process_before_response=False)

    @bolt.action("answer")
    async def answer(ack: Any) -> None:
        await release.wait()  # the ack is slow to come
        await ack()
        await after_ack.wait()  # work after the ack: no longer counted

    precedence = Precedence(max_wait=60)
    app = web.Application()
    app.router.add_post("/slack/events", slack_events_handler(bolt, SECRET, precedence=precedence))
    payload = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U1", "team_id": "T1"},
        "api_app_id": "A1",
        "actions": [{"action_id": "answer", "block_id": "b", "type": "button", "value": "1"}],
        "response_url": "http://127.0.0.1:1/never",
        "trigger_id": "1.2.3",
        "container": {"type": "message"},
    }
    body, content_type = interaction_body(payload)
    async with TestClient(TestServer(app)) as client:
        post = asyncio.ensure_future(
            client.post(
                "/slack/events",
                data=body,
                headers={"Content-Type": content_type, **sign(SECRET, body)},
            )
        )

        async def counted() -> bool:
            return precedence.waiting == 1

        await eventually(counted)
        background = asyncio.ensure_future(precedence.wait_turn())
        await asyncio.sleep(0)  # a yield: the dispatcher's turn has begun waiting
        assert not background.done()
        release.set()
        response = await asyncio.wait_for(post, 30)
        assert response.status == 200
        await asyncio.wait_for(background, 30)
        assert precedence.waiting == 0  # acked; the listener's own work goes on uncounted
        after_ack.set()
