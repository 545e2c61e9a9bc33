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
_CODES: dict[str, Any] = {
    "reasons": ["overdue_assignments:2"],
    "reason": "bounced",
    "scope": "cohort",
    "state": "escalated",
}


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


_SCALARS: dict[Any, Any] = {
    bool: True,
    bytes: b"poison-key-0123456789abcdef012345",
    int: 2,
    float: 0.5,
    datetime: FIXED,
    date: FIXED.date(),
    time: time(9, 0),
    timedelta: timedelta(days=1),
}


def make(annotation: Any, name: str = "", depth: int = 0) -> Any:
    """A value of `annotation` for a parameter or field called `name`, poisoned where text."""
    if name in _CODES:
        return _CODES[name]
    if isinstance(annotation, str):
        raise TypeError(f"unresolved annotation {annotation!r} for {name}")
    if annotation is Any or annotation is object or annotation is str:
        return poison_str(name)
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    origin = typing.get_origin(annotation)
    if origin is not None:
        return _make_generic(origin, typing.get_args(annotation), name, depth)
    if inspect.isclass(annotation):
        return _make_class(annotation, name, depth)
    raise TypeError(f"no poison factory for {annotation!r} ({name})")


def _make_generic(origin: Any, args: tuple[Any, ...], name: str, depth: int) -> Any:
    if origin is typing.Literal:
        return args[0]
    if origin in (typing.Union, types.UnionType):
        return make(next(a for a in args if a is not type(None)), name, depth)
    if origin is typing.Annotated:
        return make(args[0], name, depth)
    if origin in (list, Sequence):
        return [make(args[0] if args else str, name, depth + 1) for _ in range(2)]
    if origin in (set, frozenset):
        return {make(args[0], name, depth + 1)}
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(make(args[0], name, depth + 1) for _ in range(2))
        return tuple(make(a, name, depth + 1) for a in args)
    if origin in (dict, Mapping):
        key_type, value_type = args if args else (str, str)
        return {make(key_type, name, depth + 1): make(value_type, name, depth + 1)}
    if origin is Callable:
        return lambda *a, **k: None
    raise TypeError(f"no poison factory for {origin!r}[{args}] ({name})")


def _make_class(cls: type, name: str, depth: int) -> Any:
    if issubclass(cls, enum.Enum):
        return next(iter(cls))
    if dataclasses.is_dataclass(cls):
        hints = typing.get_type_hints(cls)
        values = {
            f.name: make(hints[f.name], f.name, depth + 1)
            for f in dataclasses.fields(cls)
            if f.init
        }
        # Fields a domain type declares neutral text (bot.text) come with people's words marked:
        # the domain marked them; the builder under test must not unmark them.
        neutral = getattr(cls, "NEUTRAL_TEXT", ())
        values = {k: _marked(v) if k in neutral else v for k, v in values.items()}
        return cls(**values)
    if getattr(cls, "_is_protocol", False):
        # A structural type (a row the builder reads): any object with those attributes.
        hints = dict(typing.get_type_hints(cls))
        for attr, member in vars(cls).items():
            if isinstance(member, property) and member.fget is not None:
                hints[attr] = typing.get_type_hints(member.fget).get("return", str)
        return types.SimpleNamespace(
            **{k: make(v, k, depth + 1) for k, v in hints.items() if not k.startswith("_")}
        )
    if cls.__name__ == "Settings":
        return cls()
    if issubclass(cls, BaseModel):
        hints = typing.get_type_hints(cls)
        values = {
            field: make(hints.get(field, info.annotation), field, depth + 1)
            for field, info in cls.model_fields.items()
        }
        if "id" in values:
            values["id"] = 7
        return cls(**values)
    raise TypeError(f"no poison factory for {cls!r} ({name})")


def call_with_poison(fn: Callable[..., Any]) -> Any:
    """Call `fn` with every parameter made from its type hints."""
    hints = typing.get_type_hints(fn)
    kwargs = {}
    positional = []
    neutral = getattr(fn, "__neutral_params__", ())
    for param in inspect.signature(fn).parameters.values():
        value = make(hints.get(param.name, Any), param.name)
        if param.name in neutral:
            value = _marked(value)
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


def mrkdwn_problems(text: str, *, formatting_allowed: bool = False) -> list[str]:
    """What in rendered mrkdwn came from the poison as markup (empty when safe).

    `formatting_allowed`: the text carries staff's formatted words (bot.text.formatted), whose
    bold and italic are meant; links, mentions and pings are still problems.
    """
    problems = []
    for token in _SLACK_TOKEN.findall(text):
        if token not in (f"@{SAFE_USER}", f"#{SAFE_ID}", f"@{SAFE_ID}", f"#{SAFE_USER}"):
            problems.append(f"<{token}>")
    problems += [m.group(0) for m in _BROADCAST.finditer(text)]
    if not formatting_allowed:
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
