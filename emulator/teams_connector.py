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

Graph's channels are played too (`add_team(team_id)` first): `POST /v1.0/teams/{team}/
channels` (standard or private; a private one made by an app must name an owner; the name is
checked as Teams does: at most 50 characters, none of ~#%&*{}+/:<>?|'" nor a backslash, no leading dot or
underscore, no trailing dot; a taken name, in any case, is 409 NameAlreadyExists),
`GET …/channels?$filter=displayName eq '…'`, and a private channel's `…/members` (POST adds
an Entra user Graph knows, 409 if already there; GET lists; DELETE by membership id),
`GET …/channels/{channel}` (with `isArchived`) and `POST …/channels/{channel}/archive`: as
Graph's, asynchronous. It answers 202 with a `Location` naming a teamsAsyncOperation
(`GET /v1.0/teams/{team}/operations/{id}`: `status` inProgress, then succeeded, or failed with
`error`), and the channel reads `isArchived: true` only once the operation succeeded. Graph
finishes on its own time; here its time is the calls that look: an operation succeeds on the
`archive_looks`-th GET of it or of its channel (2 unless set; `finish_archives()` ends them
all now; `operation_retry_after` adds a Retry-After while one is pending).
`fail_next_archive(...)` makes one fail, `lose_archive_operations()` makes them 404 (the
archive goes on), `archive_location=False` leaves the Location out. A channel without an
owner is refused; an archived one with 400 and one being archived with 409, as Graph
documents no answer for either (the bot must not count on one).
`hold_graph(path)` stops the next matching call after it took effect, before its answer, so
a test can kill the caller in between; `GET /channels.json` returns the teams' channels.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
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
class GraphHold:
    path_contains: str
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self) -> None:
        self.released.set()


@dataclass
class ArchiveOperation:
    """A teamsAsyncOperation archiving one channel, as Graph keeps it."""

    id: str
    team: str
    channel: dict[str, Any]
    status: str = "inProgress"
    looks: int = 0
    error: dict[str, str] | None = None  # what it fails with when it finishes
    lost: bool = False  # GET answers 404 (the archive itself goes on)

    @property
    def pending(self) -> bool:
        return self.status in ("notStarted", "inProgress")

    def finish(self) -> None:
        if not self.pending:
            return
        if self.error is not None:
            self.status = "failed"
        else:
            self.status = "succeeded"
            self.channel["isArchived"] = True

    def resource(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operationType": "archiveChannel",
            "createdDateTime": "2026-12-01T00:00:00Z",
            "status": self.status,
            "lastActionDateTime": "2026-12-01T00:00:00Z",
            "attemptsCount": 1,
            "targetResourceId": self.channel["id"],
            "targetResourceLocation": (
                f"https://graph.microsoft.com/v1.0/teams('{self.team}')/channels('{self.channel['id']}')"
            ),
            "error": self.error if self.status == "failed" else None,
        }


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
    # Graph's teams and their channels: team id -> channels (each with its members).
    team_channels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    holds: list[GraphHold] = field(default_factory=list)
    # Graph's asynchronous archives: operation id -> operation (see `fail_next_archive`).
    operations: dict[str, ArchiveOperation] = field(default_factory=dict)
    archive_looks: int = 2  # GETs (of the operation or its channel) until an archive ends
    archive_location: bool = True  # False: a 202 without its Location header
    operation_retry_after: float | None = None  # a Retry-After on a pending operation's GET
    archive_failures: list[dict[str, str]] = field(default_factory=list)
    team_members: dict[str, set[str]] = field(default_factory=dict)
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

    def add_team(self, team_id: str, members: set[str] | None = None) -> None:
        """A team Graph knows (by its group id), with no channels yet. With `members` (Entra
        object ids) only they can be put in its private channels, as in Teams; without, any
        user Graph knows can."""
        self.team_channels.setdefault(team_id, [])
        if members is not None:
            self.team_members[team_id] = set(members)

    def hold_graph(self, path: str) -> GraphHold:
        """Hold the next Graph call whose path contains `path` after it took effect: it waits,
        unanswered, until `release()`."""
        hold = GraphHold(path)
        self.holds.append(hold)
        return hold

    def fail_next_archive(
        self, code: str = "ChannelArchiveFailed", message: str = "archiving the channel failed"
    ) -> None:
        """The next archive is accepted (202) and its operation then ends failed with this
        `error`, as Graph's does when the archive cannot be done."""
        self.archive_failures.append({"code": code, "message": message})

    def finish_archives(self) -> None:
        """End every pending archive now (Graph's time passing)."""
        for operation in self.operations.values():
            operation.finish()

    def lose_archive_operations(self) -> None:
        """Graph no longer finds the operations made so far (GET answers 404); their archives
        still go on."""
        for operation in self.operations.values():
            operation.lost = True

    def archive_operations(self, channel_id: str) -> list[ArchiveOperation]:
        return [o for o in self.operations.values() if o.channel["id"] == channel_id]

    def look(self, operation: ArchiveOperation) -> None:
        operation.looks += 1
        if operation.looks >= self.archive_looks:
            operation.finish()

    def channel_named(self, team_id: str, name: str) -> dict[str, Any] | None:
        for channel in self.team_channels.get(team_id, []):
            if channel["displayName"] == name:
                return channel
        return None

    def add_graph_user(
        self,
        user: str,
        email: str,
        name: str,
        tenant_id: str = "tenant-1",
        aad_object_id: str | None = None,
    ) -> None:
        """A person Graph knows (by Entra object id, `aad-<user>` unless given, and by UPN
        `email`)."""
        aad = aad_object_id or f"aad-{user}"
        record = {
            "id": f"29:{user}",
            "aadObjectId": aad,
            "email": email,
            "userPrincipalName": email,
            "name": name,
            "tenantId": tenant_id,
        }
        self.graph_users[aad] = record
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


CHANNEL_NAME_MAX = 50
CHANNEL_NAME_FORBIDDEN = frozenset("~#%&*{}+/\\:<>?|'\"")
_FILTER = re.compile(r"^\s*displayName eq '((?:[^']|'')*)'\s*$")


def _graph_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def _channel_name_problem(name: Any) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return "displayName is required"
    if len(name) > CHANNEL_NAME_MAX:
        return f"displayName is longer than {CHANNEL_NAME_MAX} characters"
    if any(ch in CHANNEL_NAME_FORBIDDEN for ch in name):
        return "displayName contains a character Teams does not allow"
    if name.startswith((".", "_")) or name.endswith("."):
        return "displayName may not start with a dot or underscore, or end with a dot"
    return None


def _user_of_bind(bind: str) -> str:
    match = re.search(r"users\('([^']*)'\)", bind)
    return match.group(1) if match else bind.rsplit("/", 1)[-1]


async def _held(state: ConnectorState, request: web.Request) -> None:
    for hold in state.holds:
        if hold.path_contains in request.path and not hold.reached.is_set():
            hold.reached.set()
            await hold.released.wait()
            return


def _team_or_404(state: ConnectorState, request: web.Request) -> Any:
    team = request.match_info["team"]
    if team not in state.team_channels:
        return _graph_error(404, "NotFound", f"No team found with Group Id {team}")
    return state.team_channels[team]


def _channel_or_404(state: ConnectorState, request: web.Request) -> Any:
    channels = _team_or_404(state, request)
    if isinstance(channels, web.Response):
        return channels
    for channel in channels:
        if channel["id"] == request.match_info["channel"]:
            return channel
    return _graph_error(404, "NotFound", "Channel not found")


def _member_record(state: ConnectorState, bind: str, roles: list[str]) -> dict[str, Any] | None:
    user = state.graph_users.get(_user_of_bind(bind))
    if user is None:
        return None
    return {
        "@odata.type": "#microsoft.graph.aadUserConversationMember",
        "id": f"MCMj{uuid.uuid4().hex}",
        "roles": roles,
        "displayName": user["name"],
        "userId": user["aadObjectId"],
        "email": user["email"],
        "tenantId": user["tenantId"],
    }


def _public(channel: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in channel.items() if k != "members"}


def _add_channel_routes(app: web.Application, state: ConnectorState) -> None:
    """Graph's team channels, with their real shapes."""

    async def create_channel(request: web.Request) -> web.Response:
        channels = _team_or_404(state, request)
        if isinstance(channels, web.Response):
            return channels
        body = await request.json()
        call: dict[str, Any] = {"op": "create_channel", "body": body}
        state.graph_calls.append(call)
        name = body.get("displayName")
        problem = _channel_name_problem(name)
        if problem:
            return _graph_error(400, "BadRequest", problem)
        kind = body.get("membershipType") or "standard"
        if kind not in ("standard", "private"):
            return _graph_error(400, "BadRequest", f"membershipType {kind} is not supported")
        members = [
            _member_record(state, str(m.get("user@odata.bind") or ""), list(m.get("roles") or []))
            for m in body.get("members") or []
        ]
        if None in members:
            return _graph_error(404, "NotFound", "a member is not a user Graph knows")
        if kind == "private" and not any("owner" in m["roles"] for m in members if m):
            return _graph_error(
                400, "BadRequest", "a private channel created by an app needs an owner in members"
            )
        if any(c["displayName"].casefold() == str(name).casefold() for c in channels):
            return _graph_error(409, "NameAlreadyExists", "Channel name already existed")
        channel = {
            "id": f"19:{uuid.uuid4().hex}@thread.tacv2",
            "displayName": name,
            "description": body.get("description"),
            "membershipType": kind,
            "isArchived": False,
            "createdDateTime": "2026-12-01T00:00:00Z",
            "members": members,
        }
        channels.append(channel)
        call["id"] = channel["id"]
        await _held(state, request)
        return web.json_response(_public(channel), status=201)

    async def list_channels(request: web.Request) -> web.Response:
        channels = _team_or_404(state, request)
        if isinstance(channels, web.Response):
            return channels
        wanted = None
        if "$filter" in request.query:
            match = _FILTER.match(request.query["$filter"])
            if match is None:
                return _graph_error(400, "BadRequest", "unsupported $filter")
            wanted = match.group(1).replace("''", "'")
        found = [_public(c) for c in channels if wanted is None or c["displayName"] == wanted]
        return web.json_response({"value": found})

    async def get_channel(request: web.Request) -> web.Response:
        channel = _channel_or_404(state, request)
        if isinstance(channel, web.Response):
            return channel
        for operation in state.archive_operations(channel["id"]):
            if operation.pending:
                state.look(operation)
        return web.json_response(_public(channel))

    async def channels_json(_request: web.Request) -> web.Response:
        return web.json_response({"teams": state.team_channels})

    app.router.add_post("/v1.0/teams/{team}/channels", create_channel)
    app.router.add_get("/v1.0/teams/{team}/channels", list_channels)
    app.router.add_get("/v1.0/teams/{team}/channels/{channel}", get_channel)
    app.router.add_get("/channels.json", channels_json)
    _add_archive_routes(app, state)
    _add_member_routes(app, state)


def _add_archive_routes(app: web.Application, state: ConnectorState) -> None:
    """Graph's asynchronous channel archive and the teamsAsyncOperation it answers with."""

    async def get_operation(request: web.Request) -> web.Response:
        operation = state.operations.get(request.match_info["operation"])
        if operation is None or operation.lost or operation.team != request.match_info["team"]:
            return _graph_error(404, "NotFound", "Operation not found")
        state.graph_calls.append({"op": "get_operation", "id": operation.id})
        if operation.pending:
            state.look(operation)
        headers = {}
        if operation.pending and state.operation_retry_after is not None:
            headers["Retry-After"] = f"{state.operation_retry_after:g}"
        return web.json_response(operation.resource(), headers=headers)

    async def archive_channel(request: web.Request) -> web.Response:
        channel = _channel_or_404(state, request)
        if isinstance(channel, web.Response):
            return channel
        body = await request.json() if request.can_read_body else {}
        state.graph_calls.append({"op": "archive_channel", "channel": channel["id"], "body": body})
        if channel.get("isArchived"):
            # Graph documents no answer for this; the adapter must not count on a 202.
            return _graph_error(400, "BadRequest", "The channel is already archived")
        if any(o.pending for o in state.archive_operations(channel["id"])):
            # Nor for this: an archive while one is under way starts no second one here.
            return _graph_error(409, "Conflict", "The channel is being archived")
        if not any("owner" in m["roles"] for m in channel["members"]):
            return _graph_error(400, "BadRequest", "A channel without an owner can't be archived")
        team = request.match_info["team"]
        operation = ArchiveOperation(
            id=str(uuid.uuid4()),
            team=team,
            channel=channel,
            error=state.archive_failures.pop(0) if state.archive_failures else None,
        )
        state.operations[operation.id] = operation
        await _held(state, request)
        headers = {"Location": f"/teams/{team}/operations/{operation.id}"}
        return web.Response(status=202, headers=headers if state.archive_location else {})

    app.router.add_post("/v1.0/teams/{team}/channels/{channel}/archive", archive_channel)
    app.router.add_get("/v1.0/teams/{team}/operations/{operation}", get_operation)


def _add_member_routes(app: web.Application, state: ConnectorState) -> None:
    """A private channel's members: add (an Entra user Graph knows), list, remove."""

    async def add_member(request: web.Request) -> web.Response:
        channel = _channel_or_404(state, request)
        if isinstance(channel, web.Response):
            return channel
        body = await request.json()
        state.graph_calls.append({"op": "add_member", "channel": channel["id"], "body": body})
        if channel["membershipType"] == "standard":
            return _graph_error(400, "BadRequest", "members are added to private channels only")
        bind = str(body.get("user@odata.bind") or "")
        record = _member_record(state, bind, list(body.get("roles") or []))
        if record is None:
            return _graph_error(404, "NotFound", "the user is not found, or is disabled")
        in_team = state.team_members.get(request.match_info["team"])
        if in_team is not None and record["userId"] not in in_team:
            return _graph_error(
                400, "BadRequest", "the user must be a member of the team to join its channel"
            )
        if any(m["userId"] == record["userId"] for m in channel["members"]):
            return _graph_error(409, "Conflict", "the user is already a member")
        channel["members"].append(record)
        await _held(state, request)
        return web.json_response(record, status=201)

    async def list_members(request: web.Request) -> web.Response:
        channel = _channel_or_404(state, request)
        if isinstance(channel, web.Response):
            return channel
        return web.json_response({"value": channel["members"]})

    async def remove_member(request: web.Request) -> web.Response:
        channel = _channel_or_404(state, request)
        if isinstance(channel, web.Response):
            return channel
        member = request.match_info["member"]
        state.graph_calls.append({"op": "remove_member", "channel": channel["id"], "id": member})
        before = len(channel["members"])
        channel["members"] = [m for m in channel["members"] if m["id"] != member]
        if len(channel["members"]) == before:
            return _graph_error(404, "NotFound", "no such member")
        return web.Response(status=204)

    app.router.add_post("/v1.0/teams/{team}/channels/{channel}/members", add_member)
    app.router.add_get("/v1.0/teams/{team}/channels/{channel}/members", list_members)
    app.router.add_delete("/v1.0/teams/{team}/channels/{channel}/members/{member}", remove_member)


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
    _add_channel_routes(app, state)
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
        f"{_channels_section(state)}"
    )


def _archive_note(state: ConnectorState, channel: dict[str, Any]) -> str:
    if channel.get("isArchived"):
        return " (archived)"
    operations = state.archive_operations(channel["id"])
    if any(o.pending for o in operations):
        return " (being archived)"
    if operations and operations[-1].status == "failed":
        return f" (archive failed: {html.escape((operations[-1].error or {}).get('message', ''))})"
    return ""


def _channels_section(state: ConnectorState) -> str:
    """The teams' channels Graph made, with their members (for the page)."""
    rows = []
    for team, channels in state.team_channels.items():
        for channel in channels:
            members = ", ".join(
                html.escape(f"{m['displayName']}{' (owner)' if 'owner' in m['roles'] else ''}")
                for m in channel["members"]
            )
            rows.append(
                f"<tr><td>{html.escape(team)}</td><td>{html.escape(channel['displayName'])}</td>"
                f"<td>{html.escape(channel['membershipType'])}"
                f"{_archive_note(state, channel)}</td><td>{members}</td></tr>"
            )
    if not rows:
        return ""
    return (
        "<h2>Channels made through Graph</h2><table><tr><th>team</th><th>channel</th>"
        f"<th>type</th><th>members</th></tr>{''.join(rows)}</table>"
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
