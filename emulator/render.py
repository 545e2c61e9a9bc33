"""Render Slack mrkdwn and Block Kit as plain, accessible HTML for the emulator's web UI.

Interactive elements carry `data-action-id` / `data-block-id` (and `data-testid`), which the UI's
script turns into `block_actions`; modal inputs carry the same attributes so a submit can rebuild
Slack's `state.values` shape.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from emulator.state import Channel, User

EMOJI = {
    "calendar": "📅",
    "round_pushpin": "📍",
    "rotating_light": "🚨",
    "white_check_mark": "✅",
    "warning": "⚠️",
    "wave": "👋",
    "tada": "🎉",
    "bell": "🔔",
    "memo": "📝",
    "bar_chart": "📊",
    "busts_in_silhouette": "👥",
    "handshake": "🤝",
    "email": "📧",
    "hourglass": "⏳",
    "x": "❌",
}
_EMOJI_CODE = re.compile(r":([a-z0-9_+-]+):")
_TOKEN = re.compile(r"<([^<>\n]+)>")
_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?!\s)([^~\n]+?)(?<!\s)~(?![\w~])")
_SAFE_URL = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)


def esc(value: Any) -> str:
    """Escape a value for HTML text or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def _slack_unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class Renderer:
    """Turn mrkdwn and blocks into HTML, resolving user and channel mentions."""

    def __init__(self, users: Mapping[str, User], channels: Mapping[str, Channel]) -> None:
        self.users = users
        self.channels = channels

    # -- text ----------------------------------------------------------------------------------

    def _token(self, inner: str) -> str:
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            user = self.users.get(target[1:])
            name = label or (user.real_name if user else target[1:])
            return f'<span class="mention">@{esc(name)}</span>'
        if target.startswith("#"):
            channel = self.channels.get(target[1:])
            name = label or (channel.name if channel else target[1:])
            return f'<span class="mention">#{esc(name)}</span>'
        if target.startswith("!"):
            word = label or target[1:].split("^")[0]
            return f'<span class="mention">@{esc(word)}</span>'
        url = _slack_unescape(target)
        if not _SAFE_URL.match(url):
            return esc(f"<{_slack_unescape(inner)}>")
        shown = _slack_unescape(label) if label else url.removeprefix("mailto:")
        return f'<a href="{esc(url)}" target="_blank" rel="noopener">{esc(shown)}</a>'

    @staticmethod
    def _emoji(text: str) -> str:
        # Slack shows :shortcodes: as emoji; a few common ones are enough to read messages.
        return _EMOJI_CODE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)

    def _inline(self, text: str) -> str:
        holes: list[str] = []

        def hold(fragment: str) -> str:
            holes.append(fragment)
            return f"\x00{len(holes) - 1}\x00"

        text = _TOKEN.sub(lambda m: hold(self._token(m.group(1))), text)
        text = _CODE.sub(lambda m: hold(f"<code>{esc(_slack_unescape(m.group(1)))}</code>"), text)
        text = self._emoji(esc(_slack_unescape(text)))
        text = _BOLD.sub(r"<strong>\1</strong>", text)
        text = _ITALIC.sub(r"<em>\1</em>", text)
        text = _STRIKE.sub(r"<del>\1</del>", text)
        return re.sub(r"\x00(\d+)\x00", lambda m: holes[int(m.group(1))], text)

    def mrkdwn(self, text: str) -> str:
        """Render Slack mrkdwn: bold, italic, strike, code, pre, quotes, links and mentions."""
        parts = text.split("```")
        out: list[str] = []
        for i, part in enumerate(parts):
            if i % 2 == 1 and i < len(parts) - 1:
                out.append(f"<pre>{esc(_slack_unescape(part.strip(chr(10))))}</pre>")
                continue
            lines: list[str] = []
            for line in part.split("\n"):
                if line.startswith("&gt;") or line.startswith(">"):
                    quoted = line.removeprefix("&gt;").removeprefix(">").lstrip()
                    lines.append(f"<blockquote>{self._inline(quoted)}</blockquote>")
                else:
                    lines.append(self._inline(line))
            out.append("<br>".join(lines).replace("</blockquote><br>", "</blockquote>"))
        return "".join(out)

    def text(self, obj: Any) -> str:
        """Render a text object (plain_text or mrkdwn)."""
        if not isinstance(obj, dict):
            return esc(obj)
        if obj.get("type") == "mrkdwn":
            return self.mrkdwn(str(obj.get("text", "")))
        return esc(obj.get("text", "")).replace("\n", "<br>")

    @staticmethod
    def plain(obj: Any) -> str:
        """Return a text object's raw text."""
        return str(obj.get("text", "")) if isinstance(obj, dict) else str(obj or "")

    # -- elements ------------------------------------------------------------------------------

    def _attrs(self, block: dict[str, Any], el: dict[str, Any]) -> str:
        attrs = (
            f'data-action-id="{esc(el.get("action_id"))}" data-block-id="{esc(block.get("block_id"))}" '
            f'data-kind="{esc(el.get("type"))}"'
        )
        confirm = el.get("confirm")
        if isinstance(confirm, dict):
            question = f"{self.plain(confirm.get('title'))}\n\n{self.plain(confirm.get('text'))}"
            attrs += f' data-confirm="{esc(question.strip())}"'
        return attrs

    def _options(self, el: dict[str, Any], selected: set[str]) -> str:
        def one(option: dict[str, Any]) -> str:
            value = str(option.get("value", ""))
            mark = " selected" if value in selected else ""
            return (
                f'<option value="{esc(value)}"{mark}>{esc(self.plain(option.get("text")))}</option>'
            )

        if "option_groups" in el:
            return "".join(
                f'<optgroup label="{esc(self.plain(g.get("label")))}">'
                + "".join(one(o) for o in g.get("options", []))
                + "</optgroup>"
                for g in el["option_groups"]
            )
        return "".join(one(o) for o in el.get("options") or [])

    def _people_options(self, selected: set[str]) -> str:
        people = sorted(
            (u for u in self.users.values() if not u.is_bot and not u.deleted),
            key=lambda u: u.real_name,
        )
        return "".join(
            f'<option value="{esc(u.id)}"{" selected" if u.id in selected else ""}>'
            f"{esc(u.real_name)}</option>"
            for u in people
        )

    def _channel_options(self, selected: set[str]) -> str:
        channels = sorted(
            (c for c in self.channels.values() if not c.is_im and not c.is_mpim),
            key=lambda c: c.name,
        )
        return "".join(
            f'<option value="{esc(c.id)}"{" selected" if c.id in selected else ""}>#{esc(c.name)}</option>'
            for c in channels
        )

    def element(self, block: dict[str, Any], el: dict[str, Any]) -> str:
        """Render an interactive element outside a modal form (acts on change or click)."""
        kind = el.get("type")
        attrs = self._attrs(block, el)
        testid = f'data-testid="action-{esc(el.get("action_id"))}"'
        label = esc(self.plain(el.get("placeholder")) or str(kind).replace("_", " "))
        if kind == "button":
            style = el.get("style", "")
            link = str(el.get("url") or "")
            url = f' data-url="{esc(link)}"' if _SAFE_URL.match(link) else ""
            value = f' data-value="{esc(el["value"])}"' if "value" in el else ""
            return (
                f'<button type="button" class="bk-button {esc(style)}" {attrs} {testid}{url}{value}>'
                f"{esc(self.plain(el.get('text')))}</button>"
            )
        if kind == "image":
            return f'<img class="bk-thumb" src="{esc(el.get("image_url"))}" alt="{esc(el.get("alt_text"))}">'
        if kind in ("static_select", "overflow", "external_select"):
            first = "⋯ More" if kind == "overflow" else label
            aria = "More options" if kind == "overflow" else label
            initial = el.get("initial_option") or {}
            return (
                f'<select class="bk-select" aria-label="{esc(aria)}" {attrs} {testid}>'
                f'<option value="">{esc(first)}</option>'
                f"{self._options(el, {str(initial.get('value'))} if initial else set())}</select>"
            )
        if kind in ("users_select", "conversations_select", "channels_select"):
            chosen = {
                str(el.get(k))
                for k in ("initial_user", "initial_conversation", "initial_channel")
                if el.get(k)
            }
            opts = (
                self._people_options(chosen)
                if kind == "users_select"
                else self._channel_options(chosen)
            )
            return (
                f'<select class="bk-select" aria-label="{label}" {attrs} {testid}>'
                f'<option value="">{label}</option>{opts}</select>'
            )
        if kind == "datepicker":
            return (
                f'<input type="date" class="bk-date" aria-label="{label}" '
                f'value="{esc(el.get("initial_date", ""))}" {attrs} {testid}>'
            )
        if kind == "timepicker":
            return (
                f'<input type="time" aria-label="{label}" value="{esc(el.get("initial_time", ""))}" '
                f"{attrs} {testid}>"
            )
        if kind in ("radio_buttons", "checkboxes"):
            return self._choice_group(block, el, set(), act=True)
        return f'<span class="bk-unsupported">[{esc(kind)}]</span>'

    def _choice_group(
        self, block: dict[str, Any], el: dict[str, Any], selected: set[str], *, act: bool
    ) -> str:
        kind = el.get("type")
        input_type = "radio" if kind == "radio_buttons" else "checkbox"
        name = f"{block.get('block_id')}.{el.get('action_id')}"
        if not selected:
            initial = el.get("initial_options") or (
                [el["initial_option"]] if el.get("initial_option") else []
            )
            selected = {str(o.get("value")) for o in initial}
        acts = " data-act" if act else ""
        items = []
        for i, option in enumerate(el.get("options") or []):
            value = str(option.get("value", ""))
            checked = " checked" if value in selected else ""
            oid = esc(f"{name}.{i}")
            desc = ""
            if option.get("description"):
                desc = f'<span class="hint">{self.text(option["description"])}</span>'
            items.append(
                f'<label for="{oid}" class="bk-choice"><input type="{input_type}" id="{oid}" '
                f'name="{esc(name)}" value="{esc(value)}"{checked}> {self.text(option.get("text"))}{desc}</label>'
            )
        return (
            f'<fieldset class="bk-choices" {self._attrs(block, el)}{acts}>'
            f'<legend class="sr-only">{esc(name)}</legend>{"".join(items)}</fieldset>'
        )

    # -- blocks --------------------------------------------------------------------------------

    def block(
        self,
        block: dict[str, Any],
        *,
        values: Mapping[str, Mapping[str, Any]] | None = None,
        errors: Mapping[str, str] | None = None,
    ) -> str:
        """Render one block; input blocks become form fields."""
        kind = block.get("type")
        bid = esc(block.get("block_id"))
        if kind == "header":
            return (
                f'<h3 class="bk-header" data-block-id="{bid}">{self.text(block.get("text"))}</h3>'
            )
        if kind == "divider":
            return '<hr class="bk-divider">'
        if kind == "section":
            parts = []
            if block.get("text"):
                parts.append(f'<div class="bk-text">{self.text(block["text"])}</div>')
            if block.get("fields"):
                fields = "".join(
                    f'<div class="bk-field">{self.text(f)}</div>' for f in block["fields"]
                )
                parts.append(f'<div class="bk-fields">{fields}</div>')
            accessory = ""
            if isinstance(block.get("accessory"), dict):
                accessory = (
                    f'<div class="bk-accessory">{self.element(block, block["accessory"])}</div>'
                )
            return f'<section class="bk-section" data-block-id="{bid}"><div class="bk-main">{"".join(parts)}</div>{accessory}</section>'
        if kind == "context":
            items = []
            for el in block.get("elements") or []:
                if isinstance(el, dict) and el.get("type") == "image":
                    items.append(
                        f'<img class="bk-context-img" src="{esc(el.get("image_url"))}" alt="{esc(el.get("alt_text"))}">'
                    )
                else:
                    items.append(f"<span>{self.text(el)}</span>")
            return f'<div class="bk-context" data-block-id="{bid}">{"".join(items)}</div>'
        if kind == "image":
            title = (
                f"<figcaption>{self.text(block['title'])}</figcaption>"
                if block.get("title")
                else ""
            )
            return (
                f'<figure class="bk-image" data-block-id="{bid}">{title}'
                f'<img src="{esc(block.get("image_url"))}" alt="{esc(block.get("alt_text"))}" loading="lazy"></figure>'
            )
        if kind == "actions":
            elements = "".join(
                self.element(block, el)
                for el in block.get("elements") or []
                if isinstance(el, dict)
            )
            return f'<div class="bk-actions" role="group" data-block-id="{bid}">{elements}</div>'
        if kind == "input":
            return self.input_block(block, values or {}, errors or {})
        if kind == "markdown":
            return f'<div class="bk-text" data-block-id="{bid}">{self.mrkdwn(str(block.get("text", "")))}</div>'
        if kind == "rich_text":
            return f'<div class="bk-text" data-block-id="{bid}">{self.rich_text(block)}</div>'
        if kind in ("file", "video"):
            url = block.get("video_url") or block.get("external_id") or ""
            return f'<div class="bk-file" data-block-id="{bid}">{esc(kind)}: {esc(self.plain(block.get("title")) or url)}</div>'
        return f'<div class="bk-unsupported">[{esc(kind)} block]</div>'

    def rich_text(self, block: dict[str, Any]) -> str:
        """Render a rich_text block's text runs, links and mentions (styles kept simple)."""

        def run(el: dict[str, Any]) -> str:
            kind = el.get("type")
            if kind == "text":
                out = esc(el.get("text", "")).replace("\n", "<br>")
                style = el.get("style") or {}
                if style.get("bold"):
                    out = f"<strong>{out}</strong>"
                if style.get("italic"):
                    out = f"<em>{out}</em>"
                if style.get("code"):
                    out = f"<code>{out}</code>"
                return out
            if kind == "link":
                return self._token(f"{el.get('url')}|{el.get('text') or el.get('url')}")
            if kind == "user":
                return self._token(f"@{el.get('user_id')}")
            if kind == "channel":
                return self._token(f"#{el.get('channel_id')}")
            if kind == "emoji":
                return esc(f":{el.get('name')}:")
            return ""

        def section(el: dict[str, Any]) -> str:
            kind = el.get("type")
            inner = "".join(
                run(e) if e.get("type") not in ("rich_text_section",) else section(e)
                for e in el.get("elements") or []
            )
            if kind == "rich_text_list":
                tag = "ol" if el.get("style") == "ordered" else "ul"
                return (
                    f"<{tag}>"
                    + "".join(f"<li>{section(e)}</li>" for e in el.get("elements") or [])
                    + f"</{tag}>"
                )
            if kind == "rich_text_quote":
                return f"<blockquote>{inner}</blockquote>"
            if kind == "rich_text_preformatted":
                return f"<pre>{inner}</pre>"
            return f"<div>{inner}</div>"

        return "".join(section(el) for el in block.get("elements") or [] if isinstance(el, dict))

    def input_block(
        self,
        block: dict[str, Any],
        values: Mapping[str, Mapping[str, Any]],
        errors: Mapping[str, str],
    ) -> str:
        """Render an input block as a labelled form field, keeping submitted values."""
        el = block.get("element") or {}
        bid = str(block.get("block_id"))
        aid = str(el.get("action_id"))
        kind = el.get("type")
        fid = esc(f"in-{bid}-{aid}")
        label = esc(self.plain(block.get("label")))
        required = "" if block.get("optional") else " required"
        optional = ' <span class="optional">(optional)</span>' if block.get("optional") else ""
        state = (values.get(bid) or {}).get(aid) or {}
        attrs = self._attrs(block, el) + f' data-testid="input-{esc(bid)}"'
        placeholder = esc(self.plain(el.get("placeholder")))
        field: str
        if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
            value = state.get("value") if state else el.get("initial_value")
            value = "" if value is None else value
            limits = "".join(
                f' {k.replace("_", "")}="{int(el[k])}"'
                for k in ("min_length", "max_length")
                if k in el
            )
            if kind == "plain_text_input" and el.get("multiline"):
                field = f'<textarea id="{fid}" rows="4" placeholder="{placeholder}"{required}{limits} {attrs}>{esc(value)}</textarea>'
            else:
                input_type = {
                    "email_text_input": "email",
                    "url_text_input": "url",
                    "number_input": "number",
                }.get(str(kind), "text")
                extra = ""
                if kind == "number_input":
                    extra = ' step="any"' if el.get("is_decimal_allowed") else ' step="1"'
                    extra += "".join(
                        f' {k.split("_")[0]}="{esc(el[k])}"'
                        for k in ("min_value", "max_value")
                        if k in el
                    )
                field = f'<input type="{input_type}" id="{fid}" value="{esc(value)}" placeholder="{placeholder}"{required}{limits}{extra} {attrs}>'
        elif kind in ("static_select", "multi_static_select", "external_select"):
            if state:
                chosen = (
                    [state.get("selected_option")]
                    if "selected_option" in state
                    else state.get("selected_options", [])
                )
            else:
                chosen = (
                    [el.get("initial_option")]
                    if el.get("initial_option")
                    else el.get("initial_options", [])
                )
            selected = {str(o.get("value")) for o in chosen if o}
            multiple = " multiple" if kind.startswith("multi") else ""
            empty = "" if multiple else f'<option value="">{placeholder or "Choose…"}</option>'
            field = f'<select id="{fid}"{multiple}{required} {attrs}>{empty}{self._options(el, selected)}</select>'
        elif kind in ("users_select", "multi_users_select"):
            chosen_users = (
                state.get("selected_user")
                or state.get("selected_users")
                or el.get("initial_user")
                or el.get("initial_users")
                or []
            )
            selected = {chosen_users} if isinstance(chosen_users, str) else set(chosen_users)
            multiple = " multiple" if kind.startswith("multi") else ""
            empty = (
                "" if multiple else f'<option value="">{placeholder or "Choose a person…"}</option>'
            )
            field = f'<select id="{fid}"{multiple}{required} {attrs}>{empty}{self._people_options(selected)}</select>'
        elif kind in ("conversations_select", "channels_select"):
            chosen_channel = (
                state.get("selected_conversation")
                or state.get("selected_channel")
                or el.get("initial_conversation")
                or el.get("initial_channel")
            )
            selected = {chosen_channel} if chosen_channel else set()
            field = f'<select id="{fid}"{required} {attrs}><option value="">{placeholder or "Choose…"}</option>{self._channel_options(selected)}</select>'
        elif kind == "datepicker":
            value = state.get("selected_date") if state else el.get("initial_date")
            field = f'<input type="date" id="{fid}" value="{esc(value or "")}"{required} {attrs}>'
        elif kind == "timepicker":
            value = state.get("selected_time") if state else el.get("initial_time")
            field = f'<input type="time" id="{fid}" value="{esc(value or "")}"{required} {attrs}>'
        elif kind in ("radio_buttons", "checkboxes"):
            if state:
                chosen = (
                    [state.get("selected_option")]
                    if "selected_option" in state
                    else state.get("selected_options", [])
                )
            else:
                chosen = []
            selected = {str(o.get("value")) for o in chosen if o}
            field = self._choice_group(block, el, selected, act=False)
            if not block.get("optional"):
                field = field.replace("<fieldset ", '<fieldset data-required="1" ', 1)
        else:
            field = f'<span class="bk-unsupported">[{esc(kind)} input]</span>'
        hint = f'<div class="hint">{self.text(block["hint"])}</div>' if block.get("hint") else ""
        error = ""
        if bid in errors:
            error = f'<div class="field-error" role="alert" data-testid="error-{esc(bid)}">{esc(errors[bid])}</div>'
        invalid = " invalid" if error else ""
        return (
            f'<div class="bk-input{invalid}" data-block-id="{esc(bid)}"><label for="{fid}">{label}{optional}</label>'
            f"{field}{hint}{error}</div>"
        )

    def blocks(self, blocks: list[dict[str, Any]], **kwargs: Any) -> str:
        """Render a list of blocks."""
        return "".join(self.block(b, **kwargs) for b in blocks if isinstance(b, dict))

    def attachments(self, attachments: list[dict[str, Any]]) -> str:
        """Render legacy attachments (colour bar, pretext, title, text, fields, blocks)."""
        out = []
        for att in attachments:
            color = str(att.get("color", "#ddd"))
            if color in ("good", "warning", "danger"):
                color = {"good": "#2eb67d", "warning": "#ecb22e", "danger": "#e01e5a"}[color]
            inner = []
            if att.get("pretext"):
                inner.append(f"<div>{self.mrkdwn(str(att['pretext']))}</div>")
            if att.get("title"):
                inner.append(f"<strong>{esc(att['title'])}</strong>")
            if att.get("text"):
                inner.append(f"<div>{self.mrkdwn(str(att['text']))}</div>")
            for f in att.get("fields") or []:
                inner.append(
                    f"<div><strong>{esc(f.get('title'))}</strong><br>{self.mrkdwn(str(f.get('value', '')))}</div>"
                )
            if att.get("blocks"):
                inner.append(self.blocks(att["blocks"]))
            out.append(
                f'<div class="attachment" style="border-left-color:{esc(color)}">{"".join(inner)}</div>'
            )
        return "".join(out)
