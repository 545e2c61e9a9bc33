"""Hostile people's words, and a factory that fills any typed argument with them.

`make(annotation, name)` builds a value for a parameter or field from its type hint: strings
become the poison (ids and a few technical fields get harmless ids instead, as Slack and the
database give them), numbers small, dates fixed, dataclasses and SQLModel rows recursively.
The poison tests iterate every builder and message kind with it, rather than hand-picking.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel

POISON = (
    "<!channel> <!here|here> <!everyone> @channel @here @everyone <!subteam^S0POISON1|@team> "
    "<@U0POISON1> <@W0POISON1|boss> <#C0POISON1> <https://evil.invalid/|klikk her> "
    "<mailto:x@evil.invalid|mail> *fet* _kursiv_ ~streket~ `kode` ```blokk``` &amp; &lt;b&gt; "
    '<script>alert(1)</script> "><img src=x onerror=alert(1)> [lenke](https://evil.invalid) '
    '=HYPERLINK("https://evil.invalid","x") \u202egnp.exe :skull: \u0000'
)
SAFE_ID = "C0SAFE01"
SAFE_USER = "U0SAFE01"
FIXED = datetime(2027, 3, 2, 8, 0, tzinfo=UTC)

# Fields that hold a platform or database id, a code or a URL: never people's words.
_ID_NAMES = re.compile(
    r"(^|_)(id|ids|ts|key|keys|channel|channels|slack_user_id|slack_channel_id|url|action|"
    r"action_id|block_id|callback_id|kind|transport|status|locale|tz|timezone|zone|style|"
    r"mode|audience|value|scope|ref|type|answer|role|roles|email)$"
)
_NAMED = {"locale": "nb", "tz": "Europe/Oslo", "timezone": "Europe/Oslo", "zone": "Europe/Oslo"}
# Codes the domain itself writes (catalogue keys are made of them).
_CODES: dict[str, Any] = {"reasons": ["overdue_assignments:2"], "scope": "cohort"}


def poison_str(name: str) -> str:
    if name in _NAMED:
        return _NAMED[name]
    if "url" in name:
        return "https://example.org/r/x"
    if "email" in name:
        return "ola@example.org"
    if _ID_NAMES.search(name):
        return SAFE_USER if "user" in name else SAFE_ID
    return POISON


def make(annotation: Any, name: str = "", depth: int = 0) -> Any:
    """A value of `annotation` for a parameter or field called `name`, poisoned where text."""
    if name in _CODES:
        return _CODES[name]
    if isinstance(annotation, str):
        raise TypeError(f"unresolved annotation {annotation!r} for {name}")
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is Any or annotation is object:
        return poison_str(name)
    if origin is typing.Literal:
        return args[0]
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        return make(options[0], name, depth)
    if origin is typing.Annotated:
        return make(args[0], name, depth)
    if annotation is str:
        return poison_str(name)
    if annotation is bool:
        return True
    if annotation is int:
        return 2
    if annotation is float:
        return 0.5
    if annotation is datetime:
        return FIXED
    if annotation is date:
        return FIXED.date()
    if annotation is time:
        return time(9, 0)
    if annotation is timedelta:
        return timedelta(days=1)
    if origin in (list, Sequence, typing.Sequence) or annotation in (list,):
        inner = args[0] if args else str
        return [make(inner, name, depth + 1) for _ in range(2)]
    if origin in (set, frozenset):
        return {make(args[0], name, depth + 1)}
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(make(args[0], name, depth + 1) for _ in range(2))
        return tuple(make(a, name, depth + 1) for a in args)
    if origin in (dict, Mapping, typing.Mapping):
        key_type, value_type = args if args else (str, str)
        return {make(key_type, name, depth + 1): make(value_type, name, depth + 1)}
    if origin is Callable:
        return lambda *a, **k: None
    if inspect.isclass(annotation) and issubclass(annotation, enum.Enum):
        return next(iter(annotation))
    if dataclasses.is_dataclass(annotation) and inspect.isclass(annotation):
        hints = typing.get_type_hints(annotation)
        values = {
            f.name: make(hints[f.name], f.name, depth + 1)
            for f in dataclasses.fields(annotation)
            if f.init
        }
        if annotation.__module__ == "bot.notifier":
            # A neutral message is the domain's output: its people's words come marked.
            values = {k: _marked(v) for k, v in values.items()}
        return annotation(**values)
    if inspect.isclass(annotation) and annotation.__name__ == "Settings":
        return annotation()
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        hints = typing.get_type_hints(annotation)
        values = {
            field: make(hints.get(field, info.annotation), field, depth + 1)
            for field, info in annotation.model_fields.items()
        }
        if "id" in values:
            values["id"] = 7
        return annotation(**values)
    raise TypeError(f"no poison factory for {annotation!r} ({name})")


def call_with_poison(fn: Callable[..., Any]) -> Any:
    """Call `fn` with every parameter made from its type hints."""
    hints = typing.get_type_hints(fn)
    kwargs = {}
    positional = []
    for param in inspect.signature(fn).parameters.values():
        value = make(hints.get(param.name, Any), param.name)
        if param.kind is param.POSITIONAL_ONLY:
            positional.append(value)
        else:
            kwargs[param.name] = value
    return fn(*positional, **kwargs)


def walk_strings(value: Any, path: str = "", parent: Mapping[str, Any] | None = None) -> Any:
    """Yield (path, string, is_mrkdwn) for every string in a Block Kit structure."""
    if isinstance(value, Mapping):
        mrkdwn = value.get("type") == "mrkdwn"
        for key, item in value.items():
            if isinstance(item, str):
                yield f"{path}.{key}", item, mrkdwn and key == "text"
            else:
                yield from walk_strings(item, f"{path}.{key}", value)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from walk_strings(item, f"{path}[{i}]", parent)
    elif isinstance(value, str):
        yield path, value, True


_SLACK_TOKEN = re.compile(r"<([^<>]*)>")
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_FORMATTED = ("*fet*", "_kursiv_", "~streket~", "`kode`")


def mrkdwn_problems(text: str) -> list[str]:
    """What in rendered mrkdwn came from the poison as markup (empty when safe)."""
    problems = []
    for token in _SLACK_TOKEN.findall(text):
        if token not in (f"@{SAFE_USER}", f"#{SAFE_ID}", f"@{SAFE_ID}", f"#{SAFE_USER}"):
            problems.append(f"<{token}>")
    problems += [m.group(0) for m in _BROADCAST.finditer(text)]
    problems += [f for f in _FORMATTED if f in text]
    if re.search("[\ue000-\ue004]", text):
        problems.append("neutral marker")
    return problems


def _marked(value: Any) -> Any:
    from bot.text import words

    if isinstance(value, str):
        return words(value) if value == POISON else value
    if isinstance(value, tuple):
        return tuple(_marked(v) for v in value)
    if isinstance(value, list):
        return [_marked(v) for v in value]
    return value
