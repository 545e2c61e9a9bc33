"""Composition of the Teams adapter: one AgentApplication, its handlers, the /api/messages route.

`build_teams(runtime, http)` makes the agent (handlers registered with decorators in
handlers/teams/{install,commands,actions}.py), the CloudAdapter and the notifier;
`add_routes(web_app, teams)` serves `POST /api/messages` on the bot's one aiohttp app, with
the SDK's JWT check on that route only.

Modes (`COHORTBOT_TEAMS` / credentials): "on" checks Bot Framework tokens for the app id and
tenant and validates serviceUrls with the SDK's outbound host validator; "dev" needs no
credentials and accepts only loopback callers with loopback serviceUrls (the Agents
Playground, the local connector in emulator/).
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from bot.runtime import Runtime
from handlers.teams.connector import (
    ServiceUrlPolicy,
    TeamsConnector,
    is_loopback_host,
    msal_token_source,
)
from handlers.teams.notifier import TeamsNotifier
from handlers.teams.ratelimit import TeamsRateLimiter

logger = logging.getLogger(__name__)

ROUTE = "/api/messages"


@dataclass
class TeamsBot:
    """What the rest of the process holds of Teams."""

    mode: str
    agent: Any  # AgentApplication
    adapter: Any  # CloudAdapter
    auth_config: Any  # AgentAuthConfiguration, read by the SDK's JWT check
    policy: ServiceUrlPolicy
    connector: TeamsConnector
    notifier: TeamsNotifier


def _auth(runtime: Runtime) -> tuple[Any, Any]:
    from microsoft_agents.authentication.msal import MsalConnectionManager
    from microsoft_agents.hosting.core import AgentAuthConfiguration

    settings = runtime.settings
    if settings.teams == "dev":
        config = AgentAuthConfiguration(anonymous_allowed=True)
    else:
        config = AgentAuthConfiguration(
            client_id=settings.teams_app_id,
            tenant_id=settings.teams_tenant_id,
            client_secret=settings.teams_app_password,
            validate_issuer=True,
        )
    manager = MsalConnectionManager(connections_configurations={"SERVICE_CONNECTION": config})
    return config, manager


def build_teams(runtime: Runtime, http: aiohttp.ClientSession) -> TeamsBot | None:
    """The Teams agent and transport, or None when Teams is off."""
    settings = runtime.settings
    mode = settings.teams
    if mode == "off":
        return None
    from microsoft_agents.hosting.aiohttp import CloudAdapter
    from microsoft_agents.hosting.core import (
        AgentApplication,
        MemoryStorage,
        OutboundHostValidator,
        TurnState,
    )

    config, manager = _auth(runtime)
    policy = ServiceUrlPolicy.for_mode(mode)
    # The SDK's own validator cannot allow loopback; in dev the route checks serviceUrls itself.
    validator = OutboundHostValidator(enabled=mode == "on")
    adapter = CloudAdapter(connection_manager=manager, host_validator=validator)
    # No typing indicator: every answer is one card, sent at once.
    agent = AgentApplication[TurnState](
        storage=MemoryStorage(),
        connection_manager=manager,
        start_typing_timer=False,
        bot_app_id=settings.teams_app_id or "",
    )
    notifier = build_teams_notifier(settings, http)
    connector = notifier.connector
    teams = TeamsBot(mode, agent, adapter, config, policy, connector, notifier)
    register_handlers(teams, runtime)
    return teams


def build_teams_notifier(settings: Any, http: aiohttp.ClientSession) -> TeamsNotifier:
    """The Teams transport alone (also for processes that only send, like the CLI)."""
    mode = settings.teams
    token = None
    if mode == "on":
        assert settings.teams_app_id and settings.teams_app_password and settings.teams_tenant_id
        token = msal_token_source(
            app_id=settings.teams_app_id,
            password=settings.teams_app_password,
            tenant_id=settings.teams_tenant_id,
        )
    connector = TeamsConnector(http, policy=ServiceUrlPolicy.for_mode(mode), token=token)
    return TeamsNotifier(
        connector,
        TeamsRateLimiter(
            per_conversation=settings.teams_conversation_per_second,
            per_tenant=settings.teams_tenant_per_second,
        ),
        tenant_id=settings.teams_tenant_id or "",
        bot_id=f"28:{settings.teams_app_id}" if settings.teams_app_id else None,
    )


# Keyed by the process's one aiohttp session, so each process (and each test's app) has its own.
_GRAPH_LIMITERS: weakref.WeakKeyDictionary[aiohttp.ClientSession, Any] = weakref.WeakKeyDictionary()


def build_app_installer(settings: Any, http: aiohttp.ClientSession) -> Any:
    """The "teams_install" transport (Graph) when TEAMS_CATALOG_APP_ID is set, else None."""
    from handlers.teams.graph import AppInstaller

    if settings.teams == "off" or not settings.teams_catalog_app_id:
        return None
    return AppInstaller(_graph(settings, http), settings.teams_catalog_app_id)


def build_channel_steps(settings: Any, http: aiohttp.ClientSession) -> Any:
    """The "teams_channels" transport (class channels through Graph) when TEAMS_TEAM_ID is
    set, else None (staff make the channels: README, "Install in Microsoft Teams")."""
    from handlers.teams.channels import TeamsChannelSteps

    mode = settings.teams
    if mode == "off" or not settings.teams_team_id:
        return None
    return TeamsChannelSteps(_graph(settings, http))


def _graph(settings: Any, http: aiohttp.ClientSession) -> Any:
    from handlers.teams.graph import GRAPH_SCOPES, TeamsGraph
    from handlers.teams.ratelimit import GraphRateLimiter

    # One limiter for the process's Graph clients (installs and channels): Graph counts per app.
    limiter = _GRAPH_LIMITERS.get(http)
    if limiter is None:
        limiter = _GRAPH_LIMITERS[http] = GraphRateLimiter(
            per_team=settings.teams_graph_team_per_second
        )

    token = None
    if settings.teams == "on":
        token = msal_token_source(
            app_id=settings.teams_app_id,
            password=settings.teams_app_password,
            tenant_id=settings.teams_tenant_id,
            resource="https://graph.microsoft.com",
            scopes=GRAPH_SCOPES,
        )
    return TeamsGraph(
        http,
        base_url=settings.teams_graph_url,
        mode=settings.teams,
        token=token,
        limiter=limiter,
    )


def register_handlers(teams: TeamsBot, runtime: Runtime) -> None:
    """Every Teams handler, one module per surface, like handlers/slack/."""
    from handlers.teams import actions, archive, commands, install

    install.register(teams, runtime)
    actions.register(teams, runtime)
    archive.register(teams, runtime)
    commands.register(teams, runtime)

    @teams.agent.error
    async def on_error(context: Any, error: Exception) -> None:
        logger.exception(
            "Failed to handle a Teams %s activity",
            getattr(context.activity, "type", "?"),
            exc_info=error,
        )


def add_routes(web_app: web.Application, teams: TeamsBot | None) -> None:
    """POST /api/messages: the SDK's JWT check, then the adapter (503 when Teams is off)."""
    if teams is None:

        async def not_configured(_request: web.Request) -> web.Response:
            return web.json_response({"error": "teams_not_configured"}, status=503)

        web_app.router.add_post(ROUTE, not_configured)
        return

    from microsoft_agents.hosting.aiohttp import jwt_authorization_decorator

    # The SDK's JWT check reads its configuration from the app under this key.
    web_app["agent_configuration"] = teams.auth_config

    @jwt_authorization_decorator
    async def token_ok(_request: web.Request) -> web.StreamResponse:
        return web.Response(status=200)  # the SDK put the claims on the request

    async def authenticated(request: web.Request) -> web.StreamResponse | None:
        """The SDK's JWT check; its refusal, or None when the token is good."""
        try:
            checked = await token_ok(request)
        except Exception as exc:
            # The SDK raises on some malformed tokens (a header without "kid"): still a 401.
            logger.warning(
                "Refused a Teams request whose token is malformed (%s)", type(exc).__name__
            )
            return web.json_response({"error": "invalid_token"}, status=401)
        return None if checked.status == 200 else checked

    async def messages(request: web.Request) -> web.StreamResponse:
        if teams.mode == "dev" and not is_loopback_host(request.remote):
            return web.json_response({"error": "dev_mode_loopback_only"}, status=403)
        refused = await authenticated(request)
        if refused is not None:
            return refused
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "malformed_activity"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"error": "malformed_activity"}, status=400)
        if not teams.policy.allowed(str(body.get("serviceUrl") or "")):
            logger.warning("Refused a Teams activity whose serviceUrl is not allowed")
            return web.json_response({"error": "service_url_not_allowed"}, status=401)
        response = await teams.adapter.process(request, teams.agent)
        return response or web.Response(status=202)

    web_app.router.add_post(ROUTE, messages)
