"""Block Kit for a neutral OutgoingMessage: header, sections with fields, buttons, context."""

from __future__ import annotations

from typing import Any

from bot.notifier import Button, OutgoingMessage
from bot.text import cut
from handlers.slack.mrkdwn import mrkdwn, plain_text, rendered

MAX_BLOCKS = 50
MAX_HEADER = 150
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_BUTTONS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255
MAX_FALLBACK_TEXT = 4000


def clip(text: str, limit: int) -> str:
    """Cut neutral `text` to `limit` visible characters, ending with an ellipsis when cut."""
    return cut(text, limit)


@rendered
def section(text: str) -> dict[str, Any]:
    """A mrkdwn section, cut to Slack's 3,000 characters of section text."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION_TEXT)}}


@rendered
def build_button(button: Button) -> dict[str, Any]:
    # The neutral button's `url` is the email's signed link; in Slack the click is an action.
    element: dict[str, Any] = {
        "type": "button",
        "action_id": button.action_id[:MAX_ACTION_ID],
        "text": {
            "type": "plain_text",
            "text": plain_text(clip(button.label, MAX_BUTTON_TEXT)),
            "emoji": True,
        },
    }
    if button.value:
        element["value"] = button.value[:MAX_BUTTON_VALUE]
    if button.style in ("primary", "danger"):
        element["style"] = button.style
    return element


@rendered
def build_message_blocks(message: OutgoingMessage) -> list[dict[str, Any]]:
    """The blocks for `message`, within Slack's limits (50 blocks, 3,000 characters a section)."""
    blocks: list[dict[str, Any]] = []
    if message.title:
        blocks.append(
            {
                "type": "header",
                "text": {
                    "type": "plain_text",
                    # A header is plain_text: Slack shows it literally.
                    "text": plain_text(clip(message.title, MAX_HEADER)),
                    "emoji": True,
                },
            }
        )
    sections = message.sections or ()
    if not sections and message.text:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": clip(message.text, MAX_SECTION_TEXT)},
            }
        )
    for section in sections:
        block: dict[str, Any] = {"type": "section"}
        if section.text:
            block["text"] = {"type": "mrkdwn", "text": clip(section.text, MAX_SECTION_TEXT)}
        if section.fields:
            block["fields"] = [
                {"type": "mrkdwn", "text": clip(f"*{label}*\n{value}", MAX_FIELD_TEXT)}
                for label, value in section.fields[:MAX_FIELDS]
            ]
        if "text" in block or "fields" in block:
            blocks.append(block)
        if section.buttons:
            blocks.append(
                {
                    "type": "actions",
                    "elements": [build_button(b) for b in section.buttons[:MAX_BUTTONS]],
                }
            )
    if message.context:
        context = {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": clip(message.context, MAX_SECTION_TEXT)}],
        }
        if len(blocks) >= MAX_BLOCKS:
            blocks = blocks[: MAX_BLOCKS - 1]
        blocks.append(context)
    return blocks[:MAX_BLOCKS]


def fallback_text(message: OutgoingMessage) -> str:
    """The notification text shown in push notifications and screen readers."""
    return mrkdwn(clip(message.text or message.title or "", MAX_FALLBACK_TEXT))
