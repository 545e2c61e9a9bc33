"""The emulator's slash commands and the replies they get (in the HTTP answer or by response_url)."""

from __future__ import annotations

from urllib.parse import urlencode

from emulator.inbound.core import (
    InboundCore,
    InboundResult,
    InteractionError,
)


class CommandsMixin(InboundCore):
    """Slash commands and the replies they get (in the HTTP answer or by response_url)."""

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
