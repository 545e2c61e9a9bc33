"""The records of the local Slack workspace: people, conversations, messages, views, files, mail.

Each renders itself as Slack's Web API would (`to_slack`); `emulator.state.WorkspaceState` holds
them and is the only thing that changes them.
"""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass, field
from typing import Any

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
