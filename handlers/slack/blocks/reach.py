"""Block Kit for the staff's list of people nothing reaches."""

from __future__ import annotations

from typing import Any

from bot.messages import t
from bot.reach import Unreachable, unreachable_line
from handlers.slack.mrkdwn import rendered

MAX_SHOWN = 10


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


@rendered
def build_unreachable(shown: list[Unreachable], total: int, locale: str) -> list[dict[str, Any]]:
    """A header with the count, one line per person shown, "… and N more", where to see all."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": t("reach.unreachable.title", locale, count=total),
            },
        }
    ]
    if not total:
        blocks.append(_section(t("reach.unreachable.none", locale)))
        return blocks
    lines = ["• " + unreachable_line(u, locale) for u in shown]
    if total > len(shown):
        lines.append(t("reach.unreachable.more", locale, count=total - len(shown)))
    blocks.append(_section("\n".join(lines)))
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": t("reach.unreachable.hint", locale)}],
        }
    )
    return blocks
