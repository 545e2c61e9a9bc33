"""Requests Slack sends to the bot, signed and retried as Slack does, and the response_url endpoint.

Every person's action in the emulator (a message, a click, a modal submit, a slash command) turns
into the HTTP request Slack would send to the bot's request URL: events as `event_callback` JSON,
interactivity as a form-encoded `payload=` JSON, slash commands as a plain form. All are signed with
`X-Slack-Signature: v0=HMAC-SHA256(signing_secret, "v0:{timestamp}:{body}")`.

When the bot does not answer within the ack timeout (3 s at Slack), events are retried up to three
times with `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`, and interactions leave the person an error
("cohortbot didn't respond", operation_timeout) — as Slack does.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from emulator.blocks import (
    all_options,
    find_element,
    normalize_blocks,
    validate_blocks,
    validate_view,
)
from emulator.config import EmulatorConfig
from emulator.ratelimit import CallLog, CallRecord, FaultInjector
from emulator.state import Ephemeral, Message, User, View, WorkspaceState, new_id

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


class InboundSender:
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

    # -- events --------------------------------------------------------------------------------

    def envelope(self, event: dict[str, Any]) -> dict[str, Any]:
        """Wrap an event in the `event_callback` envelope Slack sends."""
        cfg = self.config
        return {
            "token": cfg.verification_token,
            "team_id": cfg.team_id,
            "context_team_id": cfg.team_id,
            "api_app_id": cfg.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": new_id("Ev", 12),
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": cfg.team_id,
                    "user_id": cfg.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + secrets.token_urlsafe(24),
        }

    async def send_event(self, event: dict[str, Any]) -> InboundResult:
        """Send one event, retrying like Slack until it is acked or three retries are spent."""
        body = json.dumps(self.envelope(event)).encode()
        result = await self._post(f"event:{event.get('type')}", body, "application/json")
        attempts = 1
        for retry_num, delay in enumerate(self.config.event_retry_delays[:3], start=1):
            if result.acked or result.no_retry or result.error == "no_request_url":
                break
            await asyncio.sleep(delay)
            reason = result.error
            result = await self._post(
                f"event:{event.get('type')}",
                body,
                "application/json",
                {
                    "X-Slack-Retry-Num": str(retry_num),
                    "X-Slack-Retry-Reason": reason or "unknown_error",
                },
            )
            attempts += 1
        result.attempts = attempts
        result.user_id = event.get("user")
        self.log.append(result)
        if not result.acked and result.error != "no_request_url":
            self.state.add_notice(
                None,
                "event_failed",
                f"{event.get('type')} event not acknowledged after {attempts} attempts ({result.error})",
                channel_id=event.get("channel"),
            )
        return result

    async def url_verification(self) -> bool:
        """Send Slack's `url_verification` challenge; return whether the bot echoed it."""
        challenge = secrets.token_urlsafe(24)
        body = json.dumps(
            {
                "token": self.config.verification_token,
                "challenge": challenge,
                "type": "url_verification",
            }
        ).encode()
        result = await self._post("url_verification", body, "application/json")
        self.log.append(result)
        reply = result.json()
        echoed = (
            reply.get("challenge")
            if isinstance(reply, dict)
            else result.body.decode(errors="replace")
        )
        return result.acked and echoed == challenge

    def send_event_later(self, event: dict[str, Any]) -> asyncio.Task[Any]:
        """Send an event in the background (Slack never waits on the person for events)."""
        return self._background(self.send_event(event))

    async def message(
        self,
        user_id: str,
        channel_id: str,
        text: str,
        *,
        thread_ts: str | None = None,
        wait: bool = True,
    ) -> Message:
        """Post a message as a person and send the bot its `message` (and `app_mention`) event."""
        user = self._user(user_id)
        channel = self.state.channels.get(channel_id)
        if channel is None or user.id not in channel.members:
            raise InteractionError(f"{user_id} is not in {channel_id}")
        if channel.is_archived:
            raise InteractionError(f"{channel_id} is archived")
        message = Message(
            channel=channel.id,
            ts=self.state.next_ts(),
            user=user.id,
            text=text,
            thread_ts=thread_ts,
        )
        self.state.add_message(message)
        if self.state.bot_user_id not in channel.members:
            return message
        event: dict[str, Any] = {
            "type": "message",
            "client_msg_id": str(uuid.uuid4()),
            "text": text,
            "user": user.id,
            "ts": message.ts,
            "team": self.config.team_id,
            "channel": channel.id,
            "event_ts": message.ts,
            "channel_type": channel.channel_type,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
            parent = self.state.find_message(channel.id, thread_ts)
            if parent is not None:
                event["parent_user_id"] = parent.user
        events = [event]
        if f"<@{self.state.bot_user_id}>" in text and not channel.is_im:
            mention = {
                k: v
                for k, v in event.items()
                if k
                in (
                    "client_msg_id",
                    "text",
                    "user",
                    "ts",
                    "team",
                    "channel",
                    "event_ts",
                    "thread_ts",
                )
            }
            mention["type"] = "app_mention"
            events.append(mention)
        for ev in events:
            if wait:
                await self.send_event(ev)
            else:
                self.send_event_later(ev)
        return message

    async def app_home_opened(
        self, user_id: str, tab: str = "home", *, wait: bool = True
    ) -> InboundResult | None:
        """Tell the bot a person opened its App Home."""
        user = self._user(user_id)
        channel, _ = self.state.open_im(user.id)
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user.id,
            "channel": channel.id,
            "tab": tab,
            "event_ts": self.state.next_ts(),
        }
        view = self.state.home_views.get(user.id)
        if view is not None:
            event["view"] = self._view_json(view)
        if wait:
            return await self.send_event(event)
        self.send_event_later(event)
        return None

    def _member_joined_event(
        self, user_id: str, channel_id: str, inviter: str | None
    ) -> dict[str, Any]:
        channel = self.state.channels[channel_id]
        event: dict[str, Any] = {
            "type": "member_joined_channel",
            "user": user_id,
            "channel": channel_id,
            "channel_type": "G" if channel.is_private else "C",
            "team": self.config.team_id,
            "event_ts": self.state.next_ts(),
        }
        if inviter:
            event["inviter"] = inviter
        return event

    async def member_joined_channel(
        self, user_id: str, channel_id: str, *, inviter: str | None = None
    ) -> InboundResult:
        """Tell the bot someone joined a channel it is in."""
        return await self.send_event(self._member_joined_event(user_id, channel_id, inviter))

    def member_joined_channel_later(
        self, user_id: str, channel_id: str, *, inviter: str | None = None
    ) -> asyncio.Task[Any]:
        """Send member_joined_channel in the background (used by conversations.invite/join)."""
        return self.send_event_later(self._member_joined_event(user_id, channel_id, inviter))

    async def join_channel(self, user_id: str, channel_id: str) -> None:
        """Let a person join a public channel, telling the bot when it is there."""
        user = self._user(user_id)
        channel = self.state.channels[channel_id]
        if channel.is_private or channel.is_im or channel.is_mpim or channel.is_archived:
            raise InteractionError(f"cannot join {channel_id}")
        if user.id in channel.members:
            return
        channel.members.append(user.id)
        self.state.touch()
        if self.state.bot_user_id in channel.members and self.config.send_member_joined_events:
            await self.member_joined_channel(user.id, channel.id)

    # -- interactivity -------------------------------------------------------------------------

    async def _send_payload(self, kind: str, payload: dict[str, Any]) -> InboundResult:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        result = await self._post(kind, body, "application/x-www-form-urlencoded")
        result.user_id = payload.get("user", {}).get("id")
        self.log.append(result)
        return result

    def _action(
        self, block: dict[str, Any], element: dict[str, Any], selection: Any
    ) -> dict[str, Any]:
        kind = element.get("type", "")
        action: dict[str, Any] = {
            "type": kind,
            "action_id": element.get("action_id"),
            "block_id": block.get("block_id"),
            "action_ts": f"{time.time():.6f}",
        }
        if kind == "button":
            action["text"] = element.get("text")
            if "value" in element:
                action["value"] = element["value"]
            if "style" in element:
                action["style"] = element["style"]
        elif kind == "overflow":
            action["selected_option"] = state_value(
                {**element, "type": "static_select"}, selection
            )["selected_option"]
            if action["selected_option"] is None:
                raise InteractionError("overflow needs an option")
        else:
            entry = state_value(element, selection, self.state.users)
            action.update({k: v for k, v in entry.items() if k != "type"})
            if "placeholder" in element:
                action["placeholder"] = element["placeholder"]
            if kind == "datepicker" and "initial_date" in element:
                action["initial_date"] = element["initial_date"]
        return action

    async def click(
        self,
        user_id: str,
        action_id: str,
        *,
        channel_id: str | None = None,
        message_ts: str | None = None,
        view_id: str | None = None,
        block_id: str | None = None,
        value: Any = None,
    ) -> InboundResult:
        """Act on an element (button, select, overflow, datepicker...) in a message or a view.

        `value` is the person's choice: the option value for selects, overflow and radio buttons,
        a list of values for checkboxes, `YYYY-MM-DD` for datepickers, a user id for users_select.
        """
        payload, element, notice_channel = self.click_payload(
            user_id,
            action_id,
            channel_id=channel_id,
            message_ts=message_ts,
            view_id=view_id,
            block_id=block_id,
            value=value,
        )
        result = await self._send_payload("block_actions", payload)
        if not result.acked:
            label = (
                element.get("text", {}).get("text")
                if isinstance(element.get("text"), dict)
                else None
            )
            what = f" to “{label}”" if label else ""
            self._timeout_notice(result, payload["user"]["id"], what, notice_channel)
        return result

    def click_payload(
        self,
        user_id: str,
        action_id: str,
        *,
        channel_id: str | None = None,
        message_ts: str | None = None,
        view_id: str | None = None,
        block_id: str | None = None,
        value: Any = None,
    ) -> tuple[dict[str, Any], dict[str, Any], str | None]:
        """The block_actions payload a click would send (with its response_url issued), the
        element clicked and the channel for a timeout notice; `sign_form` makes it a request
        (benchmarks build a burst's bodies first and send them from elsewhere)."""
        user = self._user(user_id)
        trigger = self.state.issue_trigger(user.id)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user_json(user),
            "api_app_id": self.config.app_id,
            "token": self.config.verification_token,
            "trigger_id": trigger.id,
            "team": self._team_json(),
            "enterprise": None,
            "is_enterprise_install": False,
        }
        notice_channel: str | None = channel_id
        if view_id is not None:
            view = self.state.views.get(view_id)
            if view is None or view.user_id != user.id:
                raise InteractionError(f"no view {view_id} for {user_id}")
            found = find_element(view.payload.get("blocks", []), action_id, block_id)
            if found is None:
                raise InteractionError(f"no element {action_id} in view {view_id}")
            block, element = found
            action = self._action(block, element, value)
            if element.get("type") not in ("button", "overflow"):
                view.values.setdefault(block["block_id"], {})[action_id] = state_value(
                    element, value, self.state.users
                )
            payload["container"] = {"type": "view", "view_id": view.id}
            payload["view"] = self._view_json(view)
            payload["state"] = {"values": view.values}
        else:
            if channel_id is None or message_ts is None:
                raise InteractionError("a click needs a message (channel_id, message_ts) or a view")
            channel = self.state.channels.get(channel_id)
            if channel is None or user.id not in channel.members:
                raise InteractionError(f"{user_id} cannot see {channel_id}")
            message = self.state.find_message(channel_id, message_ts)
            ephemeral = next(
                (e for e in self.state.ephemerals_for(user.id, channel_id) if e.ts == message_ts),
                None,
            )
            blocks = message.blocks if message else ephemeral.blocks if ephemeral else None
            if blocks is None:
                raise InteractionError(f"no message {message_ts} in {channel_id}")
            found = find_element(blocks, action_id, block_id)
            if found is None:
                raise InteractionError(f"no element {action_id} in message {message_ts}")
            block, element = found
            action = self._action(block, element, value)
            response = self.state.issue_response_url(
                user.id, channel_id, message_ts=message_ts, is_ephemeral=message is None
            )
            payload["container"] = {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_id,
                "is_ephemeral": message is None,
            }
            payload["channel"] = {
                "id": channel.id,
                "name": channel.name if not channel.is_im else "directmessage",
            }
            if message is not None:
                payload["message"] = message.to_slack(self.config.team_id, self.config.app_id)
            values: dict[str, dict[str, Any]] = {}
            if element.get("type") not in ("button", "overflow"):
                values[block["block_id"]] = {
                    action_id: state_value(element, value, self.state.users)
                }
            payload["state"] = {"values": values}
            payload["response_url"] = f"{self.base_url}/_respond/{response.id}"
        payload["actions"] = [action]
        return payload, element, notice_channel

    async def submit_view(
        self, user_id: str, view_id: str, values: dict[str, dict[str, Any]] | None = None
    ) -> InboundResult:
        """Submit a modal with the person's input and apply the bot's `response_action`.

        `values` maps block_id → action_id → raw input (string, option value, list for
        checkboxes, `YYYY-MM-DD` for datepickers). Required inputs left empty are refused here,
        as Slack's client refuses them, and the bot is not called.
        """
        user = self._user(user_id)
        view = self.state.views.get(view_id)
        stack = self.state.modal_stacks.get(user.id) or []
        if view is None or view not in stack:
            raise InteractionError(f"no open modal {view_id} for {user_id}")
        values = values or {}
        state_values: dict[str, dict[str, Any]] = {}
        local_errors: dict[str, str] = {}
        for block in view.payload.get("blocks", []):
            if block.get("type") != "input":
                continue
            element = block["element"]
            block_id, action_id = block["block_id"], element["action_id"]
            raw = values.get(block_id, {}).get(action_id)
            try:
                entry = state_value(element, raw, self.state.users)
            except InteractionError as exc:
                local_errors[block_id] = str(exc)
                continue
            state_values[block_id] = {action_id: entry}
            if _is_empty(entry) and not block.get("optional"):
                local_errors[block_id] = "Please fill out this field."
            elif element.get("type") == "plain_text_input" and entry.get("value"):
                text = entry["value"]
                if len(text) < int(element.get("min_length", 0)):
                    local_errors[block_id] = f"Use at least {element['min_length']} characters."
                elif len(text) > int(element.get("max_length", 3000)):
                    local_errors[block_id] = (
                        f"Use at most {element.get('max_length', 3000)} characters."
                    )
            elif element.get("type") == "number_input" and entry.get("value"):
                try:
                    number = float(entry["value"])
                    if not element.get("is_decimal_allowed") and not number.is_integer():
                        raise ValueError(entry["value"])
                except ValueError:
                    local_errors[block_id] = "Enter a number."
        view.values = state_values
        if local_errors:
            view.errors = local_errors
            self.state.touch()
            return InboundResult(
                kind="view_submission", status=None, error="client_validation", user_id=user.id
            )
        trigger = self.state.issue_trigger(user.id)
        payload: dict[str, Any] = {
            "type": "view_submission",
            "team": self._team_json(),
            "user": self._user_json(user),
            "api_app_id": self.config.app_id,
            "token": self.config.verification_token,
            "trigger_id": trigger.id,
            "view": self._view_json(view),
            "response_urls": [],
            "enterprise": None,
            "is_enterprise_install": False,
        }
        result = await self._send_payload("view_submission", payload)
        if not result.acked:
            view.errors = {"": "We had some trouble connecting. Try again?"}
            self._timeout_notice(result, user.id, " to the form", None)
            return result
        self._apply_response_action(user.id, view, result.json())
        return result

    def _apply_response_action(self, user_id: str, view: View, body: Any) -> None:
        stack = self.state.modal_stacks.get(user_id) or []
        action = body.get("response_action") if isinstance(body, dict) else None
        if action is None:
            if view in stack:
                stack.remove(view)
        elif action == "errors":
            errors = body.get("errors") or {}
            view.errors = {str(k): str(v) for k, v in errors.items()}
        elif action in ("update", "push"):
            new_view = body.get("view")
            problems = validate_view(new_view)
            if problems or (isinstance(new_view, dict) and new_view.get("type") != "modal"):
                view.errors = {"": "The app sent an invalid view."}
                self.state.add_notice(user_id, "invalid_response_action", "; ".join(problems))
            elif action == "update":
                new_view = dict(new_view)
                new_view["blocks"] = normalize_blocks(new_view.get("blocks") or [])
                view.payload = new_view
                view.hash = f"{time.time():.6f}.{secrets.token_hex(4)}"
                view.errors, view.values = {}, {}
            elif len(stack) >= 3:
                self.state.add_notice(user_id, "push_limit_reached", "Too many stacked modals")
            else:
                new_view = dict(new_view)
                new_view["blocks"] = normalize_blocks(new_view.get("blocks") or [])
                pushed = View(
                    id=new_id("V"),
                    user_id=user_id,
                    type="modal",
                    payload=new_view,
                    hash=f"{time.time():.6f}.{secrets.token_hex(4)}",
                    previous_view_id=view.id,
                    root_view_id=view.root_view_id or view.id,
                )
                self.state.views[pushed.id] = pushed
                stack.append(pushed)
                view.errors = {}
        elif action == "clear":
            stack.clear()
        else:
            self.state.add_notice(
                user_id, "invalid_response_action", f"unknown response_action {action}"
            )
        self.state.touch()

    async def close_view(
        self, user_id: str, view_id: str, *, clear_all: bool = False
    ) -> InboundResult | None:
        """Close a modal (or the whole stack); send `view_closed` when the view asked for it."""
        user = self._user(user_id)
        view = self.state.views.get(view_id)
        stack = self.state.modal_stacks.get(user.id) or []
        if view is None or view not in stack:
            raise InteractionError(f"no open modal {view_id} for {user_id}")
        notify = bool(view.payload.get("notify_on_close"))
        if clear_all:
            stack.clear()
        else:
            stack.remove(view)
        self.state.touch()
        if not notify:
            return None
        payload: dict[str, Any] = {
            "type": "view_closed",
            "team": self._team_json(),
            "user": self._user_json(user),
            "api_app_id": self.config.app_id,
            "token": self.config.verification_token,
            "view": self._view_json(view),
            "is_cleared": clear_all,
            "enterprise": None,
            "is_enterprise_install": False,
        }
        return await self._send_payload("view_closed", payload)

    # -- slash commands ------------------------------------------------------------------------

    async def slash_command(
        self, user_id: str, channel_id: str, command: str, text: str = ""
    ) -> InboundResult:
        """Run a slash command as a person and show the bot's immediate reply to them."""
        user = self._user(user_id)
        channel = self.state.channels.get(channel_id)
        if channel is None or user.id not in channel.members:
            raise InteractionError(f"{user_id} is not in {channel_id}")
        trigger = self.state.issue_trigger(user.id)
        response = self.state.issue_response_url(user.id, channel.id)
        form = {
            "token": self.config.verification_token,
            "team_id": self.config.team_id,
            "team_domain": self.config.team_domain,
            "channel_id": channel.id,
            "channel_name": "directmessage" if channel.is_im else channel.name,
            "user_id": user.id,
            "user_name": user.name,
            "command": command,
            "text": text,
            "api_app_id": self.config.app_id,
            "is_enterprise_install": "false",
            "response_url": f"{self.base_url}/_respond/{response.id}",
            "trigger_id": trigger.id,
        }
        body = urlencode(form).encode()
        result = await self._post(f"command:{command}", body, "application/x-www-form-urlencoded")
        result.user_id = user.id
        self.log.append(result)
        if not result.acked:
            reason = "operation_timeout" if result.error == "http_timeout" else "dispatch_failed"
            self.state.add_notice(
                user.id,
                reason,
                f'{command} failed with the error "{reason}"',
                channel_id=channel.id,
            )
            return result
        reply = result.json()
        if reply is None and result.body.strip():
            reply = {"text": result.body.decode(errors="replace")}
        if isinstance(reply, dict) and (reply.get("text") or reply.get("blocks")):
            self._deliver_reply(
                response.user_id, channel.id, reply, message_ts=None, is_ephemeral=False
            )
        return result

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

    # -- response_url --------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """Register the response_url endpoint."""
        app.router.add_post("/_respond/{id}", self.respond)

    async def respond(self, request: web.Request) -> web.Response:
        """Accept a reply posted to a response_url, as hooks.slack.com does."""
        record = self.state.response_urls.get(request.match_info["id"])
        log = CallRecord(seq=0, method="response_url", at=time.time(), status=200, ok=False)

        def answer(error: str | None, status: int = 200) -> web.Response:
            log.ok, log.error, log.status = error is None, error, status
            if self.calls is not None:
                self.calls.add(log)
            body = {"ok": True} if error is None else {"ok": False, "error": error}
            return web.json_response(body, status=status)

        if record is None:
            return answer("no_active_hooks", 404)
        log.channel, log.user = record.channel_id, record.user_id
        fault = self._response_url_fault()
        if fault is not None:
            log.fault = fault
            if fault == "ratelimited":
                log.ok, log.error, log.status = False, fault, 429
                if self.calls is not None:
                    self.calls.add(log)
                return web.json_response(
                    {"ok": False, "error": fault}, status=429, headers={"Retry-After": "1"}
                )
            if fault in ("internal_error", "service_unavailable"):
                return answer(fault, 500 if fault == "internal_error" else 503)
        if time.monotonic() - record.issued > self.config.response_url_ttl:
            return answer("expired_url", 404)
        if record.uses >= 5:
            return answer("used_url", 404)
        try:
            if request.content_type == "application/json":
                reply = await request.json()
            else:
                form = await request.post()
                reply = json.loads(str(form.get("payload", "{}")))
        except (json.JSONDecodeError, ValueError):
            return answer("invalid_payload", 400)
        if not isinstance(reply, dict):
            return answer("invalid_payload", 400)
        if reply.get("blocks") is not None and validate_blocks(reply["blocks"]):
            return answer("invalid_blocks", 400)
        if not (reply.get("text") or reply.get("blocks") or reply.get("delete_original")):
            return answer("no_text", 400)
        record.uses += 1
        self._deliver_reply(
            record.user_id,
            record.channel_id,
            reply,
            message_ts=record.message_ts,
            is_ephemeral=record.is_ephemeral,
        )
        return answer(None)

    def _response_url_fault(self) -> str | None:
        faults = self.faults
        if faults is None or "response_url" not in faults.faults.methods:
            return None
        fault = faults.draw("response_url")
        return fault if fault in ("ratelimited", "internal_error", "service_unavailable") else None


_SLASH = re.compile(r"^(/[\w-]+)(?:\s+(.*))?$", re.DOTALL)


def parse_slash(text: str) -> tuple[str, str] | None:
    """Split `/cohort help me` into ("/cohort", "help me"); None when not a command."""
    match = _SLASH.match(text.strip())
    if not match:
        return None
    return match.group(1), (match.group(2) or "").strip()
