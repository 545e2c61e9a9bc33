"""The emulator's events: messages, App Home, members joining, the url_verification handshake."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid
from typing import Any

from emulator.inbound.core import (
    InboundCore,
    InboundResult,
    InteractionError,
)
from emulator.state import Message, new_id


class EventsMixin(InboundCore):
    """Events: messages, App Home, members joining, the url_verification handshake."""

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
