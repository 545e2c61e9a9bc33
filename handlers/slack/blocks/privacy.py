"""Block Kit for the privacy notice in App Home."""

from __future__ import annotations

from typing import Any

from bot.messages import t
from bot.notifier import OutgoingMessage
from handlers.slack.blocks.message import build_message_blocks, clip
from handlers.slack.mrkdwn import rendered

Blocks = list[dict[str, Any]]


@rendered
def build_home_privacy(notice: OutgoingMessage, *, locale: str) -> Blocks:
    """The whole notice (title and one section per paragraph), then how to get it as a message."""
    return [
        {"type": "divider"},
        *build_message_blocks(notice),
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": clip(t("privacy.home.more", locale), 3000)}],
        },
    ]
