"""YAML with line numbers: a reader over composed nodes that collects errors."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import TypeVar

import yaml

from bot.plan.model import KEY_PATTERN, PlanError
from bot.plan.when import WhenError

T = TypeVar("T")


_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


class _Reader:
    """Walks composed YAML nodes, collecting errors with their line numbers."""

    def __init__(self) -> None:
        self.errors: list[PlanError] = []

    def error(self, node: yaml.Node | int, message: str) -> None:
        self.errors.append(PlanError(node if isinstance(node, int) else _line(node), message))

    def mapping(
        self,
        node: yaml.Node,
        where: str,
        *,
        required: Iterable[str],
        optional: Iterable[str] = (),
    ) -> dict[str, yaml.Node] | None:
        required, optional = tuple(required), tuple(optional)
        allowed = (*required, *optional)
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{where}: expected a mapping with the keys {', '.join(allowed)}")
            return None
        out: dict[str, yaml.Node] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, f"{where}: expected a plain key")
                continue
            name = str(key_node.value)
            if name in first_line:
                self.error(
                    key_node,
                    f"{where}: duplicate key '{name}' (first given on line {first_line[name]})",
                )
                continue
            first_line[name] = _line(key_node)
            if name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.error(
                    key_node,
                    f"{where}: unknown key '{name}'{hint}; expected one of: {', '.join(allowed)}",
                )
                continue
            out[name] = value_node
        for name in required:
            if name not in out and name not in first_line:
                self.error(node, f"{where}: missing key '{name}'")
        return out

    def sequence(self, node: yaml.Node, where: str) -> list[yaml.Node] | None:
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"{where}: expected a list (items starting with '- ')")
            return None
        return list(node.value)

    def scalar(self, node: yaml.Node, where: str, expected: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            self.error(node, f"{where}: expected {expected}")
            return None
        return str(node.value)

    def text(
        self, node: yaml.Node, where: str, *, max_length: int, allow_empty: bool = False
    ) -> str | None:
        if (
            allow_empty
            and isinstance(node, yaml.ScalarNode)
            and node.tag == "tag:yaml.org,2002:null"
        ):
            return ""
        value = self.scalar(node, where, "text")
        if value is None:
            return None
        value = value.strip()
        if not value and not allow_empty:
            self.error(node, f"{where}: expected text, got an empty value")
            return None
        if len(value) > max_length:
            self.error(node, f"{where}: at most {max_length} characters, got {len(value)}")
            return None
        return value

    def key(self, node: yaml.Node, where: str) -> str | None:
        value = self.scalar(node, where, "a key such as '2026h' or 's1'")
        if value is None:
            return None
        if not KEY_PATTERN.match(value):
            self.error(
                node,
                f"{where}: '{value}' is not a key: expected letters, digits, '-', '_' or '.', "
                "at most 64 characters",
            )
            return None
        return value

    def boolean(self, node: yaml.Node, where: str) -> bool | None:
        value = self.scalar(node, where, "true or false")
        if value is None:
            return None
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        self.error(node, f"{where}: expected true or false, got '{value}'")
        return None

    def integer(self, node: yaml.Node, where: str, *, minimum: int = 1) -> int | None:
        value = self.scalar(node, where, "a whole number")
        if value is None:
            return None
        if not re.fullmatch(r"\d+", value.strip()) or int(value) < minimum:
            self.error(node, f"{where}: expected a whole number >= {minimum}, got '{value}'")
            return None
        return int(value)

    def day(self, node: yaml.Node, where: str) -> date | None:
        value = self.scalar(node, where, "a date like 2026-09-01")
        if value is None:
            return None
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            self.error(node, f"{where}: expected a date like 2026-09-01, got '{value}'")
            return None

    def parse(
        self, node: yaml.Node, where: str, parser: Callable[[str], T], expected: str
    ) -> T | None:
        value = self.scalar(node, where, expected)
        if value is None:
            return None
        try:
            return parser(value)
        except WhenError as exc:
            self.error(node, f"{where}: {exc}")
            return None
