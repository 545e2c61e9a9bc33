"""App Home sections: each feature adds the part it owns with `@home_section(...)`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.people import Actor
from bot.runtime import Runtime

Blocks = list[dict[str, Any]]
SectionBuilder = Callable[[Runtime, Actor], Awaitable[Blocks]]


@dataclass(frozen=True)
class HomeSection:
    name: str
    roles: frozenset[str]  # shown to people with any of these roles
    order: int
    build: SectionBuilder


HOME_SECTIONS: dict[str, HomeSection] = {}


def home_section(
    name: str, *, roles: set[str] | frozenset[str], order: int = 50
) -> Callable[[SectionBuilder], SectionBuilder]:
    """Register a builder for one part of App Home, for the given roles."""

    def decorate(build: SectionBuilder) -> SectionBuilder:
        HOME_SECTIONS[name] = HomeSection(name, frozenset(roles), order, build)
        return build

    return decorate


def sections_for(actor: Actor) -> list[HomeSection]:
    return sorted(
        (s for s in HOME_SECTIONS.values() if s.roles & actor.roles),
        key=lambda s: (s.order, s.name),
    )
