"""`POST /slack/events`: a slash command counts as waiting until its ack, so the dispatcher steps
aside for it; a button press is answered at once and its listener runs afterwards, a few at a
time, each exactly once, none dropped."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult

from bot.precedence import AfterAck, Precedence
from handlers.slack.endpoint import slack_events_handler
from tests.utils.slack import command_body, interaction_body, sign
from tests.utils.workspace import eventually

SECRET = "endpoint-test-secret"


async def _authorize(**_: Any) -> AuthorizeResult:
    return AuthorizeResult(
        enterprise_id=None, team_id="T1", bot_token="xoxb-test", bot_user_id="UBOT", bot_id="B1"
    )


def _bolt() -> AsyncApp:
    return AsyncApp(signing_secret=SECRET, authorize=_authorize, process_before_response=False)


def _press(user: str, value: str = "1") -> tuple[str, str]:
    return interaction_body(
        {
            "type": "block_actions",
            "team": {"id": "T1"},
            "user": {"id": user, "team_id": "T1"},
            "api_app_id": "A1",
            "actions": [{"action_id": "answer", "block_id": "b", "type": "button", "value": value}],
            "response_url": "http://127.0.0.1:1/never",
            "trigger_id": "1.2.3",
            "container": {"type": "message"},
        }
    )


async def _post(client: TestClient, body: str, content_type: str) -> Any:
    return await client.post(
        "/slack/events", data=body, headers={"Content-Type": content_type, **sign(SECRET, body)}
    )


def _app(bolt: AsyncApp, precedence: Precedence, after_ack: AfterAck) -> web.Application:
    app = web.Application()
    handler = slack_events_handler(bolt, SECRET, precedence=precedence, after_ack=after_ack)
    app.router.add_post("/slack/events", handler)
    return app


async def test_a_command_counts_as_waiting_until_acked_and_not_after() -> None:
    release = asyncio.Event()
    after_ack = asyncio.Event()
    bolt = _bolt()

    @bolt.command("/cohort")
    async def cohort(ack: Any) -> None:
        await release.wait()  # the ack is slow to come
        await ack("Ok")
        await after_ack.wait()  # work after the ack: no longer counted

    precedence = Precedence(max_wait=60)
    app = _app(bolt, precedence, AfterAck(precedence))
    body, content_type = command_body(
        command="/cohort", text="hjelp", user_id="U1", team_id="T1", api_app_id="A1"
    )
    async with TestClient(TestServer(app)) as client:
        post = asyncio.ensure_future(_post(client, body, content_type))

        async def counted() -> bool:
            return precedence.waiting == 1

        await eventually(counted)
        background = asyncio.ensure_future(precedence.wait_turn())
        await asyncio.sleep(0)  # a yield: the dispatcher's turn has begun waiting
        assert not background.done()
        release.set()
        response = await asyncio.wait_for(post, 30)
        assert response.status == 200 and "Ok" in await response.text()
        await asyncio.wait_for(background, 30)
        assert precedence.waiting == 0  # acked; the listener's own work goes on uncounted
        after_ack.set()


async def test_a_button_press_is_answered_before_its_listener_runs_and_the_listener_runs_once() -> (
    None
):
    release = asyncio.Event()
    ran: list[str] = []
    bolt = _bolt()

    @bolt.action("answer")
    async def answer(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        await release.wait()
        ran.append(body["user"]["id"])

    precedence = Precedence()
    later = AfterAck(precedence)
    async with TestClient(TestServer(_app(bolt, precedence, later))) as client:
        response = await asyncio.wait_for(_post(client, *_press("U1")), 30)
        # Answered while the listener is still held: the ack did not wait for it.
        assert response.status == 200 and await response.text() == ""
        assert ran == [] and later.pending == 1 and precedence.waiting == 0
        release.set()
        assert await later.drain(30) == 0
    assert ran == ["U1"] and later.finished == 1


async def test_a_burst_of_presses_runs_a_few_at_a_time_in_order_and_drops_none() -> None:
    release = asyncio.Event()
    running = 0
    most = 0
    done: list[str] = []
    bolt = _bolt()

    @bolt.action("answer")
    async def answer(ack: Any, body: dict[str, Any]) -> None:
        nonlocal running, most
        await ack()
        running += 1
        most = max(most, running)
        await release.wait()
        running -= 1
        done.append(body["user"]["id"])

    precedence = Precedence()
    later = AfterAck(precedence, concurrency=3)
    users = [f"U{i:03d}" for i in range(30)]
    async with TestClient(TestServer(_app(bolt, precedence, later))) as client:
        for user in users:  # one after another: each answered before the next is sent
            response = await asyncio.wait_for(_post(client, *_press(user)), 30)
            assert response.status == 200

        async def three_running() -> bool:
            return running == 3

        await eventually(three_running)
        assert later.pending == 30 and done == []
        release.set()
        assert await later.drain(60) == 0
    assert most == 3  # never more than the bound at once
    assert sorted(done) == users and len(done) == 30  # every press handled exactly once
    assert later.started == later.finished == 30


async def test_a_listener_that_fails_does_not_stop_the_next_press() -> None:
    done: list[str] = []
    bolt = _bolt()

    @bolt.action("answer")
    async def answer(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        if body["actions"][0]["value"] == "boom":
            raise RuntimeError("a failing listener")
        done.append(body["user"]["id"])

    precedence = Precedence()
    later = AfterAck(precedence, concurrency=1)
    async with TestClient(TestServer(_app(bolt, precedence, later))) as client:
        first = await asyncio.wait_for(_post(client, *_press("U1", "boom")), 30)
        second = await asyncio.wait_for(_post(client, *_press("U2")), 30)
        assert first.status == second.status == 200
        assert await later.drain(30) == 0
    assert done == ["U2"] and later.finished == 2 and later.pending == 0


async def test_an_unsigned_press_is_refused_and_nothing_is_queued() -> None:
    bolt = _bolt()
    precedence = Precedence()
    later = AfterAck(precedence)
    body, content_type = _press("U1")
    async with TestClient(TestServer(_app(bolt, precedence, later))) as client:
        response = await client.post(
            "/slack/events",
            data=body,
            headers={"Content-Type": content_type, **sign("another-secret", body)},
        )
        assert response.status == 401
    assert later.started == 0


async def test_drain_says_how_many_are_left_when_the_grace_runs_out() -> None:
    precedence = Precedence()
    later = AfterAck(precedence, concurrency=2)
    never = asyncio.Event()
    for _ in range(3):
        later.start(never.wait)
    assert await later.drain(0.05) == 3
    never.set()
    assert await later.drain(30) == 0
