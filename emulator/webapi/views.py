"""The emulator's views.open, views.push, views.update, views.publish."""

from __future__ import annotations

import secrets
import time
from typing import Any, ClassVar

from emulator.blocks import normalize_blocks, validate_view
from emulator.state import View, new_id
from emulator.webapi.core import Call, SlackError, WebApiCore


class ViewMethods(WebApiCore):
    """views.open, views.push, views.update, views.publish."""

    METHOD_ATTRS: ClassVar[dict[str, str]] = {
        "views.open": "views_open",
        "views.push": "views_push",
        "views.update": "views_update",
        "views.publish": "views_publish",
    }

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
