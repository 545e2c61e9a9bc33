"""In-memory state of the local Slack workspace.

Everything runs on one asyncio loop, so plain dicts are enough: no method awaits while it mutates.
Every mutation bumps `version`, which the web UI polls to know when to re-render. The records it
holds are in `emulator.records` (re-exported here).
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from emulator.config import EmulatorConfig
from emulator.records import (
    ROLES,
    Channel,
    Email,
    Ephemeral,
    File,
    Message,
    Notice,
    ResponseUrl,
    Trigger,
    User,
    View,
    new_id,
)

__all__ = [
    "ROLES",
    "Channel",
    "Email",
    "Ephemeral",
    "File",
    "Message",
    "Notice",
    "ResponseUrl",
    "Trigger",
    "User",
    "View",
    "WorkspaceState",
    "new_id",
]


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
