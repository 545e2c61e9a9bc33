"""The emulator's conversations.*: create, invite, kick, archive, open, info, members, join, list, history, replies; users.conversations."""

from __future__ import annotations

from typing import Any, ClassVar

from emulator.state import Channel
from emulator.webapi.core import _CHANNEL_NAME, Call, SlackError, WebApiCore, paginate


class ConversationMethods(WebApiCore):
    """conversations.*: create, invite, kick, archive, open, info, members, join, list, history, replies; users.conversations."""

    METHOD_ATTRS: ClassVar[dict[str, str]] = {
        "conversations.create": "conversations_create",
        "conversations.invite": "conversations_invite",
        "conversations.kick": "conversations_kick",
        "conversations.archive": "conversations_archive",
        "conversations.unarchive": "conversations_unarchive",
        "conversations.open": "conversations_open",
        "conversations.info": "conversations_info",
        "conversations.members": "conversations_members",
        "conversations.join": "conversations_join",
        "conversations.list": "conversations_list",
        "conversations.history": "conversations_history",
        "conversations.replies": "conversations_replies",
        "users.conversations": "users_conversations",
    }

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
