"""The inbound side's core: the shared session, signing and posting to the bot, and what every
kind of request needs."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import aiohttp

from emulator.blocks import (
    all_options,
    normalize_blocks,
)
from emulator.config import EmulatorConfig
from emulator.ratelimit import CallLog, FaultInjector
from emulator.state import Ephemeral, Message, User, View, WorkspaceState

logger = logging.getLogger(__name__)

EMPTY_OK = (200, 201, 202, 204)


class InteractionError(ValueError):
    """A person's action that Slack's client would refuse (unknown element, bad option...)."""


@dataclass
class InboundResult:
    """What happened to one request sent to the bot."""

    kind: str
    status: int | None
    body: bytes = b""
    elapsed: float = 0.0
    attempts: int = 1
    error: str | None = None
    user_id: str | None = None
    no_retry: bool = False

    @property
    def acked(self) -> bool:
        """Tell whether the bot answered 2xx in time."""
        return self.error is None and self.status is not None and 200 <= self.status < 300

    def json(self) -> Any:
        """Return the bot's response body parsed as JSON (None when not JSON)."""
        try:
            return json.loads(self.body) if self.body else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None


def sign(signing_secret: str, timestamp: int | str, body: bytes | str) -> str:
    """Return Slack's v0 request signature for a body sent at `timestamp`."""
    raw = body.decode() if isinstance(body, bytes) else body
    base = f"v0:{timestamp}:{raw}".encode()
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def state_value(
    element: dict[str, Any], raw: Any, users: dict[str, User] | None = None
) -> dict[str, Any]:
    """Return the `state.values[block_id][action_id]` entry Slack sends for an input element."""
    kind = element.get("type", "")
    entry: dict[str, Any] = {"type": kind}
    options = all_options(element)

    def pick(value: Any) -> dict[str, Any] | None:
        if value in (None, ""):
            return None
        for option in options:
            if option.get("value") == value:
                picked = {"text": option["text"], "value": option["value"]}
                if "description" in option:
                    picked["description"] = option["description"]
                return picked
        raise InteractionError(f"{value!r} is not an option of {element.get('action_id')}")

    def many(value: Any) -> list[Any]:
        if value in (None, ""):
            return []
        return list(value) if isinstance(value, list | tuple) else [value]

    if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
        entry["value"] = None if raw in (None, "") else str(raw)
    elif kind in ("static_select", "radio_buttons", "external_select"):
        entry["selected_option"] = pick(raw)
    elif kind in ("checkboxes", "multi_static_select"):
        entry["selected_options"] = [p for p in (pick(v) for v in many(raw)) if p]
    elif kind == "datepicker":
        entry["selected_date"] = raw or None
    elif kind == "timepicker":
        entry["selected_time"] = raw or None
    elif kind == "users_select":
        if raw and users is not None and raw not in users:
            raise InteractionError(f"unknown user {raw}")
        entry["selected_user"] = raw or None
    elif kind == "multi_users_select":
        entry["selected_users"] = many(raw)
    elif kind == "conversations_select":
        entry["selected_conversation"] = raw or None
    elif kind == "channels_select":
        entry["selected_channel"] = raw or None
    elif kind == "file_input":
        entry["files"] = many(raw)  # the file objects Slack includes for uploaded files
    elif kind in ("multi_conversations_select", "multi_channels_select"):
        key = "selected_conversations" if "conversations" in kind else "selected_channels"
        entry[key] = many(raw)
    else:
        entry["value"] = raw
    return entry


def _is_empty(entry: dict[str, Any]) -> bool:
    for key, value in entry.items():
        if key != "type" and value not in (None, "", []):
            return False
    return True


class InboundCore:
    """Send the bot what Slack would send, and keep the workspace state in step (the core)."""

    """Send the bot what Slack would send, and keep the workspace state in step."""

    def __init__(
        self,
        state: WorkspaceState,
        config: EmulatorConfig,
        *,
        base_url: str = "",
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.state = state
        self.config = config
        self.base_url = base_url
        self._session = session
        self._own_session = session is None
        self.tasks: set[asyncio.Task[Any]] = set()
        self.log: list[InboundResult] = []
        self.calls: CallLog | None = None
        # Faults for the response_url endpoint, drawn only when "response_url" is named in
        # the fault config's methods (it is not a Web API method, so "all methods" skips it).
        self.faults: FaultInjector | None = None
        self.unreachable: str | None = None

    # -- plumbing ------------------------------------------------------------------------------

    @property
    def session(self) -> aiohttp.ClientSession:
        """Return the one shared client session, creating it on first use."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        return self._session

    def use_session(self, session: aiohttp.ClientSession) -> None:
        """Send through `session` (e.g. one without aiohttp's 100-connection limit, for bursts)."""
        self._session = session
        self._own_session = False

    async def close(self) -> None:
        """Cancel background sends and close the session if we created it."""
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        if self._own_session and self._session is not None:
            await self._session.close()

    async def drain(self) -> None:
        """Wait until every background send (retries included) has finished."""
        while self.tasks:
            await asyncio.wait(list(self.tasks))

    def _background(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def headers(
        self, body: bytes, content_type: str, timestamp: int | None = None
    ) -> dict[str, str]:
        """Return the headers Slack sends with a body: content type, timestamp and signature."""
        ts = int(time.time()) if timestamp is None else timestamp
        return {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": sign(self.config.signing_secret, ts, body),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }

    async def _post(
        self, kind: str, body: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> InboundResult:
        url = self.config.bot_events_url
        if not url:
            return InboundResult(kind=kind, status=None, error="no_request_url")
        headers = self.headers(body, content_type)
        headers.update(extra or {})
        started = time.monotonic()
        timeout = aiohttp.ClientTimeout(total=self.config.ack_timeout)
        try:
            async with self.session.post(url, data=body, headers=headers, timeout=timeout) as resp:
                data = await resp.read()
                if self.unreachable is not None:
                    self.unreachable = None
                    self.state.touch()
                return InboundResult(
                    kind=kind,
                    status=resp.status,
                    body=data,
                    elapsed=time.monotonic() - started,
                    error=None if 200 <= resp.status < 300 else "http_error",
                    no_retry=resp.headers.get("X-Slack-No-Retry") == "1",
                )
        except TimeoutError:
            return InboundResult(
                kind=kind, status=None, elapsed=time.monotonic() - started, error="http_timeout"
            )
        except aiohttp.ClientError as exc:
            logger.info("Failed to reach the bot at %s: %s", url, type(exc).__name__)
            if self.unreachable is None:
                self.unreachable = (
                    f"{self.config.bot_name} is not reachable at {url} ({type(exc).__name__})"
                )
                self.state.touch()
            return InboundResult(
                kind=kind,
                status=None,
                elapsed=time.monotonic() - started,
                error="connection_failed",
            )

    def _user(self, user_id: str) -> User:
        user = self.state.users.get(user_id)
        if user is None or user.deleted:
            raise InteractionError(f"no active user {user_id}")
        return user

    def _user_json(self, user: User) -> dict[str, Any]:
        return {
            "id": user.id,
            "username": user.name,
            "name": user.name,
            "team_id": self.config.team_id,
        }

    def _team_json(self) -> dict[str, Any]:
        return {"id": self.config.team_id, "domain": self.config.team_domain}

    def _view_json(self, view: View) -> dict[str, Any]:
        cfg = self.config
        return view.to_slack(cfg.team_id, cfg.app_id, cfg.bot_id)

    def _timeout_notice(
        self, result: InboundResult, user_id: str, what: str, channel: str | None
    ) -> None:
        name = self.config.bot_name
        if result.error == "http_timeout":
            text = f"{name} didn't respond{what} (operation_timeout)"
            kind = "operation_timeout"
        elif result.error == "http_error":
            text = f"{name} didn't respond{what} (dispatch_failed: HTTP {result.status})"
            kind = "dispatch_failed"
        else:
            text = f"{name} didn't respond{what} ({result.error})"
            kind = result.error or "error"
        self.state.add_notice(user_id, kind, text, channel_id=channel)

    def _deliver_reply(
        self,
        user_id: str,
        channel_id: str,
        reply: dict[str, Any],
        *,
        message_ts: str | None,
        is_ephemeral: bool,
    ) -> None:
        text = str(reply.get("text") or "")
        blocks = normalize_blocks(reply["blocks"]) if reply.get("blocks") else []
        cfg = self.config
        if message_ts and reply.get("delete_original"):
            if is_ephemeral:
                self.state.ephemerals = [
                    e
                    for e in self.state.ephemerals
                    if not (e.ts == message_ts and e.user == user_id)
                ]
                self.state.touch()
            else:
                self.state.delete_message(channel_id, message_ts)
            return
        if message_ts and reply.get("replace_original"):
            if is_ephemeral:
                for e in self.state.ephemerals:
                    if e.ts == message_ts and e.user == user_id:
                        e.text, e.blocks = text, blocks
            else:
                message = self.state.find_message(channel_id, message_ts)
                if message is not None:
                    message.text, message.blocks = text, blocks
                    message.edited = {"user": cfg.bot_user_id, "ts": self.state.next_ts()}
            self.state.touch()
            return
        if reply.get("response_type") == "in_channel":
            self.state.add_message(
                Message(
                    channel=channel_id,
                    ts=self.state.next_ts(),
                    user=cfg.bot_user_id,
                    text=text,
                    blocks=blocks,
                    thread_ts=reply.get("thread_ts"),
                    bot_id=cfg.bot_id,
                )
            )
        else:
            self.state.add_ephemeral(
                Ephemeral(
                    channel=channel_id,
                    ts=self.state.next_ts(),
                    user=user_id,
                    text=text,
                    blocks=blocks,
                    author=cfg.bot_user_id,
                )
            )


_SLASH = re.compile(r"^(/[\w-]+)(?:\s+(.*))?$", re.DOTALL)


def parse_slash(text: str) -> tuple[str, str] | None:
    """Split `/cohort help me` into ("/cohort", "help me"); None when not a command."""
    match = _SLASH.match(text.strip())
    if not match:
        return None
    return match.group(1), (match.group(2) or "").strip()
