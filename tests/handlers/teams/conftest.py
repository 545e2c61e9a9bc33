"""A running bot with Teams in dev mode, and the local connector playing the Teams channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from app import build_runtime, create_web_app, install_teams
from bot.clock import FrozenClock
from bot.delivery import Dispatcher
from bot.pulses import invite
from bot.runtime import Runtime
from bot.settings import Settings
from emulator.teams_connector import ConnectorHandle, activity, inbound, start_teams_connector
from storage.models import Pulse
from tests.utils.assignments import World, build_programme
from tests.utils.factories import create_pulse


@dataclass
class TeamsWorld:
    runtime: Runtime
    connector: ConnectorHandle
    http: aiohttp.ClientSession
    bot_url: str
    dispatcher: Dispatcher
    teams: Any

    def activity(self, kind: str, *, user: str, conversation: str, **extra: Any) -> dict[str, Any]:
        return activity(
            kind,
            service_url=self.connector.url,
            conversation_id=conversation,
            from_id=f"29:{user}",
            from_aad=f"aad-{user}",
            **extra,
        )

    async def post(self, body: dict[str, Any]) -> tuple[int, Any]:
        return await inbound(self.http, self.bot_url, body)

    def personal(self, user: str, email: str, name: str) -> str:
        """Give `user` a 1:1 chat with the bot whose roster knows their email; its id."""
        conversation = f"a:{user}"
        self.connector.state.rosters[conversation] = [
            {"id": f"29:{user}", "aadObjectId": f"aad-{user}", "email": email, "name": name}
        ]
        return conversation

    async def install(self, user: str, email: str, name: str) -> str:
        conversation = self.personal(user, email, name)
        status, _ = await self.post(
            self.activity("installationUpdate", user=user, conversation=conversation, action="add")
        )
        assert status in (200, 201, 202)
        return conversation

    async def click(
        self, user: str, conversation: str, action: dict[str, Any], **inputs: Any
    ) -> tuple[int, Any]:
        """Press an Action.Execute button as Teams does: an adaptiveCard/action invoke."""
        body = self.activity(
            "invoke",
            user=user,
            conversation=conversation,
            name="adaptiveCard/action",
            value={
                "action": {
                    "type": "Action.Execute",
                    "verb": action["verb"],
                    "data": {**action["data"], **inputs},
                },
                "trigger": "manual",
            },
        )
        return await self.post(body)

    def sent_with_button(self, conversation: str, verb: str) -> dict[str, Any]:
        """The first activity sent to `conversation` whose card has a button whose verb starts
        with `verb`."""
        return next(
            r
            for r in self.connector.state.sent_to(conversation)
            if any(a["verb"].startswith(verb) for a in card_actions(card_of(r)))
        )


async def anonymous_pulse_to_per(world: TeamsWorld) -> tuple[World, Pulse, str, dict[str, Any]]:
    """The programme, an anonymous pulse open to it, and Per's Teams chat with its card in it."""
    now = world.runtime.clock.now()
    async with world.runtime.db.transaction() as session:
        w = await build_programme(session)
        pulse, _questions = await create_pulse(
            session, cohort=w.cohort, opens_at=now - timedelta(minutes=5), anonymous=True
        )
    conversation = await world.install("per", "per@tromso.kommune.no", "Per Olsen")
    async with world.runtime.db.transaction() as session:
        await invite(session, pulse, now=now, settings=world.runtime.settings)
    await world.dispatcher.tick()
    card = card_of(world.sent_with_button(conversation, "pulse.answer"))
    return w, pulse, conversation, card


def button(card: dict[str, Any], verb: str) -> dict[str, Any]:
    return next(a for a in card_actions(card) if a["verb"] == verb)


def card_of(record: dict[str, Any]) -> dict[str, Any]:
    return record["activity"]["attachments"][0]["content"]


def card_actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for el in card["body"] if el["type"] == "ActionSet" for a in el["actions"]]


def card_text(card: dict[str, Any]) -> str:
    return "\n".join(el.get("text", "") for el in card["body"] if el["type"] == "TextBlock")


@pytest.fixture
async def teams_world(settings: Settings, clock: FrozenClock) -> AsyncIterator[TeamsWorld]:
    # Teams only: no Slack workspace here (so no Slack channels are decided, as in production).
    settings = settings.model_copy(update={"teams_mode": "dev", "slack_bot_token": None})
    connector = await start_teams_connector()
    async with aiohttp.ClientSession() as http:
        runtime = build_runtime(settings, clock=clock, http=http)
        teams = install_teams(runtime, http)
        web_app = create_web_app(runtime, None, teams)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        dispatcher = Dispatcher(runtime)
        try:
            yield TeamsWorld(
                runtime, connector, http, f"http://127.0.0.1:{port}", dispatcher, teams
            )
        finally:
            await runner.cleanup()
            await runtime.db.dispose()
            await connector.stop()
