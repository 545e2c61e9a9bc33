"""The Bot Framework connector REST API, the subset the bot uses, on the shared aiohttp session.

`POST /v3/conversations/{id}/activities` (send), `PUT …/activities/{activityId}` (update),
`POST /v3/conversations` (create a 1:1 chat) and `GET …/pagedmembers` (the roster). The SDK's
own connector client does not retry 429 and hides Retry-After; here every non-2xx answer
raises `ConnectorError` with its status and Retry-After, and the outbox decides.

Which serviceUrls may be called is the `ServiceUrlPolicy`'s call: in production the SDK's
outbound host validator (https, Microsoft's hosts, no private or loopback addresses); with
COHORTBOT_TEAMS=dev only loopback addresses (the Agents Playground, the test connector).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from handlers.retry_after import retry_after

logger = logging.getLogger(__name__)

BOT_FRAMEWORK_RESOURCE = "https://api.botframework.com"
BOT_FRAMEWORK_SCOPES = ["https://api.botframework.com/.default"]
PAGE_SIZE = 200  # Teams' pagedmembers allows 50-500
MAX_PAGES = 200

TokenSource = Callable[[], Awaitable[str | None]]


class ConnectorError(Exception):
    """A non-2xx answer (or a refused serviceUrl: status 0) from the connector."""

    def __init__(self, status: int, detail: str = "", retry_after: float | None = None) -> None:
        super().__init__(f"connector answered {status}: {detail}"[:300])
        self.status = status
        self.detail = detail
        self.retry_after = retry_after


def is_loopback_host(host: str | None) -> bool:
    """127.0.0.0/8, ::1 or localhost."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    """http(s) to 127.0.0.0/8, ::1 or localhost, without user info."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return False
    if parsed.scheme not in ("http", "https") or not parsed.host or parsed.user:
        return False
    return is_loopback_host(parsed.host)


class ServiceUrlPolicy:
    """Which serviceUrls the bot calls (and accepts on incoming activities)."""

    def __init__(self, mode: str, validator: Any = None) -> None:
        self.mode = mode
        self.validator = validator

    @classmethod
    def for_mode(cls, mode: str) -> ServiceUrlPolicy:
        if mode == "dev":
            return cls("dev")
        from microsoft_agents.hosting.core import OutboundHostValidator

        return cls("on", OutboundHostValidator(enabled=True))

    def allowed(self, url: str | None) -> bool:
        if not url:
            return False
        if self.mode == "dev":
            return is_loopback_url(url)
        return bool(self.validator is not None and self.validator.is_allowed(url))


def msal_token_source(
    *,
    app_id: str,
    password: str,
    tenant_id: str,
    resource: str = BOT_FRAMEWORK_RESOURCE,
    scopes: list[str] | None = None,
) -> TokenSource:
    """Tokens for the connector (or Graph) from the Entra app (single-tenant), cached by MSAL."""
    from microsoft_agents.authentication.msal import MsalAuth
    from microsoft_agents.hosting.core import AgentAuthConfiguration

    auth = MsalAuth(
        AgentAuthConfiguration(client_id=app_id, tenant_id=tenant_id, client_secret=password)
    )

    async def token() -> str | None:
        return str(await auth.get_access_token(resource, scopes or BOT_FRAMEWORK_SCOPES))

    return token


class TeamsConnector:
    """Calls to one or more serviceUrls, with the bot's token (none in dev)."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        *,
        policy: ServiceUrlPolicy,
        token: TokenSource | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.http = http
        self.policy = policy
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.calls = 0

    async def _request(
        self, method: str, service_url: str, path: str, *, body: Any = None, params: Any = None
    ) -> Any:
        if not self.policy.allowed(service_url):
            raise ConnectorError(0, f"serviceUrl not allowed: {URL(service_url).host or '?'}")
        headers = {"Content-Type": "application/json"}
        if self.token is not None:
            token = await self.token()
            if token:
                headers["Authorization"] = f"Bearer {token}"
        url = service_url.rstrip("/") + path
        self.calls += 1
        async with self.http.request(
            method,
            url,
            json=body,
            params=params,
            headers=headers,
            timeout=self.timeout,
            allow_redirects=False,
        ) as response:
            text = await response.text()
            if response.status >= 300:
                raise ConnectorError(response.status, text[:200], retry_after(response.headers))
            if not text:
                return {}
            try:
                return await response.json(content_type=None)
            except ValueError:
                return {}

    @staticmethod
    def _conv(conversation_id: str) -> str:
        return quote(conversation_id, safe="")

    async def send_activity(
        self, service_url: str, conversation_id: str, activity: dict[str, Any]
    ) -> str:
        """Post an activity to a conversation; returns the new activity's id."""
        data = await self._request(
            "POST",
            service_url,
            f"/v3/conversations/{self._conv(conversation_id)}/activities",
            body=activity,
        )
        return str((data or {}).get("id") or "")

    async def update_activity(
        self, service_url: str, conversation_id: str, activity_id: str, activity: dict[str, Any]
    ) -> None:
        await self._request(
            "PUT",
            service_url,
            f"/v3/conversations/{self._conv(conversation_id)}/activities/{quote(activity_id, safe='')}",
            body={**activity, "id": activity_id},
        )

    async def create_conversation(
        self, service_url: str, *, user_id: str, tenant_id: str | None, bot_id: str | None
    ) -> str:
        """Open (or find) the 1:1 chat with a user who has the app; returns its id."""
        body: dict[str, Any] = {
            "isGroup": False,
            "members": [{"id": user_id}],
            "channelData": {"tenant": {"id": tenant_id}} if tenant_id else {},
        }
        if tenant_id:
            body["tenantId"] = tenant_id
        if bot_id:
            body["bot"] = {"id": bot_id}
        data = await self._request("POST", service_url, "/v3/conversations", body=body)
        conversation_id = str((data or {}).get("id") or "")
        if not conversation_id:
            raise ConnectorError(500, "no conversation id in the answer")
        return conversation_id

    async def paged_members(self, service_url: str, conversation_id: str) -> list[dict[str, Any]]:
        """Every member of a team or chat, page by page (`continuationToken`)."""
        members: list[dict[str, Any]] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            params = {"pageSize": str(PAGE_SIZE)}
            if token:
                params["continuationToken"] = token
            data = await self._request(
                "GET",
                service_url,
                f"/v3/conversations/{self._conv(conversation_id)}/pagedmembers",
                params=params,
            )
            members.extend(m for m in (data or {}).get("members") or [] if isinstance(m, dict))
            token = (data or {}).get("continuationToken")
            if not token:
                return members
        logger.warning(
            "Stopped reading the roster of %s after %d pages", conversation_id, MAX_PAGES
        )
        return members
