"""Neutral text → Adaptive Card TextBlock markdown (the subset Teams renders).

The bot's own words may use `*bold*`, `_italic_`, `` `code` ``, `•` bullets and line breaks;
Teams' TextBlock markdown wants `**bold**`, and shows people's words as written only when
their markdown characters are escaped. People's words are marked by `bot.text` (the one
escaping path): `words()` runs are escaped whole, `formatted()` runs (staff announcements)
keep `*bold*` and `_italic_` but no links, headings or lists, references become their labels.
"""

from __future__ import annotations

import re

from bot.text import render

# Markdown that Adaptive Card renderers (Teams, the Playground's) act on, plus the
# `{{DATE(...)}}`/`{{TIME(...)}}` functions TextBlocks expand.
_PEOPLE_SPECIAL = re.compile(r"([\\`*_~\[\]()#>|!+\-])")
_LIST_START = re.compile(r"^(\s*)(\d+)\.", re.MULTILINE)
_SLACK_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_SLACK_BARE_LINK = re.compile(r"<(https?://[^|>]+)>")
_SLACK_USER = re.compile(r"<@([A-Z0-9]+)>")
_SLACK_CHANNEL = re.compile(r"<#([A-Z0-9]+)(?:\|([^>]*))?>")
_BOLD = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")


def escape_words(text: str) -> str:
    """People's words, shown as written: every markdown character escaped, no date functions."""
    out = _PEOPLE_SPECIAL.sub(r"\\\1", text)
    out = _LIST_START.sub(lambda m: f"{m.group(1)}{m.group(2)}\\.", out)
    # "{{DATE(…)}}" in a name would be expanded by the card renderer: break the braces.
    return out.replace("{{", "{\u200b{").replace("}}", "}\u200b}")


def bot_markdown(text: str) -> str:
    """The bot's own light formatting as TextBlock markdown (`*b*` → `**b**`)."""
    text = text.replace("{{", "{\u200b{")
    text = _SLACK_LINK.sub(lambda m: f"[{m.group(2)}]({m.group(1)})", text)
    text = _SLACK_BARE_LINK.sub(lambda m: m.group(1), text)
    text = _SLACK_USER.sub("", text)
    text = _SLACK_CHANNEL.sub(lambda m: f"#{m.group(2) or m.group(1)}", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return _BOLD.sub(lambda m: f"**{m.group(1)}**", text)


def formatted_markdown(text: str) -> str:
    """Staff's formatted words: `*bold*`/`_italic_` kept, every other markdown escaped."""
    out = re.sub(r"([\\`~\[\]()#>|!+\-])", r"\\\1", text)
    out = _LIST_START.sub(lambda m: f"{m.group(1)}{m.group(2)}\\.", out)
    out = out.replace("{{", "{\u200b{").replace("}}", "}\u200b}")
    return _BOLD.sub(lambda m: f"**{m.group(1)}**", out)


def to_markdown(text: str) -> str:
    """Render neutral text for a TextBlock: bot words formatted, people's words escaped.

    Single line breaks become paragraph breaks, which every Teams client shows as a new line.
    """
    out = render(
        text,
        bot=bot_markdown,
        people=escape_words,
        people_formatted=formatted_markdown,
        user_ref=lambda span: escape_words(span.text or span.ref),
        channel_ref=lambda span: escape_words(f"#{span.text or span.ref}"),
    )
    return out.replace("\r\n", "\n").replace("\n", "\n\n").replace("\n\n\n\n", "\n\n")


def _bot_plain(text: str) -> str:
    text = _SLACK_LINK.sub(lambda m: m.group(2), text)
    text = _SLACK_BARE_LINK.sub(lambda m: m.group(1), text)
    text = _SLACK_USER.sub("", text)
    text = _SLACK_CHANNEL.sub(lambda m: f"#{m.group(2) or m.group(1)}", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return _BOLD.sub(lambda m: m.group(1), text)


def to_plain(text: str) -> str:
    """Neutral text as a person reads it (button titles, the notification preview)."""
    return str(
        render(
            text,
            bot=_bot_plain,
            people=lambda s: s,
            user_ref=lambda span: span.text or span.ref,
            channel_ref=lambda span: f"#{span.text or span.ref}",
        )
    )
