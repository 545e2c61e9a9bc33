"""Joins on people's Slack identity (`person_identity`, platform "slack") for queries that read it.

A person has at most one Slack identity: `slack_join` is an outer join on (person id, "slack"),
so rows of people without one stay, with a NULL id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func
from sqlalchemy.orm import aliased
from sqlmodel import col

from storage.models import PersonIdentity

SLACK = "slack"


def slack_alias() -> Any:
    """A fresh alias of `person_identity`, one per person joined in a query."""
    return aliased(PersonIdentity)


def slack_on(identity: Any, person_id: Any) -> Any:
    """The join condition: this person's Slack identity."""
    return and_(col(identity.person_id) == person_id, col(identity.platform) == SLACK)


def slack_user_id(identity: Any) -> Any:
    return col(identity.user_id)


def slack_active(identity: Any) -> Any:
    """Whether the Slack account is active (True without one, as `reach` ignores it then)."""
    return func.coalesce(col(identity.active), True)
