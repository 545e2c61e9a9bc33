"""The Slack Web API subset the bot calls, served under `/api/{method}`.

Requests are accepted as Slack accepts them: query string, form-encoded or JSON bodies, with the
token in `Authorization: Bearer …` or a `token` parameter. Errors are HTTP 200 with
`{"ok": false, "error": …}`, except rate limits (429 + Retry-After) and injected 5xx faults.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from emulator.blocks import TEXT_LIMIT, normalize_blocks, validate_blocks, validate_view
from emulator.config import EmulatorConfig
from emulator.ratelimit import (
    CallLog,
    CallRecord,
    FaultInjector,
    RateLimiter,
    content_hash,
    retry_after_header,
)
from emulator.state import Channel, Ephemeral, File, Message, User, View, WorkspaceState, new_id

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


class WebApi:
    """Serve the Web API against a `WorkspaceState`."""

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
            "api.test": self.api_test,
            "auth.test": self.auth_test,
            "bots.info": self.bots_info,
            "team.info": self.team_info,
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.delete": self.chat_delete,
            "chat.getPermalink": self.chat_get_permalink,
            "conversations.create": self.conversations_create,
            "conversations.invite": self.conversations_invite,
            "conversations.kick": self.conversations_kick,
            "conversations.archive": self.conversations_archive,
            "conversations.unarchive": self.conversations_unarchive,
            "conversations.open": self.conversations_open,
            "conversations.info": self.conversations_info,
            "conversations.members": self.conversations_members,
            "conversations.join": self.conversations_join,
            "conversations.list": self.conversations_list,
            "conversations.history": self.conversations_history,
            "conversations.replies": self.conversations_replies,
            "users.info": self.users_info,
            "users.lookupByEmail": self.users_lookup_by_email,
            "users.list": self.users_list,
            "users.conversations": self.users_conversations,
            "views.open": self.views_open,
            "views.push": self.views_push,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "files.getUploadURLExternal": self.files_get_upload_url_external,
            "files.completeUploadExternal": self.files_complete_upload_external,
            "files.info": self.files_info,
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
        app.router.add_post("/_upload/{file_id}", self.upload)
        app.router.add_get("/_files/{file_id}/{name}", self.download)

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

    # -- chat ----------------------------------------------------------------------------------

    async def chat_post_message(self, call: Call) -> dict[str, Any]:
        """Post a message; a user id as channel opens the DM like Slack does."""
        channel = self._conversation(call.get("channel"), call, open_im=True)
        self._check_can_post(channel, call)
        text, blocks, attachments = self._content(call)
        thread_ts = call.get("thread_ts")
        if thread_ts is not None:
            thread_ts = str(thread_ts)
            parent = self.state.find_message(channel.id, thread_ts)
            if parent is not None and parent.thread_ts:
                thread_ts = parent.thread_ts
        message = Message(
            channel=channel.id,
            ts=self.state.next_ts(),
            user=call.actor,
            text=text,
            blocks=blocks,
            attachments=attachments,
            thread_ts=thread_ts,
            bot_id=self.config.bot_id,
            metadata=call.get("metadata"),
        )
        self.state.add_message(message)
        call.ts = message.ts
        if channel.is_im and channel.im_user:
            call.notes["user"] = channel.im_user
        return {"channel": channel.id, "ts": message.ts, "message": self._message_json(message)}

    async def chat_update(self, call: Call) -> dict[str, Any]:
        """Edit a message the bot posted."""
        channel = self._conversation(call.get("channel"), call)
        if channel.is_archived:
            raise SlackError("is_archived")
        ts = str(call.require("ts"))
        message = self.state.find_message(channel.id, ts)
        if message is None:
            raise SlackError("message_not_found")
        if message.user != call.actor:
            raise SlackError("cant_update_message")
        text, blocks, attachments = self._content(call, required=False)
        if call.get("text") is not None:
            message.text = text
        if call.get("blocks") is not None:
            message.blocks = blocks
        if call.get("attachments") is not None:
            message.attachments = attachments
        message.edited = {"user": call.actor, "ts": self.state.next_ts()}
        self.state.touch()
        call.ts = ts
        return {
            "channel": channel.id,
            "ts": ts,
            "text": message.text,
            "message": self._message_json(message),
        }

    async def chat_post_ephemeral(self, call: Call) -> dict[str, Any]:
        """Show a message to one person in a conversation."""
        channel = self._conversation(call.get("channel"), call, open_im=True)
        self._check_can_post(channel, call)
        user = self._user(call.get("user"))
        if user.id not in channel.members:
            raise SlackError("user_not_in_channel")
        text, blocks, _ = self._content(call)
        ephemeral = Ephemeral(
            channel=channel.id,
            ts=self.state.next_ts(),
            user=user.id,
            text=text,
            blocks=blocks,
            thread_ts=call.get("thread_ts"),
            author=call.actor,
        )
        self.state.add_ephemeral(ephemeral)
        call.ts = ephemeral.ts
        return {"message_ts": ephemeral.ts}

    async def chat_delete(self, call: Call) -> dict[str, Any]:
        """Delete a message the bot posted."""
        channel = self._conversation(call.get("channel"), call)
        ts = str(call.require("ts"))
        message = self.state.find_message(channel.id, ts)
        if message is None:
            raise SlackError("message_not_found")
        if message.user != call.actor:
            raise SlackError("cant_delete_message")
        self.state.delete_message(channel.id, ts)
        call.ts = ts
        return {"channel": channel.id, "ts": ts}

    async def chat_get_permalink(self, call: Call) -> dict[str, Any]:
        """Return a link to a message."""
        channel = self._conversation(call.get("channel"), call)
        ts = str(call.require("message_ts"))
        if self.state.find_message(channel.id, ts) is None:
            raise SlackError("message_not_found")
        link = f"{self.base_url}/ui?c={channel.id}#m{ts.replace('.', '')}"
        return {"channel": channel.id, "permalink": link}

    # -- conversations -------------------------------------------------------------------------

    async def conversations_create(self, call: Call) -> dict[str, Any]:
        """Create a public or private channel with the bot as its first member."""
        name = call.get("name")
        if not name:
            raise SlackError("invalid_name_required")
        name = str(name)
        if len(name) > 80:
            raise SlackError("invalid_name_maxlength")
        if name != name.lower() or not _CHANNEL_NAME.match(name):
            raise SlackError("invalid_name_specials")
        if self.state.channel_by_name(name) is not None:
            raise SlackError("name_taken")
        channel = self.state.add_channel(
            name, is_private=call.flag("is_private"), creator=call.actor
        )
        call.channel = channel.id
        return {"channel": channel.to_slack(viewer=call.actor)}

    async def conversations_invite(self, call: Call) -> dict[str, Any]:
        """Add people to a channel the bot is in."""
        channel = self._conversation(call.get("channel"), call)
        if channel.is_im or channel.is_mpim:
            raise SlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SlackError("is_archived")
        self._require_member(channel, call)
        user_ids = call.id_list("users")
        if not user_ids:
            raise SlackError("no_user")
        if len(user_ids) > 1000:
            raise SlackError("too_many_users")
        errors: list[dict[str, Any]] = []
        to_add: list[str] = []
        for uid in user_ids:
            user = self.state.users.get(uid)
            if uid == call.actor:
                errors.append({"user": uid, "ok": False, "error": "cant_invite_self"})
            elif user is None:
                errors.append({"user": uid, "ok": False, "error": "user_not_found"})
            elif user.deleted:
                errors.append({"user": uid, "ok": False, "error": "user_is_deactivated"})
            elif uid in channel.members:
                errors.append({"user": uid, "ok": False, "error": "already_in_channel"})
            else:
                to_add.append(uid)
        if errors and (not call.flag("force") or not to_add):
            first = errors[0]["error"]
            raise SlackError(first, errors=errors)
        for uid in to_add:
            channel.members.append(uid)
        self.state.touch()
        for uid in to_add:
            self._member_joined(uid, channel, call.actor)
        result: dict[str, Any] = {"channel": channel.to_slack(viewer=call.actor)}
        if errors:
            result["errors"] = errors
        return result

    async def conversations_kick(self, call: Call) -> dict[str, Any]:
        """Remove a person from a channel the bot is in."""
        channel = self._conversation(call.get("channel"), call)
        if channel.is_im or channel.is_mpim:
            raise SlackError("method_not_supported_for_channel_type")
        self._require_member(channel, call)
        user = self._user(call.get("user"))
        if user.id == call.actor:
            raise SlackError("cant_kick_self")
        if user.id not in channel.members:
            raise SlackError("not_in_channel")
        channel.members.remove(user.id)
        self.state.touch()
        return {}

    async def conversations_archive(self, call: Call) -> dict[str, Any]:
        """Archive a channel."""
        channel = self._conversation(call.get("channel"), call)
        if channel.is_im or channel.is_mpim:
            raise SlackError("method_not_supported_for_channel_type")
        if channel.is_general:
            raise SlackError("cant_archive_general")
        if channel.is_archived:
            raise SlackError("already_archived")
        self._require_member(channel, call)
        channel.is_archived = True
        self.state.touch()
        return {}

    async def conversations_unarchive(self, call: Call) -> dict[str, Any]:
        """Bring an archived channel back."""
        channel = self._conversation(call.get("channel"), call)
        if not channel.is_archived:
            raise SlackError("not_archived")
        channel.is_archived = False
        self.state.touch()
        return {}

    async def conversations_open(self, call: Call) -> dict[str, Any]:
        """Open (or find) a DM or group DM with people, or resume one by channel id."""
        if call.get("channel"):
            channel = self._conversation(call.get("channel"), call)
            return {"channel": channel.to_slack() if call.flag("return_im") else {"id": channel.id}}
        user_ids = [u for u in call.id_list("users") if u != call.actor]
        if not user_ids:
            raise SlackError(
                "users_list_not_supplied" if not call.get("users") else "not_enough_users"
            )
        if len(user_ids) > 8:
            raise SlackError("too_many_users")
        missing = [u for u in user_ids if u not in self.state.users]
        if missing:
            raise SlackError("user_not_found" if len(user_ids) == 1 else "users_not_found")
        if len(user_ids) == 1:
            channel, created = self.state.open_im(user_ids[0], call.actor)
        else:
            channel, created = self.state.open_mpim(user_ids)
        call.channel = channel.id
        data = channel.to_slack() if call.flag("return_im") else {"id": channel.id}
        result: dict[str, Any] = {"channel": data}
        if not created:
            result.update({"no_op": True, "already_open": True})
        return result

    async def conversations_info(self, call: Call) -> dict[str, Any]:
        """Describe a conversation."""
        channel = self._conversation(call.get("channel"), call)
        data = channel.to_slack(viewer=call.actor, num_members=call.flag("include_num_members"))
        if call.flag("include_locale"):
            data["locale"] = "nb-NO"
        return {"channel": data}

    async def conversations_members(self, call: Call) -> dict[str, Any]:
        """List a conversation's members, a page at a time."""
        channel = self._conversation(call.get("channel"), call)
        page, cursor = paginate(channel.members, call, default_limit=100, max_limit=1000)
        return {"members": page, "response_metadata": {"next_cursor": cursor}}

    async def conversations_join(self, call: Call) -> dict[str, Any]:
        """Join a public channel."""
        channel = self._conversation(call.get("channel"), call)
        if channel.is_private or channel.is_im or channel.is_mpim:
            raise SlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SlackError("is_archived")
        result: dict[str, Any] = {}
        if call.actor in channel.members:
            result["warning"] = "already_in_channel"
            result["response_metadata"] = {"warnings": ["already_in_channel"]}
        else:
            channel.members.append(call.actor)
            self.state.touch()
            self._member_joined(call.actor, channel, None)
        result["channel"] = channel.to_slack(viewer=call.actor)
        return result

    def _visible(
        self, call: Call, types: list[str], exclude_archived: bool, member: str | None
    ) -> list[Channel]:
        """Return conversations of `types` the caller can see (and `member` belongs to)."""
        wanted = set(types or ["public_channel"])
        out: list[Channel] = []
        for channel in self.state.channels.values():
            if channel.is_im:
                kind = "im"
            elif channel.is_mpim:
                kind = "mpim"
            else:
                kind = "private_channel" if channel.is_private else "public_channel"
            if kind not in wanted or (exclude_archived and channel.is_archived):
                continue
            if kind != "public_channel" and call.actor not in channel.members:
                continue
            if member is not None and member not in channel.members:
                continue
            out.append(channel)
        return sorted(out, key=lambda c: c.created)

    async def conversations_list(self, call: Call) -> dict[str, Any]:
        """List conversations the caller can see, a page at a time."""
        channels = self._visible(call, call.id_list("types"), call.flag("exclude_archived"), None)
        page, cursor = paginate(channels, call, default_limit=100, max_limit=1000)
        return {
            "channels": [c.to_slack(viewer=call.actor) for c in page],
            "response_metadata": {"next_cursor": cursor},
        }

    async def users_conversations(self, call: Call) -> dict[str, Any]:
        """List the conversations a person (default: the caller) belongs to."""
        user = call.get("user", call.actor)
        self._user(user)
        channels = self._visible(call, call.id_list("types"), call.flag("exclude_archived"), user)
        page, cursor = paginate(channels, call, default_limit=100, max_limit=1000)
        return {
            "channels": [c.to_slack(viewer=call.actor) for c in page],
            "response_metadata": {"next_cursor": cursor},
        }

    async def conversations_history(self, call: Call) -> dict[str, Any]:
        """Return a conversation's top-level messages, newest first."""
        channel = self._conversation(call.get("channel"), call)
        self._require_member(channel, call)
        messages = list(reversed(self.state.channel_messages(channel.id)))
        page, cursor = paginate(messages, call, default_limit=100, max_limit=999)
        return {
            "messages": [self._message_json(m) for m in page],
            "has_more": bool(cursor),
            "response_metadata": {"next_cursor": cursor},
        }

    async def conversations_replies(self, call: Call) -> dict[str, Any]:
        """Return a thread, parent first."""
        channel = self._conversation(call.get("channel"), call)
        self._require_member(channel, call)
        ts = str(call.require("ts"))
        parent = self.state.find_message(channel.id, ts)
        if parent is None:
            raise SlackError("thread_not_found")
        messages = [parent, *self.state.thread_replies(channel.id, ts)]
        page, cursor = paginate(messages, call, default_limit=1000, max_limit=1000)
        return {
            "messages": [self._message_json(m) for m in page],
            "has_more": bool(cursor),
            "response_metadata": {"next_cursor": cursor},
        }

    # -- users ---------------------------------------------------------------------------------

    async def users_info(self, call: Call) -> dict[str, Any]:
        """Describe a person."""
        user = self._user(call.get("user"))
        call.notes["user"] = user.id
        return {
            "user": user.to_slack(self.config.team_id, include_locale=call.flag("include_locale"))
        }

    async def users_lookup_by_email(self, call: Call) -> dict[str, Any]:
        """Find a person by email."""
        email = call.get("email")
        if not email:
            raise SlackError("invalid_arguments")
        user = self.state.user_by_email(str(email))
        if user is None:
            raise SlackError("users_not_found")
        return {"user": user.to_slack(self.config.team_id)}

    async def users_list(self, call: Call) -> dict[str, Any]:
        """List everyone in the workspace, a page at a time."""
        users = list(self.state.users.values())
        page, cursor = paginate(users, call, default_limit=1000, max_limit=1000)
        include_locale = call.flag("include_locale")
        return {
            "members": [
                u.to_slack(self.config.team_id, include_locale=include_locale) for u in page
            ],
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": cursor},
        }

    # -- views ---------------------------------------------------------------------------------

    def _view_arg(self, call: Call, kind: str | None = None) -> dict[str, Any]:
        view = call.get("view")
        if not isinstance(view, dict):
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] missing required field: view"]},
            )
        errors = validate_view(view)
        if kind is not None and view.get("type") != kind:
            errors.insert(0, f"must be `{kind}` [json-pointer:/view/type]")
        if errors:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
            )
        view = dict(view)
        view["blocks"] = normalize_blocks(view.get("blocks") or [])
        return view

    def _trigger_user(self, call: Call) -> str:
        trigger_id = call.get("trigger_id")
        if not trigger_id:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] missing required field: trigger_id"]},
            )
        trigger = self.state.triggers.get(str(trigger_id))
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if time.monotonic() - trigger.issued > self.config.trigger_ttl:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger.user_id

    def _new_view(self, user_id: str, payload: dict[str, Any], previous: View | None) -> View:
        view = View(
            id=new_id("V"),
            user_id=user_id,
            type=payload["type"],
            payload=payload,
            hash=f"{time.time():.6f}.{secrets.token_hex(4)}",
            previous_view_id=previous.id if previous else None,
            root_view_id=(previous.root_view_id or previous.id) if previous else None,
        )
        self.state.views[view.id] = view
        return view

    def _view_json(self, view: View) -> dict[str, Any]:
        cfg = self.config
        return view.to_slack(cfg.team_id, cfg.app_id, cfg.bot_id)

    async def views_open(self, call: Call) -> dict[str, Any]:
        """Open a modal for the person whose interaction issued the trigger."""
        user_id = self._trigger_user(call)
        payload = self._view_arg(call, "modal")
        view = self._new_view(user_id, payload, None)
        self.state.modal_stacks[user_id] = [view]
        self.state.touch()
        return {"view": self._view_json(view)}

    async def views_push(self, call: Call) -> dict[str, Any]:
        """Push a modal on top of the person's open modal."""
        user_id = self._trigger_user(call)
        payload = self._view_arg(call, "modal")
        stack = self.state.modal_stacks.setdefault(user_id, [])
        if len(stack) >= 3:
            raise SlackError("push_limit_reached")
        view = self._new_view(user_id, payload, stack[-1] if stack else None)
        stack.append(view)
        self.state.touch()
        return {"view": self._view_json(view)}

    async def views_update(self, call: Call) -> dict[str, Any]:
        """Replace an open modal (or Home view) by view_id or external_id."""
        view_id = call.get("view_id")
        external_id = call.get("external_id")
        if not view_id and not external_id:
            raise SlackError("invalid_arguments")
        view: View | None = None
        if view_id:
            view = self.state.views.get(str(view_id))
        else:
            view = next(
                (
                    v
                    for v in self.state.views.values()
                    if v.payload.get("external_id") == external_id
                ),
                None,
            )
        if view is None:
            raise SlackError("not_found")
        if call.get("hash") and call.get("hash") != view.hash:
            raise SlackError("hash_conflict")
        payload = self._view_arg(call, view.type)
        view.payload = payload
        view.hash = f"{time.time():.6f}.{secrets.token_hex(4)}"
        view.errors = {}
        view.values = {}
        self.state.touch()
        return {"view": self._view_json(view)}

    async def views_publish(self, call: Call) -> dict[str, Any]:
        """Publish a person's App Home view."""
        user = self._user(call.get("user_id"))
        payload = self._view_arg(call, "home")
        view = self.state.home_views.get(user.id)
        if view is not None and call.get("hash") and call.get("hash") != view.hash:
            raise SlackError("hash_conflict")
        if view is None:
            view = self._new_view(user.id, payload, None)
            self.state.home_views[user.id] = view
        else:
            view.payload = payload
            view.hash = f"{time.time():.6f}.{secrets.token_hex(4)}"
            view.values = {}
        self.state.touch()
        call.notes["user"] = user.id
        return {"view": self._view_json(view)}

    # -- files ---------------------------------------------------------------------------------

    async def files_get_upload_url_external(self, call: Call) -> dict[str, Any]:
        """Reserve a file id and hand out the URL to upload its bytes to."""
        filename = call.require("filename")
        length = call.integer("length", -1)
        if length < 0:
            raise SlackError("invalid_arguments")
        file = File(
            id=new_id("F"),
            name=str(filename),
            length=length,
            user=call.actor,
            alt_txt=call.get("alt_txt"),
        )
        self.state.files[file.id] = file
        return {"upload_url": f"{self.base_url}/_upload/{file.id}", "file_id": file.id}

    async def upload(self, request: web.Request) -> web.Response:
        """Receive a file's bytes at its upload URL, as files.slack.com does."""
        file = self.state.files.get(request.match_info["file_id"])
        if file is None or file.completed:
            return web.Response(status=404, text="not found", content_type="text/plain")
        if request.content_type == "multipart/form-data":
            form = await request.post()
            content = b""
            for value in form.values():
                if hasattr(value, "file"):
                    content = value.file.read()
                    break
        else:
            content = await request.read()
        file.content = content
        self.calls.add(
            CallRecord(seq=0, method="files.upload_url", at=time.time(), status=200, ok=True)
        )
        return web.Response(text=f"OK - {len(content)}", content_type="text/plain")

    async def download(self, request: web.Request) -> web.Response:
        """Serve an uploaded file's bytes."""
        file = self.state.files.get(request.match_info["file_id"])
        if file is None or file.content is None:
            raise web.HTTPNotFound()
        return web.Response(body=file.content, content_type=file.mimetype)

    async def files_complete_upload_external(self, call: Call) -> dict[str, Any]:
        """Finish uploads and share the files in a conversation, like Slack's v2 upload."""
        items = call.get("files")
        if not isinstance(items, list) or not items:
            raise SlackError("invalid_arguments")
        files: list[File] = []
        for item in items:
            file = self.state.files.get(str(item.get("id", "")))
            if file is None or file.content is None or file.user != call.actor:
                raise SlackError("file_not_found")
            if item.get("title"):
                file.title = str(item["title"])
            files.append(file)
        targets = call.id_list("channels") or (
            [str(call.get("channel_id"))] if call.get("channel_id") else []
        )
        channels = [self._conversation(ref, call, open_im=True) for ref in targets]
        for channel in channels:
            self._check_can_post(channel, call)
        for file in files:
            file.completed = True
        for channel in channels:
            for file in files:
                file.channels.append(channel.id)
            message = Message(
                channel=channel.id,
                ts=self.state.next_ts(),
                user=call.actor,
                text=str(call.get("initial_comment") or ""),
                thread_ts=call.get("thread_ts"),
                bot_id=self.config.bot_id,
                files=[f.to_slack(self.base_url) for f in files],
            )
            self.state.add_message(message)
            call.ts = message.ts
        self.state.touch()
        return {"files": [f.to_slack(self.base_url) for f in files]}

    async def files_info(self, call: Call) -> dict[str, Any]:
        """Describe an uploaded file."""
        file = self.state.files.get(str(call.get("file", "")))
        if file is None or not file.completed:
            raise SlackError("file_not_found")
        return {
            "file": file.to_slack(self.base_url),
            "comments": [],
            "response_metadata": {"next_cursor": ""},
        }
