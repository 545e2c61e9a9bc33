"""Assemble the emulator: Web API, inbound sender, response_url, admin endpoints, UI and SMTP sink."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from emulator.config import EmulatorConfig, FaultConfig
from emulator.inbound import InboundSender
from emulator.ratelimit import CallLog, FaultInjector, RateLimiter
from emulator.smtp import SmtpSink
from emulator.state import WorkspaceState
from emulator.webapi import WebApi

logger = logging.getLogger(__name__)

EMULATOR_KEY = web.AppKey("emulator", object)


class Emulator:
    """One local Slack workspace and the parts that serve it."""

    def __init__(
        self, config: EmulatorConfig | None = None, state: WorkspaceState | None = None
    ) -> None:
        self.config = config or EmulatorConfig()
        self.state = state or WorkspaceState(self.config)
        self.state.tokens.update(
            {token: self.config.bot_user_id for token in self.config.bot_tokens}
        )
        self.calls = CallLog(self.config.call_log_limit)
        self.limiter = RateLimiter(self.config)
        self.faults = FaultInjector(self.config.faults)
        self.webapi = WebApi(
            self.state, self.config, limiter=self.limiter, faults=self.faults, calls=self.calls
        )
        self.inbound = InboundSender(self.state, self.config)
        self.webapi.inbound = self.inbound
        self.inbound.calls = self.calls
        self.inbound.faults = self.faults
        self.smtp = SmtpSink(self.state)
        self.base_url = self.config.public_base_url or ""
        if self.base_url:
            self.set_base_url(self.base_url)

    def set_base_url(self, base_url: str) -> None:
        """Tell every part the URL the emulator is reachable at (for upload and response URLs)."""
        self.base_url = base_url.rstrip("/")
        self.webapi.base_url = self.base_url
        self.inbound.base_url = self.base_url

    def set_faults(self, faults: FaultConfig) -> None:
        """Replace the fault injection settings (and reseed)."""
        self.config.faults = faults
        self.faults.configure(faults)

    def set_rate_limits(self, enabled: bool, scale: float | None = None) -> None:
        """Turn Slack-like rate limits on or off, optionally changing their scale."""
        self.config.rate_limits = enabled
        if scale is not None:
            self.config.rate_scale = scale
        self.limiter.reset()

    # -- admin endpoints -----------------------------------------------------------------------

    async def admin_calls(self, request: web.Request) -> web.Response:
        """Return the call log (filter with ?method= and ?since=seq) and counters."""
        if request.method == "DELETE":
            self.calls.reset()
            return web.json_response({"ok": True})
        method = request.query.get("method")
        since = int(request.query.get("since", "0") or 0)
        records = [r.to_json() for r in self.calls.calls(method) if r.seq > since]
        return web.json_response({"ok": True, "summary": self.calls.summary(), "calls": records})

    async def admin_faults(self, request: web.Request) -> web.Response:
        """Read (GET) or set (POST JSON) fault injection shares and seed."""
        if request.method == "POST":
            body = await request.json()
            current = dataclasses.asdict(self.config.faults)
            current.update({k: v for k, v in body.items() if k in current})
            current["methods"] = frozenset(current.get("methods") or ())
            self.set_faults(FaultConfig(**current))
        data = dataclasses.asdict(self.config.faults)
        data["methods"] = sorted(data["methods"])
        return web.json_response({"ok": True, "faults": data})

    async def admin_ratelimits(self, request: web.Request) -> web.Response:
        """Read (GET) or set (POST JSON {"enabled": bool, "scale": float}) rate limiting."""
        if request.method == "POST":
            body = await request.json()
            self.set_rate_limits(
                bool(body.get("enabled", self.config.rate_limits)), body.get("scale")
            )
        return web.json_response(
            {"ok": True, "enabled": self.config.rate_limits, "scale": self.config.rate_scale}
        )

    async def admin_users(self, request: web.Request) -> web.Response:
        """List people (GET) or add one (POST JSON with name, email, role, locale, ...)."""
        if request.method == "POST":
            body = await request.json()
            allowed = {
                "real_name",
                "email",
                "locale",
                "tz",
                "role",
                "deleted",
                "is_admin",
                "title",
                "user_id",
            }
            user = self.state.add_user(
                str(body["name"]), **{k: v for k, v in body.items() if k in allowed}
            )
            return web.json_response(
                {
                    "ok": True,
                    "user": user.to_slack(self.config.team_id, include_locale=True)
                    | {"role": user.role},
                }
            )
        users = [
            u.to_slack(self.config.team_id, include_locale=True) | {"role": u.role}
            for u in self.state.users.values()
        ]
        return web.json_response({"ok": True, "users": users})

    async def admin_channels(self, request: web.Request) -> web.Response:
        """List conversations (GET) or add a channel (POST JSON with name, members, is_private)."""
        if request.method == "POST":
            body = await request.json()
            channel = self.state.add_channel(
                str(body["name"]),
                members=list(body.get("members") or []),
                is_private=bool(body.get("is_private")),
                bot_member=bool(body.get("bot_member", True)),
                topic=str(body.get("topic", "")),
            )
            return web.json_response(
                {"ok": True, "channel": channel.to_slack() | {"members": channel.members}}
            )
        channels = [
            c.to_slack()
            | {"members": c.members, "messages": len(self.state.messages.get(c.id, []))}
            for c in self.state.channels.values()
        ]
        return web.json_response({"ok": True, "channels": channels})

    async def admin_emails(self, request: web.Request) -> web.Response:
        """List received mails (optionally ?to=address)."""
        to = request.query.get("to")
        emails = self.state.emails_to(to) if to else self.state.emails
        data = [
            {
                "id": e.id,
                "from": e.mail_from,
                "to": e.to,
                "subject": e.subject,
                "text": e.text,
                "html": e.html,
                "received": e.received,
            }
            for e in emails
        ]
        return web.json_response({"ok": True, "emails": data})

    async def admin_inbound(self, request: web.Request) -> web.Response:
        """List requests sent to the bot and notices shown to people."""
        log = [
            {
                "kind": r.kind,
                "status": r.status,
                "error": r.error,
                "attempts": r.attempts,
                "elapsed": r.elapsed,
                "user": r.user_id,
            }
            for r in self.inbound.log
        ]
        notices = [dataclasses.asdict(n) for n in self.state.notices]
        return web.json_response({"ok": True, "requests": log, "notices": notices})

    async def healthz(self, request: web.Request) -> web.Response:
        """Answer that the emulator is up."""
        return web.json_response({"ok": True, "version": self.state.version, "time": time.time()})

    # -- app -----------------------------------------------------------------------------------

    def create_app(self) -> web.Application:
        """Build the aiohttp application serving everything."""

        @web.middleware
        async def learn_base_url(
            request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
        ) -> web.StreamResponse:
            if not self.base_url:
                self.set_base_url(str(request.url.origin()))
            return await handler(request)

        app = web.Application(middlewares=[learn_base_url], client_max_size=1024**3)
        app[EMULATOR_KEY] = self
        self.webapi.add_routes(app)
        self.inbound.add_routes(app)
        for path, handler in (
            ("/_admin/calls", self.admin_calls),
            ("/_admin/faults", self.admin_faults),
            ("/_admin/ratelimits", self.admin_ratelimits),
            ("/_admin/users", self.admin_users),
            ("/_admin/channels", self.admin_channels),
        ):
            app.router.add_route("*", path, handler)
        app.router.add_get("/_admin/emails", self.admin_emails)
        app.router.add_get("/_admin/inbound", self.admin_inbound)
        app.router.add_get("/healthz", self.healthz)
        from emulator.ui import WorkspaceUI

        WorkspaceUI(self).add_routes(app)

        async def close_inbound(_app: web.Application) -> None:
            await self.inbound.close()

        app.on_cleanup.append(close_inbound)
        return app


def create_emulator_app(
    config: EmulatorConfig | None = None, state: WorkspaceState | None = None
) -> web.Application:
    """Build the emulator as an aiohttp application (for aiohttp's test server or your own runner)."""
    return Emulator(config, state).create_app()


_HANDED_OUT: set[int] = set()
_PICKER = (
    random.SystemRandom()
)  # not the `random` module: tests seed that, and two runs would agree


def _ephemeral_range() -> tuple[int, int]:
    """Return the kernel's range for ports it picks itself (outgoing connections, `bind(0)`)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as handle:
            low, high = (int(part) for part in handle.read().split())
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default
    return low, high


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free now and that nothing else will take before the caller binds it.

    A port the kernel picked for `bind(0)` and that was then closed can be handed straight to an
    outgoing connection (a database client, an HTTP request) or another `bind(0)` before the caller
    binds it: "address already in use". So the port is drawn outside the kernel's ephemeral range,
    which the kernel never hands out by itself, and never twice in one process.
    """
    low, high = _ephemeral_range()
    floor = 20000
    pool = range(floor, low) if low - floor >= 2000 else range(high + 1, 65536)
    for _ in range(500):
        port = _PICKER.choice(pool)
        if port in _HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise OSError(f"no free TCP port in {pool.start}-{pool.stop - 1} on {host}")


@dataclasses.dataclass
class EmulatorHandle:
    """A running emulator: where it is, its state, and how to stop it."""

    emulator: Emulator
    runner: web.AppRunner
    host: str
    port: int
    autosave: asyncio.Future[None] | None = None

    @property
    def base_url(self) -> str:
        """Return e.g. `http://127.0.0.1:3001`."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """Return the Web API base URL for slack_sdk / `SLACK_API_URL`, ending in `/api/`."""
        return f"{self.base_url}/api/"

    @property
    def ui_url(self) -> str:
        """Return the web UI's URL."""
        return f"{self.base_url}/ui"

    @property
    def state(self) -> WorkspaceState:
        """Return the workspace state."""
        return self.emulator.state

    @property
    def inbound(self) -> InboundSender:
        """Return the sender of signed requests to the bot."""
        return self.emulator.inbound

    @property
    def calls(self) -> CallLog:
        """Return the Web API call log."""
        return self.emulator.calls

    @property
    def config(self) -> EmulatorConfig:
        """Return the live configuration."""
        return self.emulator.config

    @property
    def smtp_port(self) -> int | None:
        """Return the SMTP sink's port (None when it is off)."""
        return self.emulator.smtp.port

    @property
    def bot_token(self) -> str:
        """Return the bot token the emulator accepts."""
        return self.emulator.config.bot_token

    async def stop(self) -> None:
        """Stop the HTTP server, the SMTP sink and background sends (saving the state file)."""
        if self.autosave is not None:
            self.autosave.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.autosave
        if self.config.state_file:
            self.state.save(self.config.state_file)
        await self.emulator.smtp.stop()
        await self.runner.cleanup()


async def start_emulator(
    host: str = "127.0.0.1",
    port: int = 0,
    bot_events_url: str | None = None,
    signing_secret: str | None = None,
    *,
    config: EmulatorConfig | None = None,
    state: WorkspaceState | None = None,
    seed: Callable[[WorkspaceState], Any] | None = None,
    **overrides: Any,
) -> EmulatorHandle:
    """Start the emulator on `host:port` (0 = a free port) in the running loop.

    `overrides` are `EmulatorConfig` fields (e.g. `ack_timeout=0.5`, `rate_limits=True`,
    `clock_url=...`, `smtp_port=2525`). `seed` is called with the state before serving.
    """
    cfg = dataclasses.replace(config) if config is not None else EmulatorConfig()
    if bot_events_url is not None:
        cfg.bot_events_url = bot_events_url
    if signing_secret is not None:
        cfg.signing_secret = signing_secret
    for key, value in overrides.items():
        if not hasattr(cfg, key):
            raise TypeError(f"unknown emulator setting {key!r}")
        setattr(cfg, key, value)
    if state is not None:
        state.config = cfg
    emulator = Emulator(cfg, state)
    restored = bool(cfg.state_file) and emulator.state.load(cfg.state_file or "")
    if seed is not None and not restored:
        seed(emulator.state)
    if port == 0:
        port = free_port(host)
    emulator.set_base_url(cfg.public_base_url or f"http://{host}:{port}")
    app = emulator.create_app()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    if cfg.smtp_port is not None:
        await emulator.smtp.start(cfg.smtp_host, cfg.smtp_port)
    handle = EmulatorHandle(emulator=emulator, runner=runner, host=host, port=port)
    if cfg.state_file:
        handle.autosave = asyncio.ensure_future(
            _autosave(emulator.state, cfg.state_file, cfg.autosave_interval)
        )
    logger.info("Slack emulator at http://%s:%d", host, port)
    return handle


async def _autosave(state: WorkspaceState, path: str, interval: float) -> None:
    """Save the workspace whenever it changed, every `interval` seconds."""
    saved = state.version
    while True:
        await asyncio.sleep(interval)
        if state.version != saved:
            saved = state.version
            try:
                state.save(path)
            except OSError:
                logger.exception("Failed to save the emulator state to %s", path)
