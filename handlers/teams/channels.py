"""The `ChannelAdmin` port over Microsoft Graph: class channels in the programme's team.

The outbox transport "teams_channels" performs the channel steps `bot.steps` decides
(create, add member, remove member, archive) after the commit, like Slack's (handlers/slack/channels.py):

- create: `POST /teams/{team}/channels` with `membershipType: private` and the owner Graph
  requires when an app makes a private channel (`Channel.Create`). A name already taken
  (409, or Graph's 400 "NameAlreadyExists") adopts the channel of that name, found with
  `GET /teams/{team}/channels?$filter=displayName eq '…'` (`Channel.ReadBasic.All`): a create
  whose answer was lost, or one a crashed process made, is found rather than made twice.
- add: `POST /teams/{team}/channels/{channel}/members` per Entra object id
  (`ChannelMember.ReadWrite.All`); 409 (already a member) counts as done.
- remove: the member's conversationMember id from `GET …/members`, then `DELETE …/members/{id}`;
  absent or 404 counts as done.
- archive (the cohort completed, `class_channels_on_completion="archive"`):
  `POST /teams/{team}/channels/{channel}/archive` with `shouldSetSpoSiteReadOnlyForMembers`
  (`ChannelSettings.ReadWrite.All`). Graph answers 202 with a `Location` naming a
  teamsAsyncOperation and archives asynchronously, so the 202 is not the end: the step is done
  only when `GET {Location}` says `succeeded` or the channel reads `isArchived: true`. Until
  then (notStarted, inProgress) it goes back to the outbox as a retry, due after the
  operation's Retry-After or else 31 s (Graph asks for more than 30 between checks), not
  counted as a failed attempt, with the operation kept in the stored step
  (`StepRetry.progress`, `meta.step.progress`): the next attempt, in this process or another,
  checks that operation and never POSTs the archive again. Its chain waits behind it. `failed`
  fails the step with Graph's `error` (code and message) for staff. A 202 without a Location,
  or an operation Graph no longer finds (404), is followed through `isArchived` instead. After
  `MAX_ARCHIVE_CHECKS` checks (about an hour) it fails, so it never waits for ever.
  A first attempt reads the channel before it POSTs: archived already (by staff, or by an
  attempt whose answer was lost) counts as done, as does 404. Graph documents no answer for
  archiving a channel being archived or archived; a 400 or 409 is checked against
  `isArchived`, and a 409 on one not yet archived is taken as an archive under way (a process
  that died between Graph's 202 and keeping the operation): the channel is followed, with no
  second archive. Any other refusal fails the step with its reason.

Why private: a class's channel holds its participants' talk about their own workplaces, and
the programme's team holds every class of every cohort; a standard channel would show it to
all of them. Private channels keep the class the gate, at the price of adding each member.

Every call waits its turn in the Graph client's limiter (`GraphRateLimiter`: 4 a second on the
team). 429 is retried after Retry-After without counting an attempt (the limiter holds the team
meanwhile); 412, 500, 502, 503, 504 and a
dropped connection are retried with backoff, within the dispatcher's bound on attempts; 401
pauses the transport; anything else fails the step with its reason for staff to see.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, Unpack
from urllib.parse import quote

import aiohttp

from bot.delivery import RATELIMITED
from bot.notifier import OutgoingMessage, SendResult
from bot.steps import (
    TEAMS_CHANNELS,
    WAITING,
    ChannelAdmin,
    StepAuthError,
    StepError,
    StepRetry,
    perform,
    step_of,
)
from handlers.retry_after import retry_after
from handlers.teams.graph import RETRY_STATUSES, GraphError, GraphOptions, TeamsGraph

logger = logging.getLogger(__name__)

MAX_NAME = 50  # Graph: a channel's displayName is at most 50 characters
# Characters Teams refuses in a channel name.
FORBIDDEN = frozenset("~#%&*{}+/\\:<>?|'\"")
FALLBACK_NAME = "Klasse"
_SPACES = re.compile(r"\s+")
_MARKUP = re.compile(r"</?at>", re.IGNORECASE)
_GONE = frozenset({404})  # the channel is gone: nothing left to archive
PENDING = frozenset({"notStarted", "inProgress"})  # teamsAsyncOperation statuses still running
# Graph asks for more than 30 seconds between checks of an operation (unless it says when).
ARCHIVE_CHECK_SECONDS = 31.0
# Then an archive still unfinished after about an hour of checks fails, for staff to see.
MAX_ARCHIVE_CHECKS = 120


def channel_display_name(name: str) -> str:
    """A valid Teams channel name for `name`: forbidden characters and markup dropped,
    whitespace collapsed, no leading or trailing dots or underscores, at most 50 characters.

    Deterministic, so a retry (or a second process) asks for the same name and adopts it.
    """
    text = unicodedata.normalize("NFC", _MARKUP.sub(" ", name))
    text = "".join(
        " " if ch in FORBIDDEN or unicodedata.category(ch).startswith("C") else ch for ch in text
    )
    text = _SPACES.sub(" ", text).strip(" ._")
    if len(text) > MAX_NAME:
        text = text[:MAX_NAME].rstrip(" ._")
    return text or FALLBACK_NAME


def _odata_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class TeamsChannelAdmin:
    """`ChannelAdmin` for one team, over the bot's Graph client."""

    def __init__(self, graph: TeamsGraph, *, team: str, owner: str | None = None) -> None:
        self.graph = graph
        self.team = team
        self.owner = owner or None

    def _path(self, *parts: str) -> str:
        return "/teams/" + "/".join(quote(p, safe="") for p in (self.team, *parts))

    async def _call(
        self, method: str, path: str, **options: Unpack[GraphOptions]
    ) -> tuple[int, Any]:
        status, body, _ = await self._call_with_headers(method, path, **options)
        return status, body

    async def _call_with_headers(
        self, method: str, path: str, **options: Unpack[GraphOptions]
    ) -> tuple[int, Any, Mapping[str, str]]:
        """`TeamsGraph.request_with_headers`, its failures made the step's: a URL not
        allowed fails it, 429, `RETRY_STATUSES` and a lost connection retry it, 401 pauses
        the transport; any other refusal is raised as `GraphError` for the caller to name."""
        try:
            return await self.graph.request_with_headers(method, path, **options)
        except GraphError as exc:
            if exc.status == 0:
                raise StepError(exc.detail) from None
            if exc.status == 429:
                raise StepRetry(RATELIMITED, exc.retry_after or 1.0) from None
            if exc.status in RETRY_STATUSES:
                raise StepRetry(f"{method} {path}: http_{exc.status}", exc.retry_after) from None
            if exc.status == 401:
                raise StepAuthError("http_401: Graph refused the app's credentials") from None
            raise
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            # Every channel step is safe to repeat: the retry finds what the lost call did.
            raise StepRetry(f"connection: {type(exc).__name__}") from None

    async def create_channel(self, name: str, private: bool) -> str:
        display = channel_display_name(name)
        body: dict[str, Any] = {
            "displayName": display,
            "membershipType": "private" if private else "standard",
        }
        if private:
            if not self.owner:
                raise StepError(
                    "a private channel needs an owner: set TEAMS_CHANNEL_OWNER (an Entra object "
                    "id), or run sync as a staff member who has the app in Teams"
                )
            body["members"] = [self._member(self.owner, owner=True)]
        try:
            status, answer = await self._call(
                "POST", self._path("channels"), json=body, done=frozenset({409})
            )
        except GraphError as exc:
            if not (exc.status == 400 and "alreadyexist" in exc.detail.lower().replace(" ", "")):
                raise StepError(self._refusal("create channel", display, exc)) from None
            status, answer = 409, None
        if status != 409:
            return str(answer["id"])
        channel = await self._find(display)
        if channel is None:
            raise StepError(f"a channel named {display!r} exists but Graph does not list it")
        wanted = body["membershipType"]
        if channel.get("membershipType", wanted) != wanted:
            # Adopting it would open the class's talk to the whole team (or lock it away).
            raise StepError(
                f"a {channel.get('membershipType')} channel named {display!r} exists: "
                f"rename it, or make it {wanted}, then sync again"
            )
        logger.info("Adopted existing Teams channel %s", channel["id"])
        return str(channel["id"])

    async def _find(self, display: str) -> dict[str, Any] | None:
        try:
            _, answer = await self._call(
                "GET",
                self._path("channels"),
                params={"$filter": f"displayName eq {_odata_quote(display)}"},
            )
        except GraphError as exc:
            raise StepError(self._refusal("list channels", display, exc)) from None
        for channel in (answer or {}).get("value") or []:
            if str(channel.get("displayName", "")).casefold() == display.casefold():
                return dict(channel)
        return None

    def _member(self, user: str, *, owner: bool = False) -> dict[str, Any]:
        return {
            "@odata.type": "#microsoft.graph.aadUserConversationMember",
            "roles": ["owner"] if owner else [],
            "user@odata.bind": f"{self.graph.base_url}/users({_odata_quote(user)})",
        }

    async def invite(self, channel: str, user_ids: Sequence[str]) -> None:
        for user in dict.fromkeys(u for u in user_ids if u):
            try:
                await self._call(
                    "POST",
                    self._path("channels", channel, "members"),
                    json=self._member(user),
                    done=frozenset({409}),
                )
            except GraphError as exc:
                raise StepError(self._refusal("add member", user, exc)) from None

    async def remove(self, channel: str, user_id: str) -> None:
        path = self._path("channels", channel, "members")
        try:
            members = await self._list(path)
        except GraphError as exc:
            if exc.status == 404:
                return  # the channel is gone: nobody is in it
            raise StepError(self._refusal("list members", user_id, exc)) from None
        for member in members:
            if member.get("userId") == user_id:
                try:
                    await self._call(
                        "DELETE",
                        f"{path}/{quote(str(member['id']), safe='')}",
                        done=frozenset({404}),
                    )
                except GraphError as exc:
                    raise StepError(self._refusal("remove member", user_id, exc)) from None

    async def _list(self, path: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        next_path: str | None = path
        while next_path:
            _, answer = await self._call("GET", next_path)
            out.extend(answer.get("value") or [])
            link = answer.get("@odata.nextLink")
            next_path = (
                str(link).removeprefix(self.graph.base_url)
                if link and str(link).startswith(self.graph.base_url)
                else None
            )
        return out

    async def archive(self, channel: str, progress: Mapping[str, Any] | None = None) -> None:
        """Archive the channel, done only once Graph says so: its operation succeeded, or
        the channel reads `isArchived`. Raises `StepRetry` (with the operation to follow as
        its `progress`) while Graph is still at it, `StepError` when the operation failed."""
        progress = progress or {}
        checks = int(progress.get("checks") or 0)
        if progress.get("accepted"):
            operation = str(progress.get("operation") or "")
            if operation:
                found = await self._operation(operation)
                if found is not None:
                    status, answer, wait = found
                    if status == "succeeded":
                        return
                    if status == "failed":
                        raise StepError(self._failed(channel, answer))
                    if status in PENDING:
                        raise self._pending(channel, operation, status, checks, wait)
            # No operation to follow (none named, 404, an answer we cannot read): the
            # channel says when the archive is done. Never archived again meanwhile.
            if await self._is_archived(channel):
                return
            raise self._pending(channel, "", "unknown", checks, None)
        if await self._is_archived(channel):
            return  # staff archived it, or an attempt whose answer was lost did
        # Read-only for members, files too (a private channel has its own SharePoint site), as
        # an archived Slack channel is.
        body = {"shouldSetSpoSiteReadOnlyForMembers": True}
        try:
            answered, _, headers = await self._call_with_headers(
                "POST", self._path("channels", channel, "archive"), json=body, done=_GONE
            )
        except GraphError as exc:
            if exc.status in (400, 409) and await self._is_archived(channel):
                return  # a second process's archive finished in between
            if exc.status == 409:
                # An archive is under way already (an attempt that crashed after Graph's 202,
                # or another process's): follow the channel, start no second one.
                raise self._pending(channel, "", "conflict", checks, exc.retry_after) from None
            raise StepError(self._refusal("archive channel", channel, exc)) from None
        if answered in _GONE:
            return
        operation = self._operation_path(headers.get("Location"))
        raise self._pending(channel, operation, "accepted", checks, retry_after(headers))

    def _pending(
        self, channel: str, operation: str, status: str, checks: int, wait: float | None
    ) -> StepError | StepRetry:
        """Look again later (Graph's Retry-After, else `ARCHIVE_CHECK_SECONDS`), not counted
        as a failed attempt; after `MAX_ARCHIVE_CHECKS` looks, give up with the reason."""
        if checks >= MAX_ARCHIVE_CHECKS:
            return StepError(
                f"Graph archive channel {channel}: still {status} after {checks} checks"
                + (f" (operation {operation})" if operation else " (no operation to follow)")
            )
        return StepRetry(
            f"{WAITING}: Graph archiving channel {channel} ({status})",
            wait if wait is not None else ARCHIVE_CHECK_SECONDS,
            progress={"accepted": True, "operation": operation, "checks": checks + 1},
        )

    def _operation_path(self, location: str | None) -> str:
        """The path to GET a 202's operation at, or "" when there is none we may follow.

        Graph names it relative to the version's root (`/teams/{id}/operations/{id}`); a full
        URL is followed only under this client's Graph URL (the token goes nowhere else)."""
        if not location:
            return ""
        location = location.strip()
        if location.startswith(self.graph.base_url + "/"):
            location = location.removeprefix(self.graph.base_url)
        if not location.startswith("/teams"):
            return ""
        return location

    async def _operation(self, path: str) -> tuple[str, dict[str, Any], float | None] | None:
        """The operation's (status, resource, Retry-After), or None when Graph has no such
        operation or it cannot be read as one."""
        try:
            _, answer, headers = await self._call_with_headers("GET", path)
        except GraphError as exc:
            if exc.status in (400, 404):
                return None
            raise StepError(self._refusal("read archive operation", path, exc)) from None
        if not isinstance(answer, dict) or not isinstance(answer.get("status"), str):
            return None
        return answer["status"], answer, retry_after(headers)

    @staticmethod
    def _failed(channel: str, operation: dict[str, Any]) -> str:
        error = operation.get("error") if isinstance(operation.get("error"), dict) else {}
        code = str((error or {}).get("code") or "unknown")
        message = str((error or {}).get("message") or "no reason given")
        return f"Graph archive channel {channel}: operation failed: {code}: {message[:160]}"

    async def _is_archived(self, channel: str) -> bool:
        try:
            _, answer = await self._call("GET", self._path("channels", channel))
        except GraphError:
            return False
        return bool((answer or {}).get("isArchived"))

    @staticmethod
    def _refusal(what: str, subject: str, exc: GraphError) -> str:
        hint = ""
        if exc.status == 403:
            hint = (
                " (the app lacks Channel.Create / ChannelMember.ReadWrite.All /"
                " ChannelSettings.ReadWrite.All admin consent)"
            )
        elif exc.status == 404:
            hint = " (no such team, channel or user: is TEAMS_TEAM_ID the team's group id?)"
        return f"Graph {what} {subject}: http_{exc.status}{hint}: {exc.detail[:120]}"


class TeamsChannelSteps:
    """The outbox transport "teams_channels": each delivery is one channel step."""

    transport = TEAMS_CHANNELS

    def __init__(self, graph: TeamsGraph) -> None:
        self.graph = graph

    async def send(self, *, target: str, message: OutgoingMessage) -> SendResult:
        step = step_of(message)
        if step is None or not step.get("team"):
            return SendResult("failed", error="not a Teams channel step")
        admin = TeamsChannelAdmin(self.graph, team=str(step["team"]), owner=step.get("owner"))
        try:
            return await perform(admin, target=target, step=step)
        except GraphError as exc:  # a refusal the admin did not name
            return SendResult("failed", error=f"http_{exc.status}: {exc.detail[:120]}")


def _check(admin: TeamsChannelAdmin) -> ChannelAdmin:
    """Let mypy confirm the adapter satisfies the port."""
    return admin
