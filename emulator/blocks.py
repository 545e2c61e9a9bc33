"""Check Block Kit payloads against Slack's published limits.

Errors read like Slack's own (`must be less than 3001 characters [json-pointer:/blocks/0/text/text]`)
so a bot's logs look the same against the emulator as against Slack.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
TEXT_LIMIT = 40_000

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}$")

BLOCK_TYPES = {
    "actions",
    "context",
    "divider",
    "file",
    "header",
    "image",
    "input",
    "markdown",
    "rich_text",
    "section",
    "video",
}
INTERACTIVE = {
    "button",
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "email_text_input",
    "multi_static_select",
    "multi_users_select",
    "multi_conversations_select",
    "multi_channels_select",
    "multi_external_select",
    "number_input",
    "overflow",
    "plain_text_input",
    "radio_buttons",
    "static_select",
    "external_select",
    "timepicker",
    "url_text_input",
    "users_select",
    "conversations_select",
    "channels_select",
    "rich_text_input",
    "file_input",
}
INPUT_ELEMENTS = INTERACTIVE - {"button", "overflow"}
ACCESSORY = INTERACTIVE | {"image"}


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, message: str, pointer: str) -> None:
        self.errors.append(f"{message} [json-pointer:{pointer}]")

    def string(
        self, value: Any, pointer: str, *, limit: int | None = None, required: bool = True
    ) -> None:
        if value is None:
            if required:
                self.fail("missing required field", pointer)
            return
        if not isinstance(value, str):
            self.fail("must be a string", pointer)
            return
        if required and not value:
            self.fail("must be more than 0 characters", pointer)
        if limit is not None and len(value) > limit:
            self.fail(f"must be less than {limit + 1} characters", pointer)

    def text(
        self,
        obj: Any,
        pointer: str,
        *,
        limit: int,
        plain_only: bool = False,
        required: bool = True,
    ) -> None:
        if obj is None:
            if required:
                self.fail("missing required field", pointer)
            return
        if not isinstance(obj, dict):
            self.fail("must be an object", pointer)
            return
        kind = obj.get("type")
        allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if kind not in allowed:
            self.fail(f"must be one of {', '.join(allowed)}", pointer + "/type")
        if kind == "mrkdwn" and "emoji" in obj:
            self.fail("`emoji` is only allowed on plain_text", pointer + "/emoji")
        if kind == "plain_text" and "verbatim" in obj:
            self.fail("`verbatim` is only allowed on mrkdwn", pointer + "/verbatim")
        self.string(obj.get("text"), pointer + "/text", limit=limit)

    def option(
        self, obj: Any, pointer: str, *, text_limit: int = 75, plain_only: bool = False
    ) -> None:
        if not isinstance(obj, dict):
            self.fail("must be an object", pointer)
            return
        self.text(obj.get("text"), pointer + "/text", limit=text_limit, plain_only=plain_only)
        self.string(obj.get("value"), pointer + "/value", limit=150)
        if "description" in obj:
            self.text(obj["description"], pointer + "/description", limit=75)

    def options(
        self,
        items: Any,
        pointer: str,
        *,
        lo: int,
        hi: int,
        text_limit: int = 75,
        plain_only: bool = False,
    ) -> None:
        if not isinstance(items, list):
            self.fail("missing required field", pointer)
            return
        if len(items) < lo:
            self.fail(f"must provide at least {lo} items", pointer)
        if len(items) > hi:
            self.fail(f"no more than {hi} items allowed", pointer)
        for i, item in enumerate(items):
            self.option(item, f"{pointer}/{i}", text_limit=text_limit, plain_only=plain_only)

    def initial_choices(self, el: dict[str, Any], pointer: str) -> None:
        """Fail when an initial option is not one of the element's options, as Slack does."""
        initial = []
        if isinstance(el.get("initial_option"), dict):
            initial.append(("initial_option", el["initial_option"]))
        if isinstance(el.get("initial_options"), list):
            initial += [(f"initial_options/{i}", o) for i, o in enumerate(el["initial_options"])]
        if not initial or not ("options" in el or "option_groups" in el):
            return
        values = {o.get("value") for o in all_options(el) if isinstance(o, dict)}
        for where, option in initial:
            if not isinstance(option, dict) or option.get("value") not in values:
                self.fail("must match one of the options", f"{pointer}/{where}")

    def element(self, el: Any, pointer: str, allowed: set[str]) -> None:
        if not isinstance(el, dict):
            self.fail("must be an object", pointer)
            return
        kind = el.get("type")
        if kind not in allowed:
            self.fail(f"unsupported type `{kind}`", pointer + "/type")
            return
        if "action_id" in el:
            self.string(el["action_id"], pointer + "/action_id", limit=255)
        check = self._ELEMENT_CHECKS.get(kind)
        if check is not None:
            check(self, el, pointer)
        self.initial_choices(el, pointer)
        if "placeholder" in el:
            self.text(el["placeholder"], pointer + "/placeholder", limit=150, plain_only=True)
        if "confirm" in el and isinstance(el["confirm"], dict):
            self.confirm(el["confirm"], pointer + "/confirm")

    def confirm(self, conf: dict[str, Any], pointer: str) -> None:
        self.text(conf.get("title"), pointer + "/title", limit=100, plain_only=True)
        self.text(conf.get("text"), pointer + "/text", limit=300)
        self.text(conf.get("confirm"), pointer + "/confirm", limit=30, plain_only=True)
        self.text(conf.get("deny"), pointer + "/deny", limit=30, plain_only=True)

    # --- one check per element type, looked up in _ELEMENT_CHECKS ---

    def _image_element(self, el: dict[str, Any], pointer: str) -> None:
        if not el.get("image_url") and not el.get("slack_file"):
            self.fail("missing required field: image_url", pointer)
        self.string(el.get("alt_text"), pointer + "/alt_text", limit=2000)

    def _button(self, el: dict[str, Any], pointer: str) -> None:
        self.text(el.get("text"), pointer + "/text", limit=75, plain_only=True)
        self.string(el.get("value"), pointer + "/value", limit=2000, required=False)
        self.string(el.get("url"), pointer + "/url", limit=3000, required=False)
        if el.get("style") not in (None, "primary", "danger"):
            self.fail("must be one of primary, danger", pointer + "/style")

    def _static_select(self, el: dict[str, Any], pointer: str) -> None:
        if "option_groups" not in el:
            self.options(el.get("options"), pointer + "/options", lo=1, hi=100, plain_only=True)
            return
        groups = el["option_groups"]
        if not isinstance(groups, list) or len(groups) > 100:
            self.fail("no more than 100 items allowed", pointer + "/option_groups")
            return
        for i, group in enumerate(groups):
            gp = f"{pointer}/option_groups/{i}"
            self.text(group.get("label"), gp + "/label", limit=75, plain_only=True)
            self.options(group.get("options"), gp + "/options", lo=1, hi=100, plain_only=True)

    def _overflow(self, el: dict[str, Any], pointer: str) -> None:
        self.options(el.get("options"), pointer + "/options", lo=1, hi=5, plain_only=True)

    def _choices(self, el: dict[str, Any], pointer: str) -> None:
        self.options(el.get("options"), pointer + "/options", lo=1, hi=10, text_limit=150)

    def _datepicker(self, el: dict[str, Any], pointer: str) -> None:
        date = el.get("initial_date")
        if date is not None and not (isinstance(date, str) and _DATE.match(date)):
            self.fail("must match YYYY-MM-DD", pointer + "/initial_date")

    def _timepicker(self, el: dict[str, Any], pointer: str) -> None:
        value = el.get("initial_time")
        if value is not None and not (isinstance(value, str) and _TIME.match(value)):
            self.fail("must match HH:mm", pointer + "/initial_time")

    def _plain_text_input(self, el: dict[str, Any], pointer: str) -> None:
        self.string(el.get("initial_value"), pointer + "/initial_value", required=False)
        for key in ("min_length", "max_length"):
            if key in el and not isinstance(el[key], int):
                self.fail("must be an integer", f"{pointer}/{key}")

    def _number_input(self, el: dict[str, Any], pointer: str) -> None:
        if "is_decimal_allowed" not in el:
            self.fail("missing required field: is_decimal_allowed", pointer)

    _ELEMENT_CHECKS: ClassVar[dict[str, Callable[[_Checker, dict[str, Any], str], None]]] = {
        "image": _image_element,
        "button": _button,
        "static_select": _static_select,
        "multi_static_select": _static_select,
        "overflow": _overflow,
        "radio_buttons": _choices,
        "checkboxes": _choices,
        "datepicker": _datepicker,
        "timepicker": _timepicker,
        "plain_text_input": _plain_text_input,
        "number_input": _number_input,
    }

    def block(self, block: Any, pointer: str) -> None:
        if not isinstance(block, dict):
            self.fail("must be an object", pointer)
            return
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            self.fail(f"unsupported type `{kind}`", pointer + "/type")
            return
        if "block_id" in block:
            self.string(block["block_id"], pointer + "/block_id", limit=255)
        check = self._BLOCK_CHECKS.get(kind)
        if check is not None:
            check(self, block, pointer)

    # --- one check per block type, looked up in _BLOCK_CHECKS ---

    def _section(self, block: dict[str, Any], pointer: str) -> None:
        if block.get("text") is None and not block.get("fields"):
            self.fail("must provide either text or fields", pointer)
        if block.get("text") is not None:
            self.text(block["text"], pointer + "/text", limit=3000)
        fields = block.get("fields")
        if fields is not None:
            if not isinstance(fields, list) or len(fields) > 10:
                self.fail("no more than 10 items allowed", pointer + "/fields")
            else:
                for i, f in enumerate(fields):
                    self.text(f, f"{pointer}/fields/{i}", limit=2000)
        if block.get("accessory") is not None:
            self.element(block["accessory"], pointer + "/accessory", ACCESSORY)

    def _header(self, block: dict[str, Any], pointer: str) -> None:
        self.text(block.get("text"), pointer + "/text", limit=150, plain_only=True)

    def _elements(self, block: dict[str, Any], pointer: str, most: int) -> list[Any] | None:
        """The block's elements when there are 1 to `most`; None (reported) otherwise."""
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.fail("must provide at least 1 items", pointer + "/elements")
        elif len(elements) > most:
            self.fail(f"no more than {most} items allowed", pointer + "/elements")
        else:
            return elements
        return None

    def _context(self, block: dict[str, Any], pointer: str) -> None:
        for i, el in enumerate(self._elements(block, pointer, 10) or ()):
            ep = f"{pointer}/elements/{i}"
            if isinstance(el, dict) and el.get("type") == "image":
                self.element(el, ep, {"image"})
            else:
                self.text(el, ep, limit=3000)

    def _image_block(self, block: dict[str, Any], pointer: str) -> None:
        if not block.get("image_url") and not block.get("slack_file"):
            self.fail("missing required field: image_url", pointer)
        self.string(block.get("alt_text"), pointer + "/alt_text", limit=2000)
        if block.get("title") is not None:
            self.text(block["title"], pointer + "/title", limit=2000, plain_only=True)

    def _actions(self, block: dict[str, Any], pointer: str) -> None:
        for i, el in enumerate(self._elements(block, pointer, 25) or ()):
            self.element(el, f"{pointer}/elements/{i}", INTERACTIVE)

    def _input(self, block: dict[str, Any], pointer: str) -> None:
        self.text(block.get("label"), pointer + "/label", limit=2000, plain_only=True)
        if block.get("element") is None:
            self.fail("missing required field: element", pointer)
        else:
            self.element(block["element"], pointer + "/element", INPUT_ELEMENTS)
        if block.get("hint") is not None:
            self.text(block["hint"], pointer + "/hint", limit=2000, plain_only=True)

    def _markdown(self, block: dict[str, Any], pointer: str) -> None:
        self.string(block.get("text"), pointer + "/text", limit=12_000)

    def _rich_text(self, block: dict[str, Any], pointer: str) -> None:
        if not isinstance(block.get("elements"), list):
            self.fail("missing required field: elements", pointer + "/elements")

    _BLOCK_CHECKS: ClassVar[dict[str, Callable[[_Checker, dict[str, Any], str], None]]] = {
        "section": _section,
        "header": _header,
        "context": _context,
        "image": _image_block,
        "actions": _actions,
        "input": _input,
        "markdown": _markdown,
        "rich_text": _rich_text,
    }


def validate_blocks(
    blocks: Any, *, limit: int = MESSAGE_BLOCK_LIMIT, prefix: str = ""
) -> list[str]:
    """Return Slack-style error strings for blocks that break Block Kit rules (empty when valid)."""
    checker = _Checker()
    pointer = f"{prefix}/blocks"
    if not isinstance(blocks, list):
        checker.fail("must be an array", pointer)
        return checker.errors
    if len(blocks) > limit:
        checker.fail(f"no more than {limit} items allowed", pointer)
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        checker.block(block, f"{pointer}/{i}")
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str):
            if block_id in seen:
                checker.fail(f"duplicate block_id `{block_id}`", f"{pointer}/{i}/block_id")
            seen.add(block_id)
    return checker.errors


def validate_view(view: Any) -> list[str]:
    """Return Slack-style error strings for a modal or Home view (empty when valid)."""
    checker = _Checker()
    if not isinstance(view, dict):
        checker.fail("must be an object", "/view")
        return checker.errors
    kind = view.get("type")
    if kind not in ("modal", "home"):
        checker.fail("must be one of modal, home", "/view/type")
        return checker.errors
    blocks = view.get("blocks")
    if kind == "modal":
        checker.text(view.get("title"), "/view/title", limit=24, plain_only=True)
        for key in ("submit", "close"):
            if view.get(key) is not None:
                checker.text(view[key], f"/view/{key}", limit=24, plain_only=True)
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and view.get("submit") is None:
            checker.fail("must provide submit when input blocks are present", "/view/submit")
    for key, limit in (("private_metadata", 3000), ("callback_id", 255), ("external_id", 255)):
        if view.get(key) is not None:
            checker.string(view[key], f"/view/{key}", limit=limit, required=False)
    checker.errors.extend(validate_blocks(blocks, limit=VIEW_BLOCK_LIMIT, prefix="/view"))
    return checker.errors


def find_element(
    blocks: list[dict[str, Any]], action_id: str, block_id: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Find the interactive element with `action_id` (and `block_id`) and its block."""
    for block in blocks:
        if block_id is not None and block.get("block_id") != block_id:
            continue
        candidates: list[dict[str, Any]] = []
        if block.get("type") == "actions":
            candidates = list(block.get("elements") or [])
        elif block.get("type") == "section" and block.get("accessory"):
            candidates = [block["accessory"]]
        elif block.get("type") == "input" and block.get("element"):
            candidates = [block["element"]]
        for el in candidates:
            if el.get("action_id") == action_id:
                return block, el
    return None


def all_options(element: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every option of a select, overflow, radio or checkbox element."""
    if "option_groups" in element:
        return [o for g in element["option_groups"] for o in g.get("options", [])]
    return list(element.get("options") or [])


def normalize_blocks(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return a copy with the `block_id`s and `action_id`s Slack fills in when they are missing."""
    import copy
    import secrets

    out = copy.deepcopy(blocks)
    for block in out:
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", secrets.token_urlsafe(4).replace("-", "x").replace("_", "y"))
        elements: list[Any] = []
        if block.get("type") == "actions":
            elements = block.get("elements") or []
        elif block.get("type") == "section" and isinstance(block.get("accessory"), dict):
            elements = [block["accessory"]]
        elif block.get("type") == "input" and isinstance(block.get("element"), dict):
            elements = [block["element"]]
        for el in elements:
            if isinstance(el, dict) and el.get("type") in INTERACTIVE:
                el.setdefault("action_id", secrets.token_urlsafe(4).replace("-", "x"))
    return out
