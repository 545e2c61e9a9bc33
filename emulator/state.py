"""In-memory state of the local Slack workspace.

Everything runs on one asyncio loop, so plain dicts are enough: no method awaits while it mutates.
Every mutation bumps `version`, which the web UI polls to know when to re-render.
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import string
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from emulator.config import EmulatorConfig

ROLES = ("staff", "participant", "line manager", "alumnus")
_ID_ALPHABET = string.ascii_uppercase + string.digits

_TZ_OFFSETS = {"Europe/Oslo": 3600, "UTC": 0, "Europe/London": 0, "America/New_York": -18000}


def new_id(prefix: str, length: int = 10) -> str:
    """Return a Slack-looking id such as `U07ABCDEF12`."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


@dataclass
class User:
    """A workspace member (a person or the bot)."""

    id: str
    name: str
    real_name: str
    email: str | None = None
    locale: str = "nb-NO"
    tz: str = "Europe/Oslo"
    deleted: bool = False
    is_bot: bool = False
    is_admin: bool = False
    role: str | None = None
    title: str = ""
    updated: int = field(default_factory=lambda: int(time.time()))

    def to_slack(self, team_id: str, *, include_locale: bool = False) -> dict[str, Any]:
        """Return the user object as users.info returns it."""
        profile: dict[str, Any] = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.name,
            "display_name_normalized": self.name,
            "title": self.title,
            "team": team_id,
            "image_48": "",
        }
        if self.email:
            profile["email"] = self.email
        data: dict[str, Any] = {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": _TZ_OFFSETS.get(self.tz, 0),
            "profile": profile,
            "is_admin": self.is_admin,
            "is_owner": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": self.updated,
        }
        if include_locale:
            data["locale"] = self.locale
        return data


@dataclass
class Channel:
    """A conversation: public or private channel, IM or multi-person IM."""

    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    is_mpim: bool = False
    members: list[str] = field(default_factory=list)
    is_archived: bool = False
    creator: str = ""
    created: int = field(default_factory=lambda: int(time.time()))
    topic: str = ""
    purpose: str = ""
    im_user: str | None = None
    is_general: bool = False

    @property
    def channel_type(self) -> str:
        """Return the event `channel_type` (channel, group, im, mpim)."""
        if self.is_im:
            return "im"
        if self.is_mpim:
            return "mpim"
        return "group" if self.is_private else "channel"

    def to_slack(self, *, viewer: str | None = None, num_members: bool = False) -> dict[str, Any]:
        """Return the conversation object as conversations.info returns it."""
        if self.is_im:
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.im_user,
                "is_user_deleted": False,
                "priority": 0,
            }
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private and not self.is_mpim,
            "is_group": self.is_private and not self.is_mpim,
            "is_im": False,
            "is_mpim": self.is_mpim,
            "is_private": self.is_private or self.is_mpim,
            "created": self.created,
            "is_archived": self.is_archived,
            "is_general": self.is_general,
            "unlinked": 0,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "creator": self.creator,
            "topic": {"value": self.topic, "creator": "", "last_set": 0},
            "purpose": {"value": self.purpose, "creator": "", "last_set": 0},
            "previous_names": [],
        }
        if viewer is not None:
            data["is_member"] = viewer in self.members
        if num_members:
            data["num_members"] = len(self.members)
        return data


@dataclass
class Message:
    """A message in a conversation (posted by the bot or by a person)."""

    channel: str
    ts: str
    user: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    bot_id: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    edited: dict[str, str] | None = None
    reply_count: int = 0
    subtype: str | None = None

    def to_slack(self, team_id: str, app_id: str | None = None) -> dict[str, Any]:
        """Return the message object as chat.postMessage / history returns it."""
        data: dict[str, Any] = {
            "type": "message",
            "user": self.user,
            "ts": self.ts,
            "team": team_id,
        }
        data["text"] = self.text
        if self.blocks:
            data["blocks"] = self.blocks
        if self.attachments:
            data["attachments"] = self.attachments
        if self.bot_id:
            data["bot_id"] = self.bot_id
            if app_id:
                data["app_id"] = app_id
        if self.thread_ts:
            data["thread_ts"] = self.thread_ts
        if self.reply_count:
            data["reply_count"] = self.reply_count
        if self.files:
            data["files"] = self.files
            data["upload"] = False
        if self.metadata:
            data["metadata"] = self.metadata
        if self.edited:
            data["edited"] = self.edited
        if self.subtype:
            data["subtype"] = self.subtype
        return data


@dataclass
class Ephemeral:
    """A message only one person sees (chat.postEphemeral, slash command or response_url reply)."""

    channel: str
    ts: str
    user: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    author: str | None = None


@dataclass
class View:
    """A modal or an App Home view."""

    id: str
    user_id: str
    type: str
    payload: dict[str, Any]
    hash: str
    root_view_id: str | None = None
    previous_view_id: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_slack(self, team_id: str, app_id: str, bot_id: str) -> dict[str, Any]:
        """Return the view object as views.open returns it (and payloads carry it)."""
        p = self.payload
        data: dict[str, Any] = {
            "id": self.id,
            "team_id": team_id,
            "type": self.type,
            "blocks": p.get("blocks", []),
            "private_metadata": p.get("private_metadata", ""),
            "callback_id": p.get("callback_id", ""),
            "state": {"values": self.values},
            "hash": self.hash,
            "clear_on_close": bool(p.get("clear_on_close", False)),
            "notify_on_close": bool(p.get("notify_on_close", False)),
            "root_view_id": self.root_view_id or self.id,
            "previous_view_id": self.previous_view_id,
            "app_id": app_id,
            "external_id": p.get("external_id", ""),
            "app_installed_team_id": team_id,
            "bot_id": bot_id,
        }
        for key in ("title", "submit", "close"):
            data[key] = p.get(key)
        return data


@dataclass
class Trigger:
    """A trigger_id handed to the bot in an interaction payload."""

    id: str
    user_id: str
    issued: float
    used: bool = False


@dataclass
class ResponseUrl:
    """A response_url handed to the bot; where its replies go."""

    id: str
    user_id: str
    channel_id: str
    issued: float
    message_ts: str | None = None
    is_ephemeral: bool = False
    uses: int = 0


@dataclass
class File:
    """A file uploaded through files.getUploadURLExternal."""

    id: str
    name: str
    length: int
    user: str
    title: str = ""
    alt_txt: str | None = None
    content: bytes | None = None
    created: int = field(default_factory=lambda: int(time.time()))
    channels: list[str] = field(default_factory=list)
    completed: bool = False

    @property
    def mimetype(self) -> str:
        """Guess the MIME type from the file name."""
        import mimetypes

        return mimetypes.guess_type(self.name)[0] or "application/octet-stream"

    def to_slack(self, base_url: str) -> dict[str, Any]:
        """Return the file object as files.completeUploadExternal returns it."""
        ext = self.name.rsplit(".", 1)[-1].lower() if "." in self.name else "binary"
        from urllib.parse import quote

        name = quote(self.name, safe="")  # as Slack does: a name is never a path
        return {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.name,
            "title": self.title or self.name,
            "mimetype": self.mimetype,
            "filetype": ext,
            "pretty_type": ext.upper(),
            "user": self.user,
            "size": len(self.content or b""),
            "mode": "hosted",
            "is_external": False,
            "is_public": False,
            "url_private": f"{base_url}/_files/{self.id}/{name}",
            "url_private_download": f"{base_url}/_files/{self.id}/{name}?download=1",
            "permalink": f"{base_url}/_files/{self.id}/{name}",
            "channels": list(self.channels),
            "groups": [],
            "ims": [],
            "shares": {},
            "alt_txt": self.alt_txt,
        }


@dataclass
class Email:
    """A mail received by the SMTP sink."""

    id: int
    mail_from: str
    to: list[str]
    subject: str
    text: str | None
    html: str | None
    received: float
    raw: bytes = b""


@dataclass
class Notice:
    """Something a person would see go wrong, such as "cohortbot didn't respond"."""

    user_id: str | None
    kind: str
    text: str
    at: float = field(default_factory=time.time)
    channel_id: str | None = None


class WorkspaceState:
    """The whole workspace: people, conversations, messages, views, files, mail and notices."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, list[Message]] = {}
        self.ephemerals: list[Ephemeral] = []
        self.home_views: dict[str, View] = {}
        self.modal_stacks: dict[str, list[View]] = {}
        self.views: dict[str, View] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.files: dict[str, File] = {}
        self.emails: list[Email] = []
        self.notices: list[Notice] = []
        self.version = 0
        self._ts_last = 0.0
        self._email_ids = itertools.count(1)
        self._ims: dict[frozenset[str], str] = {}
        cfg = self.config
        self.tokens: dict[str, str] = {token: cfg.bot_user_id for token in cfg.bot_tokens}
        self.add_user(
            cfg.bot_name,
            real_name=cfg.bot_name,
            user_id=cfg.bot_user_id,
            is_bot=True,
            locale="en-US",
        )

    # -- bookkeeping ---------------------------------------------------------------------------

    def touch(self) -> None:
        """Mark the state as changed so pollers re-render."""
        self.version += 1

    def next_ts(self) -> str:
        """Return a unique, increasing message timestamp such as `1767225600.000100`."""
        now = max(time.time(), self._ts_last + 0.000001)
        self._ts_last = now
        return f"{now:.6f}"

    @property
    def bot_user_id(self) -> str:
        """Return the bot's user id."""
        return self.config.bot_user_id

    # -- seeding -------------------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        *,
        real_name: str | None = None,
        email: str | None = None,
        locale: str = "nb-NO",
        tz: str = "Europe/Oslo",
        role: str | None = None,
        deleted: bool = False,
        is_bot: bool = False,
        is_admin: bool = False,
        title: str = "",
        user_id: str | None = None,
    ) -> User:
        """Add a person (or bot) to the workspace and return it."""
        uid = user_id or new_id("U")
        if uid in self.users:
            raise ValueError(f"user {uid} exists")
        user = User(
            id=uid,
            name=name,
            real_name=real_name or name,
            email=email.lower() if email else None,
            locale=locale,
            tz=tz,
            role=role,
            deleted=deleted,
            is_bot=is_bot,
            is_admin=is_admin,
            title=title,
        )
        self.users[uid] = user
        self.touch()
        return user

    def add_channel(
        self,
        name: str,
        *,
        members: list[str] | tuple[str, ...] = (),
        is_private: bool = False,
        bot_member: bool = True,
        creator: str | None = None,
        topic: str = "",
        purpose: str = "",
        is_general: bool = False,
        channel_id: str | None = None,
    ) -> Channel:
        """Add a public or private channel; the bot is a member unless `bot_member=False`."""
        if self.channel_by_name(name) is not None:
            raise ValueError(f"channel #{name} exists")
        cid = channel_id or new_id("C")
        member_ids = list(dict.fromkeys(members))
        if bot_member and self.bot_user_id not in member_ids:
            member_ids.append(self.bot_user_id)
        channel = Channel(
            id=cid,
            name=name,
            is_private=is_private,
            members=member_ids,
            creator=creator or self.bot_user_id,
            topic=topic,
            purpose=purpose,
            is_general=is_general,
        )
        self.channels[cid] = channel
        self.messages[cid] = []
        self.touch()
        return channel

    def set_deactivated(self, user_id: str, deactivated: bool = True) -> None:
        """Deactivate (or reactivate) a person."""
        self.users[user_id].deleted = deactivated
        self.users[user_id].updated = int(time.time())
        self.touch()

    # -- lookups -------------------------------------------------------------------------------

    def user_by_email(self, email: str) -> User | None:
        """Find a user by email, case-insensitively."""
        wanted = email.strip().lower()
        return next((u for u in self.users.values() if u.email == wanted), None)

    def channel_by_name(self, name: str) -> Channel | None:
        """Find a named channel (with or without the leading '#')."""
        wanted = name.lstrip("#")
        return next((c for c in self.channels.values() if c.name == wanted and not c.is_im), None)

    def im_between(self, user_a: str, user_b: str) -> Channel | None:
        """Find the IM between two users, if opened."""
        channel_id = self._ims.get(frozenset((user_a, user_b)))
        return self.channels.get(channel_id) if channel_id else None

    def open_im(self, user_id: str, other: str | None = None) -> tuple[Channel, bool]:
        """Return the IM between `user_id` and the bot (or `other`), opening it when needed."""
        peer = other or self.bot_user_id
        existing = self.im_between(user_id, peer)
        if existing is not None:
            return existing, False
        channel = Channel(
            id=new_id("D"),
            name=user_id,
            is_im=True,
            is_private=True,
            members=[peer, user_id] if peer != user_id else [user_id],
            creator=peer,
            im_user=user_id if peer == self.bot_user_id else peer,
        )
        self.channels[channel.id] = channel
        self.messages[channel.id] = []
        self._ims[frozenset((user_id, peer))] = channel.id
        self.touch()
        return channel, True

    def open_mpim(self, user_ids: list[str]) -> tuple[Channel, bool]:
        """Return the multi-person IM for these users and the bot, opening it when needed."""
        members = sorted(set(user_ids) | {self.bot_user_id})
        for channel in self.channels.values():
            if channel.is_mpim and sorted(channel.members) == members:
                return channel, False
        names = "--".join(self.users[m].name for m in members)
        channel = Channel(
            id=new_id("G"),
            name=f"mpdm-{names}-1",
            is_mpim=True,
            is_private=True,
            members=members,
            creator=self.bot_user_id,
        )
        self.channels[channel.id] = channel
        self.messages[channel.id] = []
        self.touch()
        return channel, True

    def conversations_of(self, user_id: str) -> list[Channel]:
        """Return the conversations a person belongs to, channels first, then DMs."""
        mine = [c for c in self.channels.values() if user_id in c.members]
        return sorted(mine, key=lambda c: (c.is_im or c.is_mpim, c.is_archived, c.name))

    def find_message(self, channel_id: str, ts: str) -> Message | None:
        """Find a message by channel and ts."""
        return next((m for m in self.messages.get(channel_id, []) if m.ts == ts), None)

    def channel_messages(self, channel_id: str) -> list[Message]:
        """Return the top-level messages of a conversation, oldest first."""
        return [
            m
            for m in self.messages.get(channel_id, [])
            if m.thread_ts is None or m.thread_ts == m.ts
        ]

    def thread_replies(self, channel_id: str, thread_ts: str) -> list[Message]:
        """Return the replies in a thread, oldest first (without the parent)."""
        return [
            m
            for m in self.messages.get(channel_id, [])
            if m.thread_ts == thread_ts and m.ts != thread_ts
        ]

    def ephemerals_for(self, user_id: str, channel_id: str) -> list[Ephemeral]:
        """Return the ephemeral messages one person sees in a conversation."""
        return [e for e in self.ephemerals if e.user == user_id and e.channel == channel_id]

    def notices_for(self, user_id: str | None) -> list[Notice]:
        """Return the notices meant for one person (or all, with None)."""
        if user_id is None:
            return list(self.notices)
        return [n for n in self.notices if n.user_id in (user_id, None)]

    def top_modal(self, user_id: str) -> View | None:
        """Return the modal a person currently sees, if any."""
        stack = self.modal_stacks.get(user_id) or []
        return stack[-1] if stack else None

    # -- mutations -----------------------------------------------------------------------------

    def add_message(self, message: Message) -> Message:
        """Store a message and bump its thread parent's reply count."""
        self.messages.setdefault(message.channel, []).append(message)
        if message.thread_ts and message.thread_ts != message.ts:
            parent = self.find_message(message.channel, message.thread_ts)
            if parent is not None:
                parent.reply_count += 1
        self.touch()
        return message

    def delete_message(self, channel_id: str, ts: str) -> bool:
        """Remove a message; return whether it existed."""
        msgs = self.messages.get(channel_id, [])
        for i, m in enumerate(msgs):
            if m.ts == ts:
                del msgs[i]
                self.touch()
                return True
        return False

    def add_ephemeral(self, ephemeral: Ephemeral) -> Ephemeral:
        """Store an ephemeral message for one person."""
        self.ephemerals.append(ephemeral)
        self.touch()
        return ephemeral

    def add_notice(
        self, user_id: str | None, kind: str, text: str, channel_id: str | None = None
    ) -> Notice:
        """Record something that went wrong so the person (and tests) can see it."""
        notice = Notice(user_id=user_id, kind=kind, text=text, channel_id=channel_id)
        self.notices.append(notice)
        self.touch()
        return notice

    def issue_trigger(self, user_id: str) -> Trigger:
        """Create a trigger_id for an interaction by `user_id`."""
        tid = f"{int(time.time())}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"
        trigger = Trigger(id=tid, user_id=user_id, issued=time.monotonic())
        self.triggers[tid] = trigger
        return trigger

    def issue_response_url(
        self,
        user_id: str,
        channel_id: str,
        *,
        message_ts: str | None = None,
        is_ephemeral: bool = False,
    ) -> ResponseUrl:
        """Create a response_url record for an interaction in a conversation."""
        rid = secrets.token_urlsafe(18)
        record = ResponseUrl(
            id=rid,
            user_id=user_id,
            channel_id=channel_id,
            issued=time.monotonic(),
            message_ts=message_ts,
            is_ephemeral=is_ephemeral,
        )
        self.response_urls[rid] = record
        return record

    def add_email(
        self,
        *,
        mail_from: str,
        to: list[str],
        subject: str,
        text: str | None,
        html: str | None,
        raw: bytes = b"",
    ) -> Email:
        """Store a mail received by the SMTP sink."""
        email = Email(
            id=next(self._email_ids),
            mail_from=mail_from,
            to=to,
            subject=subject,
            text=text,
            html=html,
            received=time.time(),
            raw=raw,
        )
        self.emails.append(email)
        self.touch()
        return email

    def emails_to(self, address: str) -> list[Email]:
        """Return the mails received for one address."""
        wanted = address.lower()
        return [e for e in self.emails if any(wanted == t.lower() for t in e.to)]

    # -- persistence ---------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Return the lasting part of the workspace as JSON-ready data (modals and triggers excluded)."""
        return {
            "format": 1,
            "users": [asdict(u) for u in self.users.values()],
            "channels": [asdict(c) for c in self.channels.values()],
            "messages": [asdict(m) for msgs in self.messages.values() for m in msgs],
            "ephemerals": [asdict(e) for e in self.ephemerals],
            "home_views": [asdict(v) for v in self.home_views.values()],
            "files": [
                asdict(f) | {"content": base64.b64encode(f.content).decode() if f.content else None}
                for f in self.files.values()
            ],
            "emails": [asdict(e) | {"raw": ""} for e in self.emails],
            "notices": [asdict(n) for n in self.notices],
        }

    def load_json(self, data: dict[str, Any]) -> None:
        """Replace the workspace with data from `to_json` (the bot user is kept from config)."""
        bot = self.users[self.bot_user_id]
        self.users = {u["id"]: User(**u) for u in data.get("users", [])}
        self.users.setdefault(bot.id, bot)
        self.channels = {c["id"]: Channel(**c) for c in data.get("channels", [])}
        self.messages = {cid: [] for cid in self.channels}
        for m in data.get("messages", []):
            self.messages.setdefault(m["channel"], []).append(Message(**m))
        self.ephemerals = [Ephemeral(**e) for e in data.get("ephemerals", [])]
        self.home_views = {v["user_id"]: View(**v) for v in data.get("home_views", [])}
        self.views = {v.id: v for v in self.home_views.values()}
        self.files = {}
        for f in data.get("files", []):
            content = base64.b64decode(f.pop("content")) if f.get("content") else None
            self.files[f["id"]] = File(**f, content=content)
        self.emails = [Email(**(e | {"raw": b""})) for e in data.get("emails", [])]
        self._email_ids = itertools.count(max((e.id for e in self.emails), default=0) + 1)
        self.notices = [Notice(**n) for n in data.get("notices", [])]
        self._ims = {frozenset(c.members): c.id for c in self.channels.values() if c.is_im}
        last = [float(m.ts) for msgs in self.messages.values() for m in msgs]
        self._ts_last = max([self._ts_last, *last])
        self.touch()

    def save(self, path: str | Path) -> None:
        """Write the workspace to a JSON file (atomically)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), ensure_ascii=False), encoding="utf-8")
        tmp.replace(target)

    def load(self, path: str | Path) -> bool:
        """Read the workspace from a JSON file; return False when there is none."""
        source = Path(path)
        if not source.exists():
            return False
        self.load_json(json.loads(source.read_text(encoding="utf-8")))
        return True
