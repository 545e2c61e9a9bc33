"""Block Kit for the list of announcements staff control: when, to whom, how far, Cancel."""

from __future__ import annotations

from typing import Any

from bot.broadcasts import BroadcastSummary
from bot.messages import format_when, t
from bot.text import formatted
from handlers.slack.blocks.message import clip, section
from handlers.slack.mrkdwn import rendered, shows_staff_formatting

CANCEL_ACTION = "broadcast.cancel"
MAX_LISTED = 20  # a section each; the rest counted with the command that lists them all


def summary_text(s: BroadcastSummary, *, audience: str, locale: str, tz: str) -> str:
    """One announcement in two lines: number, status, when, audience and counts; its text."""
    where = t(
        "broadcast.where.dm_short" if s.mode == "dm" else "broadcast.where.channel_short", locale
    )
    head = t(
        "broadcast.list.item",
        locale,
        id=s.id,
        status=t(f"broadcast.status.{s.status}", locale),
        when=format_when(s.send_at, locale, tz),
        audience=audience,
        where=where,
        slack=s.by_transport.get("slack", 0),
        email=s.by_transport.get("email", 0),
        sent=s.counts.get("sent", 0),
        failed=s.counts.get("failed", 0),
    )
    if s.held:
        head += "\n" + t("broadcast.list.held", locale, n=s.held)
    first = clip(s.text.splitlines()[0] if s.text else "", 150)
    return f"{head}\n> {formatted(first)}"  # staff's words, as the announcement shows them


@shows_staff_formatting
@rendered
def build_broadcast_list(
    summaries: list[BroadcastSummary], labels: dict[int, str], *, locale: str, tz: str
) -> list[dict[str, Any]]:
    """Scheduled and recent announcements, each not yet started with a Cancel button."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": t("broadcast.list.title", locale)},
        }
    ]
    if not summaries:
        blocks.append(section(t("broadcast.list.none", locale)))
        return blocks
    for s in summaries[:MAX_LISTED]:
        block = section(summary_text(s, audience=labels.get(s.id, ""), locale=locale, tz=tz))
        if not s.started and s.status != "cancelled":
            block["accessory"] = {
                "type": "button",
                "action_id": CANCEL_ACTION,
                "style": "danger",
                "text": {"type": "plain_text", "text": t("broadcast.list.cancel", locale)},
                "value": str(s.id),
                "confirm": {
                    "title": {"type": "plain_text", "text": t("broadcast.list.cancel", locale)},
                    "text": {
                        "type": "plain_text",
                        "text": clip(t("broadcast.list.cancel_confirm", locale, id=s.id), 300),
                    },
                    "confirm": {"type": "plain_text", "text": t("broadcast.list.cancel", locale)},
                    "deny": {"type": "plain_text", "text": t("broadcast.list.keep", locale)},
                },
            }
        blocks.append(block)
    more = len(summaries) - MAX_LISTED
    note = t("broadcast.list.how", locale)
    if more > 0:
        note = t("broadcast.list.more", locale, n=more) + " " + note
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    return blocks
