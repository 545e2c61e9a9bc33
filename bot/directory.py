"""The Slack directory port: who is in the workspace, by email. Slack implements it at the edge.

Importing people reads the whole directory once, page by page (`users.list`), instead of one
`users.lookupByEmail` call per person: that method is Tier 3 (about 50 calls a minute), so a
cohort of 600 participants and their managers would take half an hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class DirectoryUser:
    """One workspace member as the directory reports them."""

    id: str
    email: str | None  # lower-case; None when the app lacks the users:read.email scope
    deleted: bool = False  # deactivated in the workspace
    locale: str | None = None  # e.g. "nb-NO", "en-US"
    tz: str | None = None  # IANA zone, e.g. "Europe/Oslo"
    name: str | None = None  # the name Slack shows (real name, else display name)


class SlackDirectory(Protocol):
    """Everyone in the workspace (active and deactivated, without bots)."""

    async def all_users(self) -> list[DirectoryUser]: ...


class UserLookup(Protocol):
    """One workspace member by Slack user id or email (users.info / users.lookupByEmail)."""

    async def user(self, user_id: str) -> DirectoryUser | None: ...

    async def user_by_email(self, email: str) -> DirectoryUser | None: ...


class DirectoryError(Exception):
    """The directory could not be read; the message says why and what to check."""
