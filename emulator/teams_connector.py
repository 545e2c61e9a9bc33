"""A local Bot Framework connector (the Teams channel's serviceUrl) over real HTTP.

It records every activity the bot sends, updates and replies, creates 1:1 conversations,
serves rosters at `pagedmembers` (page by page), and can be told to answer the next calls
with an error (429 with Retry-After, 412, 502, …) or to accept a post and lose its answer
(`lose_next_answers`). It also plays Microsoft Graph's `POST /v1.0/users/{id}/teamwork/
installedApps` (point TEAMS_GRAPH_URL at `<url>/v1.0`): an install is recorded, answered 201
(409 the second time) and followed by the installationUpdate Teams would send the bot. Like the real Bot Framework connector it has no way to read a
conversation's history back (the REST API has none: no GET of a conversation's activities),
and it ignores activity ids the client proposes, as Teams does. It can also play the Teams channel's other
half: `inbound(...)` posts a Bot Framework activity to the bot's `/api/messages` with this
connector as its serviceUrl. Tests and the local workspace use it; `GET /` shows what went
to Teams as a page.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web


@dataclass
class Fault:
    status: int
    retry_after: float | None = None
    remaining: int = 1
    path_contains: str = ""


@dataclass
class ConnectorState:
    """What the connector has seen, and what it is told to do."""

    activities: list[dict[str, Any]] = field(default_factory=list)  # sent and replies
    updates: list[dict[str, Any]] = field(default_factory=list)
    conversations: list[dict[str, Any]] = field(default_factory=list)  # created 1:1 chats
    rosters: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)  # calls answered with a fault
    auth_headers: list[str | None] = field(default_factory=list)
    # Microsoft Graph's installedApps, played here too: who may be installed for, what was, and
    # the bot's URL to send the installationUpdate to (as Teams does after an install).
    graph_users: dict[str, dict[str, Any]] = field(default_factory=dict)
    installed_apps: list[dict[str, Any]] = field(default_factory=list)
    graph_calls: list[dict[str, Any]] = field(default_factory=list)
    bot_url: str | None = None
    pending: list[asyncio.Task[Any]] = field(default_factory=list)
    lose_answers: int = 0  # posts to accept and record, then drop the connection unanswered
    lost: list[str] = field(default_factory=list)  # ids of activities whose answer was lost
    # Files people attached in a chat, served at their pre-authenticated downloadUrl (as
    # OneDrive/SharePoint does for Teams' file.download.info attachments); id -> bytes.
    files: dict[str, bytes] = field(default_factory=dict)
    file_gets: list[str] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def fail_next(
        self, status: int, *, retry_after: float | None = None, times: int = 1, path: str = ""
    ) -> None:
        """Answer the next `times` calls (whose path contains `path`) with `status`."""
        self.faults.append(Fault(status, retry_after, times, path))

    def lose_next_answers(self, times: int = 1) -> None:
        """Accept the next `times` posts (they arrive) but never answer them: the connection is
        dropped, as when the network fails on the way back. The bot cannot know they arrived."""
        self.lose_answers += times

    def add_graph_user(self, user: str, email: str, name: str, tenant_id: str = "tenant-1") -> None:
        """A person Graph knows (by Entra object id `aad-<user>` and by UPN `email`)."""
        record = {
            "id": f"29:{user}",
            "aadObjectId": f"aad-{user}",
            "email": email,
            "userPrincipalName": email,
            "name": name,
            "tenantId": tenant_id,
        }
        self.graph_users[f"aad-{user}"] = record
        self.graph_users[email.lower()] = record

    async def settle(self) -> None:
        """Wait until every installationUpdate this fake owes the bot has been delivered."""
        while self.pending:
            await asyncio.gather(*self.pending.copy(), return_exceptions=True)
            self.pending = [t for t in self.pending if not t.done()]

    def sent_to(self, conversation_id: str) -> list[dict[str, Any]]:
        return [a for a in self.activities if a["conversation_id"] == conversation_id]

    def next_id(self) -> str:
        return f"activity-{next(self._ids)}"


def _fault_for(state: ConnectorState, path: str) -> Fault | None:
    for fault in state.faults:
        if fault.remaining > 0 and fault.path_contains in path:
            fault.remaining -= 1
            if fault.remaining == 0:
                state.faults.remove(fault)
            return fault
    return None


def _add_graph_routes(app: web.Application, state: ConnectorState) -> None:
    """Graph's installedApps, and the installationUpdate Teams sends the bot afterwards."""

    async def tell_bot_installed(record: dict[str, Any], service_url: str) -> None:
        assert state.bot_url is not None
        user = record["id"].removeprefix("29:")
        conversation = f"a:{user}"
        state.rosters[conversation] = [
            {k: record[k] for k in ("id", "aadObjectId", "email", "userPrincipalName", "name")}
        ]
        body = activity(
            "installationUpdate",
            service_url=service_url,
            conversation_id=conversation,
            from_id=record["id"],
            from_aad=record["aadObjectId"],
            tenant_id=record["tenantId"],
            action="add",
        )
        async with aiohttp.ClientSession() as http:
            await inbound(http, state.bot_url, body)

    async def install_app(request: web.Request) -> web.Response:
        user = request.match_info["user"]
        body = await request.json()
        bind = str(body.get("teamsApp@odata.bind") or "")
        state.graph_calls.append({"user": user, "bind": bind})
        record = state.graph_users.get(user) or state.graph_users.get(user.lower())
        if record is None:
            return web.json_response({"error": {"code": "Request_ResourceNotFound"}}, status=404)
        app_id = bind.rsplit("/", 1)[-1]
        if not app_id:
            return web.json_response({"error": {"code": "BadRequest"}}, status=400)
        if any(i["aadObjectId"] == record["aadObjectId"] for i in state.installed_apps):
            return web.json_response({"error": {"code": "Conflict"}}, status=409)
        state.installed_apps.append({"aadObjectId": record["aadObjectId"], "app": app_id})
        if state.bot_url:
            # Teams tells the bot after the install, not within Graph's answer.
            base = f"{request.url.scheme}://{request.url.host}:{request.url.port}"
            state.pending.append(asyncio.ensure_future(tell_bot_installed(record, base)))
        return web.json_response({"id": f"installed-{len(state.installed_apps)}"}, status=201)

    app.router.add_post("/v1.0/users/{user}/teamwork/installedApps", install_app)


def create_connector_app(state: ConnectorState) -> web.Application:
    app = web.Application()

    @web.middleware
    async def faults(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith(("/v3/", "/v1.0/")):
            state.auth_headers.append(request.headers.get("Authorization"))
            fault = _fault_for(state, request.path)
            if fault is not None:
                state.refused.append(
                    {"method": request.method, "path": request.path, "status": fault.status}
                )
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = f"{fault.retry_after:g}"
                return web.json_response(
                    {"error": {"code": f"HTTP{fault.status}", "message": "injected"}},
                    status=fault.status,
                    headers=headers,
                )
        return await handler(request)

    app.middlewares.append(faults)

    async def send(request: web.Request) -> web.Response:
        body = await request.json()
        activity_id = state.next_id()
        state.activities.append(
            {
                "id": activity_id,
                "conversation_id": request.match_info["conversation"],
                "reply_to": request.match_info.get("activity"),
                "activity": body,
            }
        )
        if state.lose_answers > 0 and request.transport is not None:
            state.lose_answers -= 1
            state.lost.append(activity_id)
            request.transport.abort()  # accepted and recorded; the answer never leaves
            raise web.HTTPGone()
        return web.json_response({"id": activity_id}, status=201)

    async def update(request: web.Request) -> web.Response:
        body = await request.json()
        state.updates.append(
            {
                "conversation_id": request.match_info["conversation"],
                "activity_id": request.match_info["activity"],
                "activity": body,
            }
        )
        return web.json_response({"id": request.match_info["activity"]})

    async def create_conversation(request: web.Request) -> web.Response:
        body = await request.json()
        members = body.get("members") or []
        if not members or not members[0].get("id"):
            return web.json_response({"error": {"code": "BadArgument"}}, status=400)
        conversation_id = f"a:{members[0]['id']}"
        state.conversations.append({"id": conversation_id, "request": body})
        return web.json_response({"id": conversation_id}, status=201)

    async def paged_members(request: web.Request) -> web.Response:
        roster = state.rosters.get(request.match_info["conversation"])
        if roster is None:
            return web.json_response({"error": {"code": "ConversationNotFound"}}, status=404)
        size = max(1, min(500, int(request.query.get("pageSize", "50"))))
        start = int(request.query.get("continuationToken") or 0)
        page = roster[start : start + size]
        out: dict[str, Any] = {"members": page}
        if start + size < len(roster):
            out["continuationToken"] = str(start + size)
        return web.json_response(out)

    async def index(_request: web.Request) -> web.Response:
        return web.Response(text=render_page(state), content_type="text/html")

    async def activities_json(_request: web.Request) -> web.Response:
        return web.json_response({"activities": state.activities, "updates": state.updates})

    _add_graph_routes(app, state)
    app.router.add_post("/v3/conversations/{conversation}/activities", send)
    app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", send)
    app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", update)
    app.router.add_post("/v3/conversations", create_conversation)
    app.router.add_get("/v3/conversations/{conversation}/pagedmembers", paged_members)

    async def download(request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["file"]
        state.file_gets.append(file_id)
        if file_id not in state.files:
            return web.Response(status=404)
        return web.Response(body=state.files[file_id], content_type="application/octet-stream")

    app.router.add_get("/download/{file}", download)
    app.router.add_get("/", index)
    app.router.add_get("/activities.json", activities_json)
    return app


def _card_texts(node: Any) -> list[str]:
    """The texts and button titles of a card, in order (for the page)."""
    out: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "TextBlock":
            out.append(str(node.get("text", "")))
        elif node.get("type") in ("Action.Execute", "Action.Submit"):
            out.append(f"[{node.get('title', '')}]")
        elif node.get("type") == "FactSet":
            out.extend(f"{f.get('title')}: {f.get('value')}" for f in node.get("facts", []))
        for key, value in node.items():
            if key not in ("fallback", "facts"):
                out.extend(_card_texts(value))
    elif isinstance(node, list):
        for item in node:
            out.extend(_card_texts(item))
    return out


def render_page(state: ConnectorState) -> str:
    rows = []
    for record in reversed(state.activities[-200:]):
        activity = record["activity"]
        texts = [activity.get("text") or "", *_card_texts(activity.get("attachments") or [])]
        body = "<br>".join(html.escape(t) for t in texts if t)
        rows.append(f"<tr><td>{html.escape(record['conversation_id'])}</td><td>{body}</td></tr>")
    return (
        "<!doctype html><meta charset=utf-8><title>What went to Teams</title>"
        "<style>body{font-family:sans-serif}td{border-top:1px solid #ccc;padding:6px;"
        "vertical-align:top}</style><h1>What went to Teams</h1>"
        f"<p>{len(state.activities)} activities, {len(state.updates)} updates, "
        f"{len(state.conversations)} 1:1 chats created.</p>"
        f"<table><tr><th>conversation</th><th>card</th></tr>{''.join(rows)}</table>"
    )


@dataclass
class ConnectorHandle:
    url: str
    state: ConnectorState
    runner: web.AppRunner

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_teams_connector(
    host: str = "127.0.0.1", port: int = 0, state: ConnectorState | None = None
) -> ConnectorHandle:
    """Serve the connector on `host:port` (0 = a free port) in the running loop."""
    state = state or ConnectorState()
    runner = web.AppRunner(create_connector_app(state), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    return ConnectorHandle(url=f"http://{host}:{bound}", state=state, runner=runner)


# --- playing the Teams channel towards the bot --------------------------------------------


def activity(
    kind: str,
    *,
    service_url: str,
    conversation_id: str,
    from_id: str,
    from_aad: str | None = None,
    tenant_id: str = "tenant-1",
    conversation_type: str = "personal",
    bot_id: str = "28:cohortbot",
    **extra: Any,
) -> dict[str, Any]:
    """A Bot Framework activity as the Teams channel sends it."""
    body: dict[str, Any] = {
        "type": kind,
        "id": uuid.uuid4().hex,
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": from_id, "aadObjectId": from_aad, "name": extra.pop("from_name", "")},
        "recipient": {"id": bot_id, "name": "cohortbot"},
        "conversation": {
            "id": conversation_id,
            "conversationType": conversation_type,
            "tenantId": tenant_id,
        },
        "channelData": {"tenant": {"id": tenant_id}},
        "locale": extra.pop("locale", "nb-NO"),
    }
    team_id = extra.pop("team_id", None)
    if team_id:
        body["channelData"]["team"] = {"id": team_id}
    body.update(extra)
    return body


def file_attachment(
    handle_url: str, state: ConnectorState, *, name: str, data: bytes
) -> dict[str, Any]:
    """A file a person attached in their chat with the bot, as Teams sends it to a bot whose
    manifest says `supportsFiles`; its bytes are served by this connector."""
    file_id = uuid.uuid4().hex
    state.files[file_id] = data
    url = f"{handle_url.rstrip('/')}/download/{file_id}"
    return {
        "contentType": "application/vnd.microsoft.teams.file.download.info",
        "contentUrl": url,
        "name": name,
        "content": {"downloadUrl": url, "uniqueId": file_id, "fileType": name.rsplit(".", 1)[-1]},
    }


async def inbound(
    http: aiohttp.ClientSession, bot_url: str, body: dict[str, Any]
) -> tuple[int, Any]:
    """POST an activity to the bot's /api/messages; (status, JSON body or None)."""
    async with http.post(f"{bot_url.rstrip('/')}/api/messages", json=body) as response:
        text = await response.text()
        try:
            data = json.loads(text) if text else None
        except ValueError:
            data = text
        return response.status, data
