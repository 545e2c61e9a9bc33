"""The emulator's interactivity: button clicks, view submissions and closes, and their response actions."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from emulator.blocks import (
    find_element,
    normalize_blocks,
    validate_view,
)
from emulator.inbound.core import (
    InboundCore,
    InboundResult,
    InteractionError,
    _is_empty,
    state_value,
)
from emulator.state import View, new_id


class InteractionsMixin(InboundCore):
    """Interactivity: button clicks, view submissions and closes, and their response actions."""

    async def _send_payload(self, kind: str, payload: dict[str, Any]) -> InboundResult:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        result = await self._post(kind, body, "application/x-www-form-urlencoded")
        result.user_id = payload.get("user", {}).get("id")
        self.log.append(result)
        return result

    def _action(
        self, block: dict[str, Any], element: dict[str, Any], selection: Any
    ) -> dict[str, Any]:
        kind = element.get("type", "")
        action: dict[str, Any] = {
            "type": kind,
            "action_id": element.get("action_id"),
            "block_id": block.get("block_id"),
            "action_ts": f"{time.time():.6f}",
        }
        if kind == "button":
            action["text"] = element.get("text")
            if "value" in element:
                action["value"] = element["value"]
            if "style" in element:
                action["style"] = element["style"]
        elif kind == "overflow":
            action["selected_option"] = state_value(
                {**element, "type": "static_select"}, selection
            )["selected_option"]
            if action["selected_option"] is None:
                raise InteractionError("overflow needs an option")
        else:
            entry = state_value(element, selection, self.state.users)
            action.update({k: v for k, v in entry.items() if k != "type"})
            if "placeholder" in element:
                action["placeholder"] = element["placeholder"]
            if kind == "datepicker" and "initial_date" in element:
                action["initial_date"] = element["initial_date"]
        return action

    async def click(
        self,
        user_id: str,
        action_id: str,
        *,
        channel_id: str | None = None,
        message_ts: str | None = None,
        view_id: str | None = None,
        block_id: str | None = None,
        value: Any = None,
    ) -> InboundResult:
        """Act on an element (button, select, overflow, datepicker...) in a message or a view.

        `value` is the person's choice: the option value for selects, overflow and radio buttons,
        a list of values for checkboxes, `YYYY-MM-DD` for datepickers, a user id for users_select.
        """
        payload, element, notice_channel = self.click_payload(
            user_id,
            action_id,
            channel_id=channel_id,
            message_ts=message_ts,
            view_id=view_id,
            block_id=block_id,
            value=value,
        )
        result = await self._send_payload("block_actions", payload)
        if not result.acked:
            label = (
                element.get("text", {}).get("text")
                if isinstance(element.get("text"), dict)
                else None
            )
            what = f" to “{label}”" if label else ""
            self._timeout_notice(result, payload["user"]["id"], what, notice_channel)
        return result

    def click_payload(
        self,
        user_id: str,
        action_id: str,
        *,
        channel_id: str | None = None,
        message_ts: str | None = None,
        view_id: str | None = None,
        block_id: str | None = None,
        value: Any = None,
    ) -> tuple[dict[str, Any], dict[str, Any], str | None]:
        """The block_actions payload a click would send (with its response_url issued), the
        element clicked and the channel for a timeout notice; `sign_form` makes it a request
        (benchmarks build a burst's bodies first and send them from elsewhere)."""
        user = self._user(user_id)
        trigger = self.state.issue_trigger(user.id)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user_json(user),
            "api_app_id": self.config.app_id,
            "token": self.config.verification_token,
            "trigger_id": trigger.id,
            "team": self._team_json(),
            "enterprise": None,
            "is_enterprise_install": False,
        }
        notice_channel: str | None = channel_id
        if view_id is not None:
            view = self.state.views.get(view_id)
            if view is None or view.user_id != user.id:
                raise InteractionError(f"no view {view_id} for {user_id}")
            found = find_element(view.payload.get("blocks", []), action_id, block_id)
            if found is None:
                raise InteractionError(f"no element {action_id} in view {view_id}")
            block, element = found
            action = self._action(block, element, value)
            if element.get("type") not in ("button", "overflow"):
                view.values.setdefault(block["block_id"], {})[action_id] = state_value(
                    element, value, self.state.users
                )
            payload["container"] = {"type": "view", "view_id": view.id}
            payload["view"] = self._view_json(view)
            payload["state"] = {"values": view.values}
        else:
            if channel_id is None or message_ts is None:
                raise InteractionError("a click needs a message (channel_id, message_ts) or a view")
            channel = self.state.channels.get(channel_id)
            if channel is None or user.id not in channel.members:
                raise InteractionError(f"{user_id} cannot see {channel_id}")
            message = self.state.find_message(channel_id, message_ts)
            ephemeral = next(
                (e for e in self.state.ephemerals_for(user.id, channel_id) if e.ts == message_ts),
                None,
            )
            blocks = message.blocks if message else ephemeral.blocks if ephemeral else None
            if blocks is None:
                raise InteractionError(f"no message {message_ts} in {channel_id}")
            found = find_element(blocks, action_id, block_id)
            if found is None:
                raise InteractionError(f"no element {action_id} in message {message_ts}")
            block, element = found
            action = self._action(block, element, value)
            response = self.state.issue_response_url(
                user.id, channel_id, message_ts=message_ts, is_ephemeral=message is None
            )
            payload["container"] = {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_id,
                "is_ephemeral": message is None,
            }
            payload["channel"] = {
                "id": channel.id,
                "name": channel.name if not channel.is_im else "directmessage",
            }
            if message is not None:
                payload["message"] = message.to_slack(self.config.team_id, self.config.app_id)
            values: dict[str, dict[str, Any]] = {}
            if element.get("type") not in ("button", "overflow"):
                values[block["block_id"]] = {
                    action_id: state_value(element, value, self.state.users)
                }
            payload["state"] = {"values": values}
            payload["response_url"] = f"{self.base_url}/_respond/{response.id}"
        payload["actions"] = [action]
        return payload, element, notice_channel

    async def submit_view(
        self, user_id: str, view_id: str, values: dict[str, dict[str, Any]] | None = None
    ) -> InboundResult:
        """Submit a modal with the person's input and apply the bot's `response_action`.

        `values` maps block_id → action_id → raw input (string, option value, list for
        checkboxes, `YYYY-MM-DD` for datepickers). Required inputs left empty are refused here,
        as Slack's client refuses them, and the bot is not called.
        """
        user = self._user(user_id)
        view = self.state.views.get(view_id)
        stack = self.state.modal_stacks.get(user.id) or []
        if view is None or view not in stack:
            raise InteractionError(f"no open modal {view_id} for {user_id}")
        values = values or {}
        state_values: dict[str, dict[str, Any]] = {}
        local_errors: dict[str, str] = {}
        for block in view.payload.get("blocks", []):
            if block.get("type") != "input":
                continue
            element = block["element"]
            block_id, action_id = block["block_id"], element["action_id"]
            raw = values.get(block_id, {}).get(action_id)
            try:
                entry = state_value(element, raw, self.state.users)
            except InteractionError as exc:
                local_errors[block_id] = str(exc)
                continue
            state_values[block_id] = {action_id: entry}
            if _is_empty(entry) and not block.get("optional"):
                local_errors[block_id] = "Please fill out this field."
            elif element.get("type") == "plain_text_input" and entry.get("value"):
                text = entry["value"]
                if len(text) < int(element.get("min_length", 0)):
                    local_errors[block_id] = f"Use at least {element['min_length']} characters."
                elif len(text) > int(element.get("max_length", 3000)):
                    local_errors[block_id] = (
                        f"Use at most {element.get('max_length', 3000)} characters."
                    )
            elif element.get("type") == "number_input" and entry.get("value"):
                try:
                    number = float(entry["value"])
                    if not element.get("is_decimal_allowed") and not number.is_integer():
                        raise ValueError(entry["value"])
                except ValueError:
                    local_errors[block_id] = "Enter a number."
        view.values = state_values
        if local_errors:
            view.errors = local_errors
            self.state.touch()
            return InboundResult(
                kind="view_submission", status=None, error="client_validation", user_id=user.id
            )
        trigger = self.state.issue_trigger(user.id)
        payload: dict[str, Any] = {
            "type": "view_submission",
            "team": self._team_json(),
            "user": self._user_json(user),
            "api_app_id": self.config.app_id,
            "token": self.config.verification_token,
            "trigger_id": trigger.id,
            "view": self._view_json(view),
            "response_urls": [],
            "enterprise": None,
            "is_enterprise_install": False,
        }
        result = await self._send_payload("view_submission", payload)
        if not result.acked:
            view.errors = {"": "We had some trouble connecting. Try again?"}
            self._timeout_notice(result, user.id, " to the form", None)
            return result
        self._apply_response_action(user.id, view, result.json())
        return result

    def _apply_response_action(self, user_id: str, view: View, body: Any) -> None:
        stack = self.state.modal_stacks.get(user_id) or []
        action = body.get("response_action") if isinstance(body, dict) else None
        if action is None:
            if view in stack:
                stack.remove(view)
        elif action == "errors":
            errors = body.get("errors") or {}
            view.errors = {str(k): str(v) for k, v in errors.items()}
        elif action in ("update", "push"):
            new_view = body.get("view")
            problems = validate_view(new_view)
            if problems or (isinstance(new_view, dict) and new_view.get("type") != "modal"):
                view.errors = {"": "The app sent an invalid view."}
                self.state.add_notice(user_id, "invalid_response_action", "; ".join(problems))
            elif action == "update":
                new_view = dict(new_view)
                new_view["blocks"] = normalize_blocks(new_view.get("blocks") or [])
                view.payload = new_view
                view.hash = f"{time.time():.6f}.{secrets.token_hex(4)}"
                view.errors, view.values = {}, {}
            elif len(stack) >= 3:
                self.state.add_notice(user_id, "push_limit_reached", "Too many stacked modals")
            else:
                new_view = dict(new_view)
                new_view["blocks"] = normalize_blocks(new_view.get("blocks") or [])
                pushed = View(
                    id=new_id("V"),
                    user_id=user_id,
                    type="modal",
                    payload=new_view,
                    hash=f"{time.time():.6f}.{secrets.token_hex(4)}",
                    previous_view_id=view.id,
                    root_view_id=view.root_view_id or view.id,
                )
                self.state.views[pushed.id] = pushed
                stack.append(pushed)
                view.errors = {}
        elif action == "clear":
            stack.clear()
        else:
            self.state.add_notice(
                user_id, "invalid_response_action", f"unknown response_action {action}"
            )
        self.state.touch()

    async def close_view(
        self, user_id: str, view_id: str, *, clear_all: bool = False
    ) -> InboundResult | None:
        """Close a modal (or the whole stack); send `view_closed` when the view asked for it."""
        user = self._user(user_id)
        view = self.state.views.get(view_id)
        stack = self.state.modal_stacks.get(user.id) or []
        if view is None or view not in stack:
            raise InteractionError(f"no open modal {view_id} for {user_id}")
        notify = bool(view.payload.get("notify_on_close"))
        if clear_all:
            stack.clear()
        else:
            stack.remove(view)
        self.state.touch()
        if not notify:
            return None
        payload: dict[str, Any] = {
            "type": "view_closed",
            "team": self._team_json(),
            "user": self._user_json(user),
            "api_app_id": self.config.app_id,
            "token": self.config.verification_token,
            "view": self._view_json(view),
            "is_cleared": clear_all,
            "enterprise": None,
            "is_enterprise_install": False,
        }
        return await self._send_payload("view_closed", payload)
