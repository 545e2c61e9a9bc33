"""Seed a workspace: a small demo class, or people and channels from a JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from emulator.state import WorkspaceState

DEMO_PEOPLE: list[dict[str, Any]] = [
    {
        "name": "kari",
        "real_name": "Kari Nordmann",
        "email": "kari.nordmann@example.no",
        "role": "staff",
    },
    {
        "name": "per",
        "real_name": "Per Olsen",
        "email": "per.olsen@example.no",
        "role": "staff",
        "locale": "en-US",
    },
    {
        "name": "ola",
        "real_name": "Ola Hansen",
        "email": "ola.hansen@bergen.kommune.no",
        "role": "participant",
    },
    {
        "name": "ingrid",
        "real_name": "Ingrid Berg",
        "email": "ingrid.berg@bergen.kommune.no",
        "role": "participant",
    },
    {
        "name": "amir",
        "real_name": "Amir Haddad",
        "email": "amir.haddad@tromso.kommune.no",
        "role": "participant",
        "locale": "en-US",
    },
    {
        "name": "lars",
        "real_name": "Lars Lie",
        "email": "lars.lie@bergen.kommune.no",
        "role": "line manager",
    },
    {"name": "siri", "real_name": "Siri Dahl", "email": "siri.dahl@example.no", "role": "alumnus"},
]


def seed_demo(state: WorkspaceState) -> None:
    """Seed a handful of people (one per role at least) and a class channel, for standalone use."""
    ids = {}
    for person in DEMO_PEOPLE:
        ids[person["name"]] = state.add_user(**person).id
    state.add_channel("general", members=list(ids.values()), is_general=True, bot_member=False)
    state.add_channel(
        "kull-bergen",
        members=[ids["kari"], ids["per"], ids["ola"], ids["ingrid"]],
        topic="Klassen i Bergen",
    )
    state.add_channel("alumni", members=[ids["siri"], ids["kari"]])


def seed_from_file(state: WorkspaceState, path: str | Path) -> None:
    """Seed from JSON: {"users": [{name, real_name, email, role, locale, tz, user_id}], "channels": [...]}.

    Channel entries are {name, members: [user names or ids], is_private, bot_member}.
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    by_name: dict[str, str] = {}
    for person in data.get("users", []):
        user = state.add_user(**person)
        by_name[user.name] = user.id
    for channel in data.get("channels", []):
        members = [by_name.get(m, m) for m in channel.get("members", [])]
        state.add_channel(
            channel["name"],
            members=members,
            is_private=bool(channel.get("is_private")),
            bot_member=bool(channel.get("bot_member", True)),
            topic=str(channel.get("topic", "")),
        )
