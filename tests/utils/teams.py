"""The Teams transport for outbox tests: a notifier over real HTTP to the local connector."""

from __future__ import annotations

import aiohttp

from handlers.teams.connector import ServiceUrlPolicy, TeamsConnector
from handlers.teams.notifier import TeamsNotifier
from handlers.teams.ratelimit import TeamsRateLimiter

TENANT = "tenant-1"


def teams_notifier(
    http: aiohttp.ClientSession, limiter: TeamsRateLimiter | None = None, *, mode: str = "dev"
) -> TeamsNotifier:
    """A Teams notifier on `http` that calls the serviceUrls `mode` allows (dev: loopback
    only, so the local connector), pacing itself with `limiter` (a fresh one by default)."""
    connector = TeamsConnector(http, policy=ServiceUrlPolicy.for_mode(mode))
    return TeamsNotifier(connector, limiter or TeamsRateLimiter(), tenant_id=TENANT)
