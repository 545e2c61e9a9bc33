"""People's words never become markup: every Slack builder, every catalogue text and every
domain message kind, filled with a poison list, rendered for Slack and email.

The builders and message kinds are found by introspection (every `build_*` in
handlers/slack/blocks, every function in bot/ that returns an OutgoingMessage), so a new one is
covered without being listed here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import string
import typing
from collections.abc import Callable
from typing import Any

import pytest

import bot
import handlers.slack.blocks as blocks_pkg
from bot.messages import CATALOGUE, Plural, t, text_forms
from bot.notifier import OutgoingMessage, Section
from bot.text import has_markers, plain, spans
from handlers.slack.blocks.message import build_message_blocks, fallback_text
from handlers.slack.mrkdwn import mrkdwn, render_payload
from handlers.web.email_notifier import render_html, render_plain
from tests.utils.poison import POISON, call_with_poison, mrkdwn_problems, walk_strings

HTML_POISON = ("<script", "<img")


def _functions(package: Any, want: Callable[[str, Any], bool]) -> list[tuple[str, Any]]:
    found = []
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and want(name, fn):
                found.append((f"{module.__name__}.{name}", fn))
    return sorted(found)


BUILDERS = _functions(blocks_pkg, lambda name, fn: name.startswith("build_"))


def _returns_message(name: str, fn: Any) -> bool:
    try:
        hints = typing.get_type_hints(fn)
    except Exception:
        return False
    return hints.get("return") is OutgoingMessage and not inspect.iscoroutinefunction(fn)


MESSAGE_KINDS = _functions(bot, _returns_message)


def _assert_safe_blocks(where: str, payload: Any, *, formatting_allowed: bool = False) -> None:
    problems = []
    for path, text, is_mrkdwn in walk_strings(payload):
        if is_mrkdwn:
            problems += [
                (path, p) for p in mrkdwn_problems(text, formatting_allowed=formatting_allowed)
            ]
        elif has_markers(text):
            problems.append((path, "neutral marker in plain_text"))
    assert problems == [], where


def test_every_builder_is_found_and_renders_for_slack() -> None:
    assert len(BUILDERS) >= 20
    undecorated = [n for n, fn in BUILDERS if not getattr(fn, "__slack_rendered__", False)]
    assert undecorated == []


@pytest.mark.parametrize(("name", "builder"), BUILDERS, ids=[n for n, _ in BUILDERS])
def test_poison_in_every_builder_stays_words(name: str, builder: Any) -> None:
    payload = call_with_poison(builder)
    # A builder that shows staff's formatted words (an announcement preview) says so; their
    # bold is meant, links, mentions and pings are still not.
    staff = getattr(builder, "__staff_formatting__", False)
    _assert_safe_blocks(name, payload, formatting_allowed=staff)
    # the client edge changes nothing more
    _assert_safe_blocks(name, render_payload(payload), formatting_allowed=staff)


def _placeholders(text: str) -> list[tuple[str, str]]:
    return [(f, spec or "") for _, f, spec, _ in string.Formatter().parse(text) if f]


CATALOGUE_TEXTS = [(key, lang) for key, texts in sorted(CATALOGUE.items()) for lang in texts]


@pytest.mark.parametrize(
    ("key", "lang"), CATALOGUE_TEXTS, ids=[f"{k}:{v}" for k, v in CATALOGUE_TEXTS]
)
def test_poison_in_every_catalogue_text_stays_words(key: str, lang: str) -> None:
    fields = [f for form in text_forms(CATALOGUE[key][lang]) for f in _placeholders(form)]
    entry = CATALOGUE[key][lang]
    counted = {entry.by} if isinstance(entry, Plural) else set()
    values: dict[str, object] = {f: (2 if spec or f in counted else POISON) for f, spec in fields}
    text = t(key, lang, **values)
    assert mrkdwn_problems(mrkdwn(text)) == []
    message = OutgoingMessage(text=text, title=text, sections=(Section(text=text),), context=text)
    html_part = render_html(message)
    assert not any(p in html_part for p in HTML_POISON)
    plain_part = render_plain(message)
    assert not has_markers(plain_part)
    if POISON in values.values():
        assert "<script>alert(1)</script>" in plain_part  # shown as written, not dropped


@pytest.mark.parametrize(("name", "fn"), MESSAGE_KINDS, ids=[n for n, _ in MESSAGE_KINDS])
def test_poison_in_every_message_kind_stays_words(name: str, fn: Any) -> None:
    message = call_with_poison(fn)
    staff_formatting = any(
        s.kind == "formatted"
        for s in spans(message.text + "".join(x.text for x in message.sections))
    )
    _assert_safe_blocks(name, build_message_blocks(message), formatting_allowed=staff_formatting)
    problems = mrkdwn_problems(fallback_text(message), formatting_allowed=staff_formatting)
    assert problems == [], "notification text"
    html_part = render_html(message)
    assert not any(p in html_part for p in HTML_POISON), name
    assert not has_markers(render_plain(message))
    assert not has_markers(plain(message.subject or message.title or ""))


def test_every_message_kind_is_found() -> None:
    names = {n.rsplit(".", 1)[-1] for n, _ in MESSAGE_KINDS}
    assert {"nudge_message", "post_message"} <= names
