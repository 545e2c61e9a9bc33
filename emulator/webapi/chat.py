"""The emulator's chat.*: post, update, ephemeral, delete, permalink."""

from __future__ import annotations

from typing import Any, ClassVar

from emulator.state import Ephemeral, Message
from emulator.webapi.core import Call, SlackError, WebApiCore


class ChatMethods(WebApiCore):
    """chat.*: post, update, ephemeral, delete, permalink."""

    METHOD_ATTRS: ClassVar[dict[str, str]] = {
        "chat.postMessage": "chat_post_message",
        "chat.update": "chat_update",
        "chat.postEphemeral": "chat_post_ephemeral",
        "chat.delete": "chat_delete",
        "chat.getPermalink": "chat_get_permalink",
    }

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
