"""Block Kit for the archive: the add/change modal, search results, one's own items, Home."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.archive import forms as archive_forms
from bot.archive.items import MAX_KEYWORD, MAX_SUMMARY, MAX_TITLE, MAX_URL, VISIBILITIES
from bot.archive.search import Hit, Results, visibility_label
from bot.messages import esc, t
from bot.text import Markup
from handlers.slack.blocks.message import MAX_BUTTON_TEXT, clip, section
from handlers.slack.mrkdwn import rendered

VIEW_ADD = "archive_add"
VIEW_CHANGE = "archive_change"
ACTION_ADD = "archive.add"
ACTION_CHANGE = "archive.change"
ACTION_WITHDRAW = "archive.withdraw"
ACTION_DOWNLOAD = "archive.download"
FILE_TYPES = ["pdf", "docx", "doc", "odt", "pptx", "txt"]
MAX_SNIPPET = 300


class ArchiveRow(Protocol):
    """What the own-items list and the change form read of an item."""

    id: int | None
    title: str
    summary: str
    keywords: list[str]
    visibility: str
    show_name: bool
    url: str | None
    file_name: str | None
    file_key: str | None
    owner_id: int | None


def _plain(text: str, limit: int = MAX_BUTTON_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def _button(
    action_id: str, label: str, value: str, style: str | None = None, confirm: Any = None
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": _plain(label),
        "value": value,
    }
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": _plain(label, 2000),
        "element": element,
    }


def _text_input(value: str | None, max_length: int, *, multiline: bool = False) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": multiline,
        "max_length": max_length,
    }
    if value:
        element["initial_value"] = value[:max_length]
    return element


@rendered
def build_archive_modal(
    locale: str, *, staff: bool, item: ArchiveRow | None = None
) -> dict[str, Any]:
    """Add (or change, with `item`) an archive item: text, file or link, who sees it, name."""
    options = [
        {"text": _plain(t(f"archive.visibility.{v}", locale), 75), "value": v} for v in VISIBILITIES
    ]
    default = item.visibility if item else ("all" if staff else "nobody")
    visibility: dict[str, Any] = {
        "type": "radio_buttons",
        "action_id": "value",
        "options": options,
        "initial_option": next((o for o in options if o["value"] == default), options[0]),
    }
    blocks: list[dict[str, Any]] = [
        section(t("archive.modal.intro_staff" if staff else "archive.modal.intro", locale)),
        _input(
            "title",
            t("archive.field.title", locale),
            _text_input(item.title if item else None, MAX_TITLE),
        ),
        _input(
            "summary",
            t("archive.field.summary", locale),
            _text_input(item.summary if item else None, MAX_SUMMARY, multiline=True),
        ),
        _input(
            "keywords",
            t("archive.field.keywords", locale),
            _text_input(", ".join(item.keywords) if item else None, 20 * (MAX_KEYWORD + 2)),
            optional=True,
        ),
    ]
    if item is None:
        blocks.append(
            _input(
                "file",
                t("archive.field.file", locale),
                {
                    "type": "file_input",
                    "action_id": "value",
                    "filetypes": FILE_TYPES,
                    "max_files": 1,
                },
                optional=True,
            )
        )
    if item is None or not item.file_key:
        blocks.append(
            _input(
                "url",
                t("archive.field.url", locale),
                {
                    **_text_input(item.url if item else None, MAX_URL),
                    "placeholder": _plain("https://…", 150),
                },
                optional=True,
            )
        )
    blocks.append(_input("visibility", t("archive.field.visibility", locale), visibility))
    owned = item.owner_id is not None if item else not staff
    if owned:
        option = {"text": _plain(t("archive.field.show_name_option", locale), 75), "value": "yes"}
        checkbox: dict[str, Any] = {"type": "checkboxes", "action_id": "value", "options": [option]}
        if item is not None and item.show_name:
            checkbox["initial_options"] = [option]
        blocks.append(
            _input("show_name", t("archive.field.show_name", locale), checkbox, optional=True)
        )
    return {
        "type": "modal",
        "callback_id": VIEW_CHANGE if item else VIEW_ADD,
        "private_metadata": json.dumps({"item_id": item.id} if item else {}),
        "title": _plain(
            t("archive.modal.change_title" if item else "archive.modal.title", locale), 24
        ),
        "submit": _plain(t("archive.modal.submit", locale), 24),
        "close": _plain(t("archive.modal.cancel", locale), 24),
        "blocks": blocks,
    }


@dataclass(frozen=True)
class ArchiveForm:
    """A submitted modal, as plain values (`fields`: the form every surface shares)."""

    item_id: int | None
    title: str
    summary: str
    keywords: str
    url: str
    visibility: str
    show_name: bool
    files: list[dict[str, Any]]

    @property
    def fields(self) -> archive_forms.ArchiveForm:
        return archive_forms.ArchiveForm(
            item_id=self.item_id,
            title=self.title,
            summary=self.summary,
            keywords=self.keywords,
            url=self.url,
            visibility=self.visibility,
            show_name=self.show_name,
        )


def parse_archive_form(view: dict[str, Any]) -> ArchiveForm:
    values = (view.get("state") or {}).get("values") or {}

    def value(block: str) -> Any:
        return (values.get(block) or {}).get("value") or {}

    def text(block: str) -> str:
        return str(value(block).get("value") or "")

    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        item_id = int(meta["item_id"]) if isinstance(meta, dict) and "item_id" in meta else None
    except (ValueError, TypeError, KeyError):
        item_id = None
    chosen = (value("visibility").get("selected_option") or {}).get("value") or ""
    shown = value("show_name").get("selected_options") or []
    files = value("file").get("files") or []
    return ArchiveForm(
        item_id=item_id,
        title=text("title"),
        summary=text("summary"),
        keywords=text("keywords"),
        url=text("url").strip(),
        visibility=str(chosen),
        show_name=any(o.get("value") == "yes" for o in shown if isinstance(o, dict)),
        files=[f for f in files if isinstance(f, dict)][:1],
    )


def _by(hit: Hit, locale: str) -> str:
    if hit.kind == "material" and hit.owner is None:
        return t("archive.hit.material", locale)
    if hit.owner is None:
        return t("archive.hit.anonymous", locale)
    key = "archive.hit.by_hidden" if hit.name_hidden_from_others else "archive.hit.by"
    return t(key, locale, name=hit.owner)


def _hit_blocks(hit: Hit, locale: str) -> list[dict[str, Any]]:
    lines = [
        Markup(f"*{esc(hit.title)}*  ·  {_by(hit, locale)}"),
        Markup(esc(clip(hit.snippet, MAX_SNIPPET))),
    ]
    if hit.keywords:
        lines.append(Markup(t("archive.hit.keywords", locale, keywords=", ".join(hit.keywords))))
    if hit.url:
        lines.append(Markup(t("archive.hit.link", locale, url=hit.url)))
    block = section("\n".join(lines))
    if hit.has_file:
        block["accessory"] = _button(
            ACTION_DOWNLOAD, t("archive.button.download", locale), str(hit.id)
        )
    return [block]


@rendered
def build_search_results(
    results: Results, locale: str, *, page: int, usage: bool = False
) -> list[dict[str, Any]]:
    """One page of results, best first, with "… and N more" when the page is not all; with
    `usage`, the archive's commands under them."""
    blocks = _results(results, locale, page=page)
    return [*blocks, section(t("archive.usage", locale))] if usage else blocks


def _results(results: Results, locale: str, *, page: int) -> list[dict[str, Any]]:
    words = results.words
    title = (
        t("archive.search.title", locale, words=words)
        if words
        else t("archive.browse.title", locale)
    )
    blocks: list[dict[str, Any]] = [{"type": "header", "text": _plain(title, 150)}]
    if not results.hits:
        key = "archive.search.none" if words else "archive.search.empty"
        return [*blocks, section(t(key, locale, words=words) if words else t(key, locale))]
    first, last = results.offset + 1, results.offset + len(results.hits)
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": t(
                        "archive.search.count", locale, total=results.total, first=first, last=last
                    ),
                }
            ],
        }
    )
    for hit in results.hits:
        blocks.extend(_hit_blocks(hit, locale))
    rest = results.total - last
    if rest > 0:
        blocks.append(section(t("archive.search.more", locale, n=rest, words=words, page=page + 1)))
    return blocks


@rendered
def build_my_items(items: Sequence[ArchiveRow], locale: str) -> list[dict[str, Any]]:
    """One's own items, each with change, withdraw (confirmed) and download."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(t("archive.mine.title", locale), 150)}
    ]
    if not items:
        return [*blocks, section(t("archive.mine.none", locale))]
    for item in items[:30]:  # 3 blocks each: within Slack's 100
        shown = t("archive.yes" if item.show_name else "archive.no", locale)
        blocks.append(
            section(
                t(
                    "archive.mine.item",
                    locale,
                    title=item.title,
                    visibility=visibility_label(item.visibility, locale),
                    shown=Markup(shown),
                )
            )
        )
        buttons = [
            _button(ACTION_CHANGE, t("archive.button.change", locale), str(item.id)),
            _button(
                ACTION_WITHDRAW,
                t("archive.button.withdraw", locale),
                str(item.id),
                style="danger",
                confirm={
                    "title": _plain(t("archive.button.withdraw", locale), 100),
                    "text": _plain(t("archive.withdraw.confirm", locale, title=item.title), 300),
                    "confirm": _plain(t("archive.button.withdraw", locale), 30),
                    "deny": _plain(t("archive.modal.cancel", locale), 30),
                },
            ),
        ]
        if item.file_key:
            buttons.append(
                _button(ACTION_DOWNLOAD, t("archive.button.download", locale), str(item.id))
            )
        blocks.append({"type": "actions", "elements": buttons})
    if len(items) > 30:
        blocks.append(section(t("archive.mine.more", locale, n=len(items) - 30)))
    return blocks


@rendered
def build_home_archive(locale: str) -> list[dict[str, Any]]:
    """Home: add to the archive, and where to find one's own items and search."""
    return [
        {"type": "header", "text": _plain(t("archive.browse.title", locale), 150)},
        section(t("archive.usage", locale)),
        {
            "type": "actions",
            "elements": [
                _button(ACTION_ADD, t("archive.button.add", locale), "add", style="primary")
            ],
        },
    ]
