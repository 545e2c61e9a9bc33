"""The emulator's the response_url endpoint the bot posts replies to, with its faults."""

from __future__ import annotations

import json
import time

from aiohttp import web

from emulator.blocks import (
    validate_blocks,
)
from emulator.inbound.core import (
    InboundCore,
)
from emulator.ratelimit import CallRecord


class ResponsesMixin(InboundCore):
    """The response_url endpoint the bot posts replies to, with its faults."""

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
