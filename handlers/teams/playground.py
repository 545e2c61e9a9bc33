"""The Microsoft 365 Agents Playground's mock data, from the demo programme's people.

`make playground` writes `.m365agentsplayground.yml` with this, so the Playground's user and
team roster are demo people: the bot recognises them by email, as it would in a tenant.
`python -m handlers.teams.playground [staff|participant|manager]` prints it.
"""

from __future__ import annotations

import sys
import uuid

import yaml

from bot.demo import DemoPerson, demo_people

ROLES = ("staff", "participant", "line_manager")


def demo_aad_object_id(email: str) -> str:
    """The Entra object id a demo person has in the Playground and in the local Graph."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cohortbot-demo:{email}"))


def _user(n: int, person: DemoPerson) -> dict[str, str]:
    email = person.row["email"]
    first, _, last = person.row["name"].partition(" ")
    return {
        "id": f"user-id-{n}",
        "name": person.row["name"],
        "userPrincipleName": email,  # sic: the Playground's config spells it so
        "aadObjectId": demo_aad_object_id(email),
        "givenName": first,
        "surname": last,
        "email": email,
    }


def playground_config(as_role: str = "staff", people: list[DemoPerson] | None = None) -> str:
    """The YAML: the current user in `as_role`, and five more demo people in the roster."""
    people = people or demo_people()
    role = {"manager": "line_manager"}.get(as_role, as_role)
    if role not in ROLES:
        raise ValueError(f"unknown role {as_role!r}: expected staff, participant or manager")
    # A line manager not on Slack, so the bot reaches them in Teams (Slack comes first).
    me = next(
        (p for p in people if p.role == role and not (role == "line_manager" and p.on_slack)),
        next(p for p in people if p.role == role),
    )
    others = [p for p in people if p is not me and p.role in ("participant", "line_manager")][:5]
    config = {
        "version": "0.1.1",
        "tenantId": "00000000-0000-0000-0000-0000000000001",
        "bot": {"id": "00000000-0000-0000-0000-00000000000011", "name": "cohortbot"},
        "currentUser": _user(0, me),
        "users": [_user(n + 1, p) for n, p in enumerate(others)],
        "personalChat": {"id": "personal-chat-cohortbot"},
        "groupChat": {"id": "group-chat-cohortbot", "name": "Kollegagruppe"},
        "team": {
            "id": "team-id",
            "name": "Demokull Bergen",
            "aadGroupId": "00000000-0000-0000-0000-000000000031",
            "channels": [{"id": "channel-general-id", "name": "General"}],
        },
    }
    header = (
        "# Written by `make playground` from the demo programme (handlers/teams/playground.py).\n"
        "# yaml-language-server: $schema=https://aka.ms/teams-app-test-tool-config/0.1.1/config.schema.json\n"
    )
    return header + yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


if __name__ == "__main__":
    sys.stdout.write(playground_config(sys.argv[1] if len(sys.argv) > 1 else "staff"))
