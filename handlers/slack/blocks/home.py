"""Block Kit for the App Home tab."""

from __future__ import annotations

from typing import Any

from bot.messages import t
from bot.people import Actor
from handlers.slack.mrkdwn import rendered

MAX_HOME_BLOCKS = 100  # Slack's limit for a Home tab


@rendered
def build_home(actor: Actor, parts: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """A home view: a greeting, then each part, cut to Slack's 100-block limit."""
    locale = actor.locale
    name = actor.person.name if actor.person else ""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": t("home.greeting", locale, name=name)[:150]},
        }
    ]
    if not actor.known:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": t("error.unknown_user", locale)}}
        )
    # A part that does not fit is left out whole (never cut in the middle, which would drop
    # its "and N more"), later parts that fit still come, and the end says how many are out.
    left_out = 0
    for part in parts:
        if not part:
            continue
        if len(blocks) + len(part) + 1 > MAX_HOME_BLOCKS - 1:
            left_out += 1
            continue
        blocks.append({"type": "divider"})
        blocks.extend(part)
    if left_out:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": t("home.truncated", locale, n=left_out)}],
            }
        )
    return {"type": "home", "blocks": blocks}
