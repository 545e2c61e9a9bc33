"""The Web API's core: parsing calls, rate limits and faults, holds, and the lookups every method
family uses; `api.test`, `auth.test`, `bots.info` and `team.info`."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from aiohttp import web

from emulator.blocks import TEXT_LIMIT, normalize_blocks, validate_blocks
from emulator.config import EmulatorConfig
from emulator.ratelimit import (
    CallLog,
    CallRecord,
    FaultInjector,
    RateLimiter,
    content_hash,
    retry_after_header,
)
from emulator.state import Channel, Message, User, WorkspaceState

if TYPE_CHECKING:
    from emulator.inbound import InboundSender

logger = logging.getLogger(__name__)

_JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata")
_CHANNEL_NAME = re.compile(r"^[a-z0-9æøå_-]+$")


class SlackError(Exception):
    """A Web API error answered as `{"ok": false, "error": code, ...}`."""

    def __init__(self, error: str, *, status: int = 200, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra


@dataclass
class Call:
    """One Web API call being handled: its arguments, who made it, and what it touched."""

    method: str
    args: dict[str, Any]
    actor: str
    channel: str | None = None
    ts: str | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        """Return an argument, treating empty strings as missing."""
        value = self.args.get(key, default)
        return default if value == "" else value

    def require(self, key: str) -> Any:
        """Return a required argument or fail with invalid_arguments."""
        value = self.get(key)
        if value is None:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": [f"[ERROR] missing required field: {key}"]},
            )
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        """Return a boolean argument given as bool, 'true'/'false' or '1'/'0'."""
        value = self.args.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("1", "true", "yes")

    def integer(self, key: str, default: int) -> int:
        """Return an integer argument or fail with invalid_arguments."""
        value = self.get(key)
        if value is None:
            return default
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise SlackError("invalid_arguments") from exc

    def id_list(self, key: str) -> list[str]:
        """Return a list argument given as a list or a comma-separated string."""
        value = self.get(key)
        if value is None:
            return []
        if isinstance(value, list):
            return [str(v).strip() for v in value if str(v).strip()]
        return [v.strip() for v in str(value).split(",") if v.strip()]


Handler = Callable[[Call], Awaitable[dict[str, Any]]]


def encode_cursor(offset: int) -> str:
    """Return an opaque cursor for the next page."""
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    """Return the offset a cursor points at, or fail with invalid_cursor."""
    if not cursor:
        return 0
    try:
        kind, _, number = base64.b64decode(cursor.encode()).decode().partition(":")
        if kind != "offset":
            raise ValueError(cursor)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise SlackError("invalid_cursor") from exc


def paginate(
    items: list[Any], call: Call, *, default_limit: int, max_limit: int
) -> tuple[list[Any], str]:
    """Return one page of `items` and the next cursor ('' on the last page)."""
    start = decode_cursor(call.get("cursor"))
    limit = call.integer("limit", default_limit) or default_limit
    limit = max(1, min(limit, max_limit))
    page = items[start : start + limit]
    end = start + len(page)
    return page, encode_cursor(end) if end < len(items) else ""


@dataclass
class Hold:
    """Hold every call of `method` once `after` of them have succeeded, until released.

    For tests that must act "mid-send" (e.g. kill a sender) without racing the machine's speed:
    the calls past the mark wait, and on release they fail with `service_unavailable`, so
    nothing held is ever posted.
    """

    method: str
    after: int
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0

    def release(self) -> None:
        """Let the held calls fail and every later call through."""
        self.released.set()


class WebApiCore:
    """Serve the Web API against a `WorkspaceState`. The method families are mixins (emulator/webapi/)."""

    # Slack method -> the attribute that serves it; each family adds its own.
    METHOD_ATTRS: ClassVar[dict[str, str]] = {
        "api.test": "api_test",
        "auth.test": "auth_test",
        "bots.info": "bots_info",
        "team.info": "team_info",
    }

    def __init__(
        self,
        state: WorkspaceState,
        config: EmulatorConfig,
        *,
        limiter: RateLimiter | None = None,
        faults: FaultInjector | None = None,
        calls: CallLog | None = None,
    ) -> None:
        self.state = state
        self.config = config
        self.limiter = limiter or RateLimiter(config)
        self.faults = faults or FaultInjector(config.faults)
        self.calls = calls or CallLog(config.call_log_limit)
        self.inbound: InboundSender | None = None
        self.base_url = config.public_base_url or ""
        self.hold: Hold | None = None
        self.methods: dict[str, Handler] = {
            method: getattr(self, attr) for method, attr in self.METHOD_ATTRS.items()
        }

    def hold_calls(self, method: str, *, after: int) -> Hold:
        """Hold calls of `method` after `after` successful ones (see `Hold`)."""
        self.hold = Hold(method=method, after=after)
        return self.hold

    async def _held(self, method: str) -> bool:
        """Wait while a hold applies to `method`; True if this call was held."""
        hold = self.hold
        if hold is None or hold.method != method or hold.released.is_set():
            return False
        if self.calls.count(method, ok=True) < hold.after:
            return False
        hold.waiting += 1
        hold.reached.set()
        await hold.released.wait()
        return True

    def add_routes(self, app: web.Application) -> None:
        """Register the Web API routes on an aiohttp application."""
        app.router.add_route("*", "/api/{method}", self.handle)

    # -- request plumbing ----------------------------------------------------------------------

    async def _read_args(self, request: web.Request) -> tuple[dict[str, Any], str | None]:
        args: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except json.JSONDecodeError as exc:
                    raise SlackError("invalid_json") from exc
                if not isinstance(body, dict):
                    raise SlackError("invalid_json")
                args.update(body)
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, str):
                        args[key] = value
        for key in _JSON_FIELDS:
            if isinstance(args.get(key), str) and args[key]:
                try:
                    args[key] = json.loads(args[key])
                except json.JSONDecodeError as exc:
                    if key == "blocks":
                        raise SlackError("invalid_blocks_format") from exc
                    raise SlackError("invalid_arguments") from exc
        token = args.pop("token", None)
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        return args, token

    def _json(
        self, data: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
    ) -> web.Response:
        return web.json_response(data, status=status, headers=headers)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one Web API call, applying faults, auth and rate limits first."""
        method = request.match_info["method"]
        record = CallRecord(seq=0, method=method, at=time.time(), status=200, ok=False)
        try:
            args, token = await self._read_args(request)
        except SlackError as exc:
            record.error = exc.error
            self.calls.add(record)
            return self._json({"ok": False, "error": exc.error})
        record.channel = str(args.get("channel") or args.get("channel_id") or "") or None
        record.user = str(args.get("user") or args.get("user_id") or "") or None
        record.content_hash = content_hash(args)
        record.args = {
            k: (v[:200] if isinstance(v, str) else v)
            for k, v in args.items()
            if k not in ("blocks", "view", "attachments")
        }

        fault = self.faults.draw(method)
        if fault is not None and fault != "drop_after":
            record.fault = fault
            record.error = fault
            if fault == "drop":
                record.status = 0
                self.calls.add(record)
                if request.transport is not None:
                    request.transport.close()
                raise web.HTTPInternalServerError()
            if fault == "ratelimited":
                record.status = 429
                self.calls.add(record)
                return self._json({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": "1"})
            record.status = 500 if fault == "internal_error" else 503
            self.calls.add(record)
            return self._json({"ok": False, "error": fault}, record.status)

        try:
            if token is None:
                raise SlackError("not_authed")
            actor = self.state.tokens.get(token)
            if actor is None:
                raise SlackError("invalid_auth")
            handler = self.methods.get(method)
            if handler is None:
                raise SlackError("unknown_method", req_method=method)
            if await self._held(method):
                raise SlackError("service_unavailable", status=503)
            wait = self.limiter.check(method, self._limit_key(record.channel))
            if wait is not None:
                record.status = 429
                raise SlackError("ratelimited", status=429, retry_after=wait)
            call = Call(method=method, args=args, actor=actor)
            result = await handler(call)
        except SlackError as exc:
            record.error = exc.error
            record.status = exc.status
            self.calls.add(record)
            headers = None
            extra = dict(exc.extra)
            if "retry_after" in extra:
                headers = {"Retry-After": retry_after_header(extra.pop("retry_after"))}
            return self._json({"ok": False, "error": exc.error, **extra}, exc.status, headers)
        record.ok = True
        record.channel = call.channel or record.channel
        record.user = call.notes.get("user", record.user)
        record.ts = call.ts
        if fault == "drop_after":
            record.fault = fault
            record.status = 0
            self.calls.add(record)
            if request.transport is not None:
                request.transport.close()
            raise web.HTTPInternalServerError()
        self.calls.add(record)
        return self._json({"ok": True, **result})

    def _limit_key(self, channel: str | None) -> str | None:
        """Return the conversation a call is limited on: a user id and its DM count as one."""
        if not channel:
            return channel
        if channel[:1] in ("U", "W"):
            return f"im:{channel}"
        conversation = self.state.channels.get(channel)
        if conversation is not None and conversation.is_im and conversation.im_user:
            return f"im:{conversation.im_user}"
        return channel

    # -- shared checks -------------------------------------------------------------------------

    def _user(self, user_id: Any) -> User:
        user = self.state.users.get(str(user_id or ""))
        if user is None:
            raise SlackError("user_not_found")
        return user

    def _conversation(self, ref: Any, call: Call, *, open_im: bool = False) -> Channel:
        """Resolve a channel id, name or (with `open_im`) user id the caller may see."""
        ref = str(ref or "").strip()
        if not ref:
            raise SlackError("channel_not_found")
        state = self.state
        channel = state.channels.get(ref)
        if channel is None and ref[:1] in ("U", "W") and ref in state.users:
            if not open_im:
                raise SlackError("channel_not_found")
            if state.users[ref].deleted:
                raise SlackError("account_inactive")
            channel, _ = state.open_im(ref)
        if channel is None:
            channel = state.channel_by_name(ref)
        if channel is None:
            raise SlackError("channel_not_found")
        if (
            channel.is_private or channel.is_im or channel.is_mpim
        ) and call.actor not in channel.members:
            raise SlackError("channel_not_found")
        call.channel = channel.id
        return channel

    def _check_can_post(self, channel: Channel, call: Call) -> None:
        if channel.is_archived:
            raise SlackError("is_archived")
        if channel.is_im and channel.im_user:
            peer = self.state.users.get(channel.im_user)
            if peer is not None and peer.deleted:
                raise SlackError("account_inactive")
        if call.actor not in channel.members and (
            self.config.public_post_requires_membership or channel.is_private
        ):
            raise SlackError("not_in_channel")

    def _require_member(self, channel: Channel, call: Call) -> None:
        if call.actor not in channel.members:
            raise SlackError("not_in_channel")

    def _content(
        self, call: Call, *, required: bool = True
    ) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
        text = call.get("text")
        blocks = call.get("blocks")
        attachments = call.get("attachments")
        if text is not None and not isinstance(text, str):
            text = str(text)
        if required and not text and not blocks and not attachments:
            raise SlackError("no_text")
        if text and len(text) > TEXT_LIMIT:
            raise SlackError("msg_too_long")
        if blocks is not None:
            errors = validate_blocks(blocks)
            if errors:
                raise SlackError(
                    "invalid_blocks",
                    errors=errors,
                    response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
                )
            blocks = normalize_blocks(blocks)
        if attachments is not None and not isinstance(attachments, list):
            raise SlackError("invalid_attachments")
        return text or "", blocks or [], attachments or []

    def _member_joined(self, user_id: str, channel: Channel, inviter: str | None) -> None:
        if self.inbound is not None and self.config.send_member_joined_events:
            if self.state.bot_user_id in channel.members:
                self.inbound.member_joined_channel_later(user_id, channel.id, inviter=inviter)

    def _message_json(self, message: Message) -> dict[str, Any]:
        return message.to_slack(self.config.team_id, self.config.app_id)

    # -- auth, team ----------------------------------------------------------------------------

    async def api_test(self, call: Call) -> dict[str, Any]:
        """Echo the arguments."""
        return {"args": {k: v for k, v in call.args.items() if isinstance(v, str)}}

    async def auth_test(self, call: Call) -> dict[str, Any]:
        """Describe the token's identity."""
        cfg = self.config
        user = self.state.users[call.actor]
        return {
            "url": f"https://{cfg.team_domain}.slack.com/",
            "team": cfg.team_name,
            "user": user.name,
            "team_id": cfg.team_id,
            "user_id": user.id,
            "bot_id": cfg.bot_id if user.is_bot else None,
            "is_enterprise_install": False,
        }

    async def bots_info(self, call: Call) -> dict[str, Any]:
        """Describe the bot."""
        cfg = self.config
        if call.get("bot", cfg.bot_id) != cfg.bot_id:
            raise SlackError("bot_not_found")
        return {
            "bot": {
                "id": cfg.bot_id,
                "deleted": False,
                "name": cfg.bot_name,
                "app_id": cfg.app_id,
                "user_id": cfg.bot_user_id,
                "icons": {},
            }
        }

    async def team_info(self, call: Call) -> dict[str, Any]:
        """Describe the workspace."""
        cfg = self.config
        return {"team": {"id": cfg.team_id, "name": cfg.team_name, "domain": cfg.team_domain}}
