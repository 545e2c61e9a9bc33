"""Adaptive Cards 1.5 for neutral messages: pure functions, no SDK, tested against the schema.

The same `OutgoingMessage` the Slack builders take becomes one card: a title, one TextBlock
per section with its fields as a FactSet, its buttons as `Action.Execute` (Universal Actions,
answered in one click with the updated card) each with an `Action.Submit` fallback for clients
without Universal Actions. Free-text answers (a pulse's text question, a reflection) are inputs
on the card itself, since Teams has no modals for bots without task modules.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from bot.messages import t
from bot.notifier import Button, OutgoingMessage, Section
from handlers.teams.text import to_markdown, to_plain

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA_URL = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
# Teams: a message is at most about 28 KB; each ActionSet shows about six actions.
MAX_CARD_BYTES = 26_000
ACTIONS_PER_SET = 5
MAX_TITLE = 200
MAX_BUTTON_TITLE = 60
MAX_TEXT_INPUT = 2000
TEXT_VERBS = {"assignment_reflect": "reflection"}  # buttons that are a text box in Teams
PULSE_TEXT_PREFIX = "pulse.text"
PULSE_TEXT_VERB = "pulse.text.submit"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_block(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": to_markdown(text), "wrap": True, **extra}


def _style(button: Button) -> dict[str, str]:
    if button.style == "primary":
        return {"style": "positive"}
    if button.style == "danger":
        return {"style": "destructive"}
    return {}


def execute_action(
    verb: str, title: str, data: dict[str, Any], *, style: dict[str, str] | None = None
) -> dict[str, Any]:
    """`Action.Execute` with an `Action.Submit` fallback carrying the verb in its data."""
    title = _clip(to_plain(title), MAX_BUTTON_TITLE)
    return {
        "type": "Action.Execute",
        "title": title,
        "verb": verb,
        "data": data,
        **(style or {}),
        "fallback": {"type": "Action.Submit", "title": title, "data": {"verb": verb, **data}},
    }


def _text_inputs(
    button: Button, index: int, carry: dict[str, Any], locale: str
) -> list[dict[str, Any]]:
    """A text box and a send button in place of a button that opens a modal in Slack."""
    if button.action_id.startswith(PULSE_TEXT_PREFIX):
        input_id, verb = "answer_text", PULSE_TEXT_VERB
    else:
        input_id, verb = TEXT_VERBS[button.action_id], button.action_id
    label = to_plain(button.label)
    elements: list[dict[str, Any]] = [
        {
            "type": "Input.Text",
            "id": f"{input_id}_{index}",
            "label": _clip(label, MAX_BUTTON_TITLE),
            "isMultiline": True,
            "maxLength": MAX_TEXT_INPUT,
        }
    ]
    if verb == "assignment_reflect":
        elements.append(
            {
                "type": "Input.Toggle",
                "id": f"shareable_{index}",
                "title": to_plain(t("teams.reflection.share", locale)),
                "value": "false",
                "valueOn": "true",
                "valueOff": "false",
            }
        )
    send = t("teams.send", locale)
    action = execute_action(
        verb, send, {"value": button.value, "section": index, "input": input_id, **carry}
    )
    action["associatedInputs"] = "Auto"
    elements.append({"type": "ActionSet", "actions": [action]})
    return elements


def _section_elements(
    section: Section, index: int, *, note: str | None, carry: dict[str, Any], locale: str
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if section.text:
        out.append(text_block(section.text))
    if section.fields:
        out.append(
            {
                "type": "FactSet",
                "facts": [
                    {"title": to_plain(label), "value": to_markdown(value)}
                    for label, value in section.fields
                ],
            }
        )
    plain_buttons: list[Button] = []
    links: list[Button] = []
    for button in section.buttons:
        if button.url and button.url.startswith(("https://", "http://")):
            links.append(button)  # a link (a download): opened by the client, not a verb
        elif button.action_id in TEXT_VERBS or button.action_id.startswith(PULSE_TEXT_PREFIX):
            out.extend(_text_inputs(button, index, carry, locale))
        else:
            plain_buttons.append(button)
    for start in range(0, len(plain_buttons), ACTIONS_PER_SET):
        chunk = plain_buttons[start : start + ACTIONS_PER_SET]
        out.append(
            {
                "type": "ActionSet",
                "actions": [
                    execute_action(
                        b.action_id,
                        b.label,
                        {"value": b.value, "section": index, **carry},
                        style=_style(b),
                    )
                    for b in chunk
                ],
            }
        )
    out.extend(_open_url(b.label, str(b.url)) for b in links)
    if note:
        out.append(text_block(f"✅ {note}", isSubtle=True, spacing="Small"))
    return out


def build_card(
    message: OutgoingMessage,
    *,
    notes: dict[int, str] | None = None,
    carry: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The Adaptive Card for `message`.

    Args:
        notes: a confirmation shown under a section's buttons, by section index (the answer
            the person just gave, in the card Teams shows them instead of the old one).
        carry: data every action sends back (e.g. the delivery key, which sections are answered).
    """
    notes = notes or {}
    carry = carry or {}
    body: list[dict[str, Any]] = []
    if message.title:
        body.append(
            {
                "type": "TextBlock",
                "text": _clip(to_plain(message.title), MAX_TITLE),
                "size": "Large",
                "weight": "Bolder",
                "wrap": True,
                "style": "heading",
            }
        )
    if not message.sections and message.text:
        body.append(text_block(message.text))
    links = message.meta.get("section_links") or []
    for index, section in enumerate(message.sections):
        body.extend(
            _section_elements(
                section, index, note=notes.get(index), carry=carry, locale=message.locale
            )
        )
        link = links[index] if index < len(links) else None
        if isinstance(link, str) and link.startswith(CHAT_LINK_PREFIX):
            body.append(_open_url(t("networks.directory.start_dm", message.locale), link))
    body.extend(_chat_links(message))
    if message.context:
        body.append(text_block(message.context, isSubtle=True, size="Small", spacing="Medium"))
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA_URL,
        "version": VERSION,
        "body": body or [text_block(message.text or " ")],
    }
    return _fit(card)


CHAT_LINK_PREFIX = "https://teams.microsoft.com/l/chat/"
DEEP_LINK = CHAT_LINK_PREFIX + "0/0"
MAX_CHAT_USERS = 250  # a Teams group chat's limit


def chat_link(addresses: list[str], topic: str | None = None) -> str | None:
    """The Teams deep link that opens a chat with these people (None without any)."""
    users = [a.strip() for a in addresses if a and a.strip()][:MAX_CHAT_USERS]
    if not users:
        return None
    link = f"{DEEP_LINK}?users={','.join(quote(u, safe='@') for u in users)}"
    if topic and len(users) > 1:
        link += f"&topicName={quote(topic[:100], safe='')}"
    return link


def _open_url(title: str, url: str) -> dict[str, Any]:
    return {
        "type": "ActionSet",
        "actions": [
            {
                "type": "Action.OpenUrl",
                "title": _clip(to_plain(title), MAX_BUTTON_TITLE),
                "url": url,
            }
        ],
    }


def _chat_links(message: OutgoingMessage) -> list[dict[str, Any]]:
    """A link that opens the chat of the people the message introduces (`meta["chat_with"]`).

    A bot cannot create a group chat in Teams without Microsoft Graph, so the person opens it
    themselves: the deep link names the others by address, Teams adds the person who opens it.
    """
    others = [str(a) for a in message.meta.get("chat_with") or [] if a]
    link = chat_link(others, topic=to_plain(message.title or "") or None)
    if link is None:
        return []
    key = "teams.chat.group" if len(others) > 1 else "teams.chat.single"
    return [_open_url(t(key, message.locale), link)]


def _fit(card: dict[str, Any]) -> dict[str, Any]:
    """Keep a card under Teams' message size: long text blocks are cut, saying so."""
    while len(json.dumps(card, ensure_ascii=False).encode()) > MAX_CARD_BYTES:
        blocks = [b for b in card["body"] if b.get("type") == "TextBlock"]
        longest = max(blocks, key=lambda b: len(b["text"]), default=None)
        if longest is None or len(longest["text"]) < 200:
            break
        longest["text"] = longest["text"][: len(longest["text"]) // 2] + " …"
    return card


def attachment(card: dict[str, Any]) -> dict[str, Any]:
    """The activity attachment that carries `card`."""
    return {"contentType": CONTENT_TYPE, "content": card}


def message_activity(
    message: OutgoingMessage, *, carry: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The Bot Framework message activity for a neutral message: the card and a preview text."""
    return {
        "type": "message",
        "summary": _clip(to_plain(message.text or message.title or ""), 250),
        "attachments": [attachment(build_card(message, carry=carry))],
    }


def text_card(text: str, *, title: str | None = None) -> dict[str, Any]:
    """A small card with one text (answers to commands, confirmations)."""
    return build_card(OutgoingMessage(text=text, title=title))


MAX_IMAGE_CHARS = 16_000  # leaves room for the text within Teams' message size


def chart_image(png: bytes, *, alt: str, max_width: int = 560) -> dict[str, Any] | None:
    """A chart as an Image element with a data: URL, shrunk to a small palette PNG.

    None when it would not fit in a Teams message even then (the text still says it all).
    """
    import base64
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as opened:
        rgb = opened.convert("RGB")
    if rgb.width > max_width:
        height = round(rgb.height * max_width / rgb.width)
        rgb = rgb.resize((max_width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    rgb.quantize(colors=32).save(out, format="PNG", optimize=True)
    encoded = base64.b64encode(out.getvalue()).decode()
    if len(encoded) > MAX_IMAGE_CHARS:
        return None
    return {
        "type": "Image",
        "url": f"data:image/png;base64,{encoded}",
        "altText": _clip(to_plain(alt), 200),
        "size": "Stretch",
    }
