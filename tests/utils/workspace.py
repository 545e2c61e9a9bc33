"""The bot and the local Slack workspace on free ports, for end-to-end tests.

Tests read as "person X does Y, then the database says Z and person W sees V":

    async with running_workspace(settings, clock=clock, seed=seed) as ws:
        await ws.command("UKARI", "help")
        assert "Dette kan du gjøre" in ws.last_ephemeral("UKARI").text

Everything goes over real HTTP: signed requests into /slack/events, the bot's Web API client
pointed at the emulator, email through the emulator's SMTP sink. Time moves only when the test
moves it (`ws.at(moment)` sends what is due then).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web

from app import (
    build_runtime,
    create_bolt_app,
    create_slack_client,
    create_web_app,
    finish_clicks,
    install_transports,
)
from bot.clock import FrozenClock
from bot.delivery import Dispatcher
from bot.runtime import Runtime
from bot.settings import Settings
from emulator import EmulatorHandle, start_emulator
from emulator.server import free_port
from emulator.state import WorkspaceState


@dataclass
class Workspace:
    """A running bot and emulator, driven by one test."""

    emulator: EmulatorHandle
    runtime: Runtime
    clock: FrozenClock
    dispatcher: Dispatcher
    bot_url: str
    http: aiohttp.ClientSession

    @property
    def state(self) -> WorkspaceState:
        return self.emulator.state

    async def at(self, moment: datetime) -> None:
        """Move the clock to `moment` and send what is due then."""
        self.clock.set(moment)
        await self.dispatcher.tick()

    def dm_channel(self, user_id: str) -> str:
        channel, _ = self.state.open_im(user_id)
        return channel.id

    async def command(self, user_id: str, text: str, channel_id: str | None = None) -> Any:
        """Run `/cohort <text>` as a person (in their DM with the bot unless a channel is given)."""
        result = await self.emulator.inbound.slash_command(
            user_id, channel_id or self.dm_channel(user_id), "/cohort", text
        )
        await self.emulator.inbound.drain()
        return result

    def ephemerals(self, user_id: str, channel_id: str | None = None) -> list[Any]:
        return self.state.ephemerals_for(user_id, channel_id or self.dm_channel(user_id))

    async def last_ephemeral(self, user_id: str, channel_id: str | None = None) -> Any:
        """The newest private reply to the person, waiting for it briefly (listeners run after ack)."""
        await eventually(lambda: _truthy(self.ephemerals(user_id, channel_id)))
        return self.ephemerals(user_id, channel_id)[-1]

    async def ask(self, user_id: str, text: str, channel_id: str | None = None) -> Any:
        """Run `/cohort <text>` and return the new private reply it brings (waiting for it)."""
        before = len(self.ephemerals(user_id, channel_id))
        await self.command(user_id, text, channel_id)

        async def answered() -> bool:
            return len(self.ephemerals(user_id, channel_id)) > before

        await eventually(answered)
        return self.ephemerals(user_id, channel_id)[before]

    def dm(self, user_id: str) -> list[Any]:
        return self.state.channel_messages(self.dm_channel(user_id))


async def _truthy(value: Any) -> bool:
    return bool(value)


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 30.0) -> None:
    """Wait until `check` passes; listeners do their work after the ack."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting for the bot")
        await asyncio.sleep(0.05)


@asynccontextmanager
async def running_workspace(
    settings: Settings,
    *,
    clock: FrozenClock,
    seed: Callable[[WorkspaceState], Any] | None = None,
    **emulator_overrides: Any,
) -> AsyncIterator[Workspace]:
    """Start the emulator and the bot (HTTP server, transports, dispatcher) on free ports."""
    port = free_port()
    bot_url = f"http://127.0.0.1:{port}"
    emulator = await start_emulator(
        bot_events_url=f"{bot_url}/slack/events", seed=seed, **emulator_overrides
    )
    settings = settings.model_copy(
        update={
            "slack_api_url": emulator.api_url,
            "slack_bot_token": emulator.bot_token,
            "slack_signing_secret": emulator.config.signing_secret,
            "base_url": bot_url,
            "smtp_url": f"smtp://127.0.0.1:{emulator.smtp_port}",
        }
    )
    http = aiohttp.ClientSession()
    runtime = build_runtime(settings, clock=clock, http=http)
    client = create_slack_client(settings, http)
    install_transports(runtime, client)
    runner = web.AppRunner(create_web_app(runtime, create_bolt_app(runtime, client)))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield Workspace(emulator, runtime, clock, Dispatcher(runtime), bot_url, http)
    finally:
        await emulator.inbound.drain()
        await runner.cleanup()
        # As `serve` does: the clicks acked finish (a Home published after one, say) before
        # the database goes; left running, one kept a session open past its test's loop.
        await finish_clicks(runtime)
        await emulator.stop()
        await http.close()
        await runtime.db.dispose()
