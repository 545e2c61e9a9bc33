"""Render neutral text (bot.text) for Slack: the one escaping path for people's words.

- mrkdwn (section and context text, fields, the notification `text`): people's words get `&`,
  `<`, `>` escaped, so no `<!channel>`, `<@U…>`, `<#C…>`, `<!subteam…>` or `<url|klikk her>`
  of theirs is read as markup; `@channel`, `@here` and `@everyone` are broken with a word
  joiner so no client or `parse=full` turns them into a ping; a formatting character they use
  in pairs (`*`, `_`, `~`, `` ` ``) at a word's edge is fenced with zero-width spaces so it
  shows as written.
  The bot's own words pass as written except a bare `<`, `>` or `&`, which are escaped; the
  mentions and channel links the adapter itself writes (`<@U…>`, `<#C…>`) are kept.
- plain_text (headers, buttons, options, titles, placeholders, initial values): shown
  literally by Slack, so people's words are written as they are.

Rendering is idempotent: rendering Slack output again changes nothing, so builders render
what they return and the client edge (`SlackWebClient`, the response_url reply, `ack`) renders
every payload once more as a safety net.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.text import Span, plain, render

P = ParamSpec("P")
R = TypeVar("R")

WORD_JOINER = "\u2060"
ZWSP = "\u200b"
_BROADCAST = re.compile(r"@(?=(channel|here|everyone)\b)", re.IGNORECASE)
# What the bot's own text may keep as Slack markup: entities, and the references it writes.
_OWN_MARKUP = re.compile(r"&(amp|lt|gt);|<[@#][A-Z0-9]+(\|[^<>|]*)?>")
_FORMATTING = "*_~`"
# A formatting character at a word's edge could open or close bold/italic/strike/code; one
# inside a word (user_not_found) cannot, and is left alone.
_FENCE = re.compile(r"(?<![^\W_])[*_~`]|[*_~`](?![^\W_])")


def escape_formatted(text: str) -> str:
    """Staff's formatted words for mrkdwn: bold and italic work; no link, mention or ping."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@" + WORD_JOINER, text)


def escape_people(text: str) -> str:
    """People's words for mrkdwn: shown as written, never read as markup or a ping."""
    text = escape_formatted(text)
    if any(text.count(ch) >= 2 for ch in _FORMATTING):
        text = _FENCE.sub(lambda m: f"{ZWSP}{m.group(0)}{ZWSP}", text)
    return text


def _escape_own(text: str) -> str:
    out: list[str] = []
    pos = 0
    for match in _OWN_MARKUP.finditer(text):
        out.append(_escape_bare(text[pos : match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(_escape_bare(text[pos:]))
    return "".join(out)


def _escape_bare(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_SLACK_ID = re.compile(r"[A-Z0-9]{2,20}")


def _user(span: Span) -> str:
    if not _SLACK_ID.fullmatch(span.ref):  # not a Slack id: show the name, never markup
        return escape_people(span.text or span.ref)
    return f"<@{span.ref}>"


def _channel(span: Span) -> str:
    if not _SLACK_ID.fullmatch(span.ref):
        return escape_people(f"#{span.text or span.ref}")
    return f"<#{span.ref}>"


def mrkdwn(text: str) -> str:
    """Neutral text as Slack mrkdwn."""
    return render(
        text,
        bot=_escape_own,
        people=escape_people,
        people_formatted=escape_formatted,
        user_ref=_user,
        channel_ref=_channel,
    )


def plain_text(text: str) -> str:
    """Neutral text for a Slack plain_text object (shown literally)."""
    return plain(text)


def render_payload(value: Any, *, top_text_is_mrkdwn: bool = True) -> Any:
    """Render every neutral string in a Block Kit payload, view, or Web API argument dict.

    `text` of a `mrkdwn` object and the top-level `text` of a message are mrkdwn; every other
    string (plain_text, values, ids, errors) is plain. Non-dict/list values are left alone.
    """
    if isinstance(value, dict):
        out = _render_dict(value)
        if top_text_is_mrkdwn and isinstance(value.get("text"), str):
            out["text"] = mrkdwn(value["text"])
        return out
    if isinstance(value, list):
        return [_render(v) for v in value]
    if isinstance(value, str):
        return mrkdwn(value) if top_text_is_mrkdwn else plain_text(value)
    return value


def _render_dict(obj: dict[str, Any]) -> dict[str, Any]:
    is_mrkdwn = obj.get("type") == "mrkdwn"
    out: dict[str, Any] = {}
    for key, val in obj.items():
        if isinstance(val, str):
            out[key] = mrkdwn(val) if is_mrkdwn and key == "text" else plain_text(val)
        else:
            out[key] = _render(val)
    return out


def _render(value: Any) -> Any:
    if isinstance(value, dict):
        return _render_dict(value)
    if isinstance(value, list):
        return [_render(v) for v in value]
    if isinstance(value, tuple):
        return [_render(v) for v in value]
    if isinstance(value, str):
        return plain_text(value)
    return value


def rendered(builder: Callable[P, R]) -> Callable[P, R]:
    """Decorate a Block Kit builder: what it returns is rendered for Slack (a str as mrkdwn)."""

    @functools.wraps(builder)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        result = builder(*args, **kwargs)
        if isinstance(result, str):
            return mrkdwn(result)  # type: ignore[return-value]
        if isinstance(result, dict):
            # A view or one block: no message-level `text` to read as mrkdwn.
            return _render_dict(result)  # type: ignore[return-value]
        return _render(result)

    wrapper.__slack_rendered__ = True  # type: ignore[attr-defined]
    return wrapper


def shows_staff_formatting(builder: Callable[P, R]) -> Callable[P, R]:
    """Declare that a builder shows staff's `formatted()` words (their bold is meant)."""
    builder.__staff_formatting__ = True  # type: ignore[attr-defined]
    return builder


def takes_neutral_text(*params: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare which of a builder's parameters are neutral text the domain already marked
    (e.g. `bot.broadcasts.preview_lines`), so the poison test passes them marked."""

    def declare(builder: Callable[P, R]) -> Callable[P, R]:
        builder.__neutral_params__ = params  # type: ignore[attr-defined]
        return builder

    return declare


_RENDERED_ARGS = (
    "text",
    "blocks",
    "view",
    "attachments",
    "errors",
    "initial_comment",
    "title",
    "filename",
    "files",
    "topic",
    "purpose",
)
_MRKDWN_ARGS = ("text", "initial_comment")


def render_api_args(args: dict[str, Any]) -> dict[str, Any]:
    """Render a Web API call's arguments: the message `text` as mrkdwn, blocks and views."""
    out = dict(args)
    for key in _RENDERED_ARGS:
        val = out.get(key)
        if val is None:
            continue
        if key in _MRKDWN_ARGS and isinstance(val, str):
            out[key] = mrkdwn(val)
        elif isinstance(val, str) and key in ("blocks", "view", "attachments"):
            continue  # already JSON
        else:
            out[key] = _render(val)
    return out


class SlackWebClient(AsyncWebClient):
    """The Web API client every Slack call goes through: renders neutral text at the edge."""

    async def api_call(self, api_method: str, *args: Any, **kwargs: Any) -> Any:
        for key in ("json", "params", "data"):
            val = kwargs.get(key)
            if isinstance(val, dict):
                kwargs[key] = render_api_args(val)
        return await super().api_call(api_method, *args, **kwargs)


class RenderingAck(AsyncAck):
    """Bolt's `ack` with the answer (text, blocks, errors, view, options) rendered for Slack."""

    async def __call__(  # type: ignore[override]
        self, text: str | dict[str, Any] = "", **kwargs: Any
    ) -> BoltResponse:
        if isinstance(text, dict):
            text = render_payload(text)
        elif text:
            text = mrkdwn(text)
        for key in ("blocks", "attachments", "options", "option_groups", "view"):
            if kwargs.get(key) is not None:
                kwargs[key] = _render(kwargs[key])
        if kwargs.get("errors"):
            kwargs["errors"] = {k: plain_text(str(v)) for k, v in kwargs["errors"].items()}
        return await super().__call__(text, **kwargs)


def rendering_client(client: AsyncWebClient) -> AsyncWebClient:
    """`client` as a SlackWebClient (the same token, URL, session and retries)."""
    if isinstance(client, SlackWebClient):
        return client
    return SlackWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        session=client.session,
        trust_env_in_session=client.trust_env_in_session,
        headers=client.headers,
        team_id=getattr(client, "team_id", None),
        logger=client.logger,
        retry_handlers=client.retry_handlers,
    )
