"""Microsoft Graph: install the Teams app for a user (here), and class channels
(handlers/teams/channels.py) through `TeamsGraph.request`.

`POST {TEAMS_GRAPH_URL}/users/{id or UPN}/teamwork/installedApps` with the app's catalog id,
under the application permission `TeamsAppInstallation.ReadWriteSelfForUser.All` (the app may
install only itself). Once installed, Teams sends the bot an installationUpdate with the
person's 1:1 conversation, and from then on they are reached in Teams (handlers/teams/install.py).

Each install is an outbox step (transport "teams_install", one per person, queued by
`bot.identities.queue_app_installs`), so it follows the commit that decided it, is retried on
429 (Retry-After) and 5xx, and is safe to repeat: Graph answers 409 when the app is there
already, which counts as done. Which Graph URLs may be called is decided like the connector's
serviceUrls: in dev mode loopback only (the local fake in emulator/teams_connector.py), in
production https to Microsoft Graph's hosts only.
"""

from __future__ import annotations

import json as json_module
import logging
from collections.abc import Mapping
from typing import Any, TypedDict, Unpack
from urllib.parse import quote

import aiohttp
from yarl import URL

from bot.delivery import RATELIMITED
from bot.notifier import OutgoingMessage, SendResult
from handlers.retry_after import retry_after
from handlers.teams.connector import TokenSource, is_loopback_url
from handlers.teams.ratelimit import GraphRateLimiter

logger = logging.getLogger(__name__)

GRAPH_HOSTS = frozenset(
    {"graph.microsoft.com", "graph.microsoft.us", "dod-graph.microsoft.us"}
)  # the global service and the US government clouds
GRAPH_SCOPES = ["https://graph.microsoft.com/.default"]
TRANSPORT = "teams_install"
RETRY_STATUSES = frozenset({412, 500, 502, 503, 504})


class GraphError(Exception):
    def __init__(self, status: int, detail: str = "", retry_after: float | None = None) -> None:
        super().__init__(f"Graph answered {status}: {detail}"[:300])
        self.status = status
        self.detail = detail
        self.retry_after = retry_after


def graph_url_allowed(mode: str, url: str) -> bool:
    """dev: loopback only; otherwise https on Microsoft Graph's hosts, no user info."""
    if mode == "dev":
        return is_loopback_url(url)
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return False
    return parsed.scheme == "https" and parsed.host in GRAPH_HOSTS and not parsed.user


class GraphOptions(TypedDict, total=False):
    """The keyword options of one Graph call (`TeamsGraph.request_with_headers` names their
    defaults), so the calls that build on it take them without repeating its signature."""

    json: Any
    params: dict[str, str] | None
    done: frozenset[int]


class TeamsGraph:
    """The Graph calls, on the shared aiohttp session, with the app's token (none in dev)."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        *,
        base_url: str,
        mode: str,
        token: TokenSource | None = None,
        timeout: float = 30.0,
        limiter: GraphRateLimiter | None = None,
    ) -> None:
        self.http = http
        # Share one across the process's TeamsGraph clients (app.py does): Graph counts per app.
        self.limiter = limiter or GraphRateLimiter()
        self.base_url = base_url.rstrip("/")
        self.mode = mode
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.token is not None:
            token = await self.token()
            if token:
                headers["Authorization"] = f"Bearer {token}"
        return headers

    async def request(
        self, method: str, path: str, **options: Unpack[GraphOptions]
    ) -> tuple[int, Any]:
        """One Graph call: (status, JSON body or None). A status of 300 or more raises
        `GraphError` unless it is in `done` (answers that mean "already so")."""
        status, body, _ = await self.request_with_headers(method, path, **options)
        return status, body

    async def request_with_headers(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        done: frozenset[int] = frozenset(),
    ) -> tuple[int, Any, Mapping[str, str]]:
        """`request`, with the answer's headers too (a 202's `Location`, a `Retry-After`)."""
        if not graph_url_allowed(self.mode, self.base_url):
            raise GraphError(0, f"Graph URL not allowed: {URL(self.base_url).host or '?'}")
        await self.limiter.acquire(method, path)
        async with self.http.request(
            method,
            f"{self.base_url}{path}",
            json=json,
            params=params,
            headers=await self._headers(),
            timeout=self.timeout,
            allow_redirects=False,
        ) as response:
            text = await response.text()
            if response.status >= 300 and response.status not in done:
                raise self._refused(path, response.status, text, response.headers)
            try:
                body = json_module.loads(text) if text else None
            except ValueError:
                body = None
            return response.status, body, response.headers.copy()

    async def install_for_user(self, user: str, catalog_app_id: str) -> str:
        """Install the app for `user` (Entra object id or UPN): "installed" or "already"."""
        if not graph_url_allowed(self.mode, self.base_url):
            raise GraphError(0, f"Graph URL not allowed: {URL(self.base_url).host or '?'}")
        headers = {"Content-Type": "application/json"}
        if self.token is not None:
            token = await self.token()
            if token:
                headers["Authorization"] = f"Bearer {token}"
        body = {
            "teamsApp@odata.bind": (
                f"{self.base_url}/appCatalogs/teamsApps/{quote(catalog_app_id, safe='')}"
            )
        }
        path = f"/users/{quote(user, safe='@')}/teamwork/installedApps"
        url = f"{self.base_url}{path}"
        await self.limiter.acquire("POST", path)
        async with self.http.post(
            url, json=body, headers=headers, timeout=self.timeout, allow_redirects=False
        ) as response:
            text = await response.text()
            if response.status == 409:
                return "already"
            if response.status >= 300:
                raise self._refused(path, response.status, text, response.headers)
        return "installed"

    def _refused(self, path: str, status: int, text: str, headers: Any) -> GraphError:
        wait = retry_after(headers)
        if status == 429:
            # Hold the team (or the tenant) here too, so the calls already queued wait.
            self.limiter.penalise(path, wait if wait is not None else 1.0)
        return GraphError(status, text[:200], wait)


class AppInstaller:
    """The outbox transport "teams_install": each delivery installs the app for its target."""

    transport = TRANSPORT

    def __init__(self, graph: TeamsGraph, catalog_app_id: str) -> None:
        self.graph = graph
        self.catalog_app_id = catalog_app_id

    async def send(self, *, target: str, message: OutgoingMessage) -> SendResult:
        if not target:
            return SendResult("failed", error="no Teams user to install the app for")
        try:
            outcome = await self.graph.install_for_user(target, self.catalog_app_id)
        except GraphError as exc:
            return self._on_error(exc)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            # Installing twice is harmless (409), so a lost answer is simply retried.
            return SendResult("retry", error=f"graph unreachable: {type(exc).__name__}")
        return SendResult("sent", ref=outcome)

    @staticmethod
    def _on_error(exc: GraphError) -> SendResult:
        if exc.status == 0:
            return SendResult("failed", error=exc.detail)
        if exc.status == 429:
            return SendResult(
                "retry",
                error=RATELIMITED,
                retry_after=exc.retry_after if exc.retry_after is not None else 1.0,
            )
        if exc.status in RETRY_STATUSES:
            return SendResult("retry", error=f"http_{exc.status}", retry_after=exc.retry_after)
        if exc.status == 401:
            return SendResult("paused", error="http_401: Graph refused the app's credentials")
        if exc.status == 403:
            return SendResult(
                "failed",
                error="http_403: the app lacks TeamsAppInstallation.ReadWriteSelfForUser.All "
                "(admin consent), or the tenant blocks the app",
            )
        if exc.status == 404:
            return SendResult(
                "failed", error="http_404: no such user, or the app is not in the catalog"
            )
        return SendResult("failed", error=f"http_{exc.status}: {exc.detail[:120]}")
