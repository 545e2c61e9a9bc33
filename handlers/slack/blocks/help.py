"""Block Kit for `/cohort help`."""

from __future__ import annotations

from typing import Any

from bot.messages import t
from bot.people import Actor
from handlers.slack.mrkdwn import rendered


@rendered
def build_help(actor: Actor) -> list[dict[str, Any]]:
    """Help blocks listing what this person may do (staff and line-manager parts only for them)."""
    locale = actor.locale
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": t("help.title", locale)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": t("help.everyone", locale)}},
    ]
    if "line_manager" in actor.roles:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": t("help.line_manager", locale)}}
        )
    if "evaluator" in actor.roles and not actor.is_staff:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": t("help.evaluator", locale)}}
        )
    if actor.is_staff:
        blocks.append({"type": "divider"})
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": t("help.staff", locale)}}
        )
    if not actor.known:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": t("error.unknown_user", locale)}],
            }
        )
    return blocks
