"""Block Kit for a whole staff list, a page at a time, in a modal (bot/staff_lists.py)."""

from __future__ import annotations

from typing import Any

from bot.messages import t
from bot.staff_lists import PAGE_ACTION, ListPage, list_ref
from handlers.slack.blocks.message import MAX_BUTTON_TEXT, clip, section
from handlers.slack.blocks.message import build_button as neutral_button
from handlers.slack.mrkdwn import rendered

LIST_CALLBACK = "staff_list"
MAX_MODAL_BLOCKS = 100
MAX_TITLE = 24


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit)}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, 3000)}]}


def _nav_button(label: str, value: str, action_id: str) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": _plain(label, MAX_BUTTON_TEXT),
        "value": value,
    }


@rendered
def build_list_blocks(page: ListPage, locale: str) -> list[dict[str, Any]]:
    """The summary, one section per item (its button beside it), the page and paging buttons."""
    blocks: list[dict[str, Any]] = [section(page.summary)]
    if not page.items:
        blocks.append(section(t("lists.empty", locale)))
        return blocks
    for item in page.items:
        block = section(item.text)
        if item.button is not None:
            block["accessory"] = neutral_button(item.button)
        blocks.append(block)
    blocks.append(
        _context(
            t(
                "lists.page",
                locale,
                page=page.page + 1,
                pages=page.pages,
                first=page.first,
                last=page.last,
                total=page.total,
            )
        )
    )
    nav = []
    if page.page > 0:
        nav.append(
            _nav_button(
                t("lists.prev", locale),
                list_ref(page.kind, page.arg, page.page - 1),
                f"{PAGE_ACTION}.prev",
            )
        )
    if page.page + 1 < page.pages:
        nav.append(
            _nav_button(
                t("lists.next", locale),
                list_ref(page.kind, page.arg, page.page + 1),
                f"{PAGE_ACTION}.next",
            )
        )
    if nav:
        blocks.append({"type": "actions", "block_id": "staff_list_nav", "elements": nav})
    return blocks[:MAX_MODAL_BLOCKS]


@rendered
def build_list_modal(page: ListPage, locale: str) -> dict[str, Any]:
    """A modal showing one page of the list; paging updates it in place."""
    return {
        "type": "modal",
        "callback_id": LIST_CALLBACK,
        "private_metadata": list_ref(page.kind, page.arg, page.page),
        "title": _plain(page.title, MAX_TITLE),
        "close": _plain(t("lists.close", locale), MAX_TITLE),
        "blocks": build_list_blocks(page, locale),
    }
