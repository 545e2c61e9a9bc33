"""Who is asking: a person, their roles and language. Staff checks live here."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.messages import DEFAULT_LOCALE, normalise_locale
from bot.settings import Settings
from storage.models import Person
from storage.queries import people as q

ROLES = ("staff", "participant", "alumnus", "line_manager")


@dataclass(frozen=True)
class Actor:
    """The person behind a Slack request (or None if unknown), with their roles."""

    slack_user_id: str
    person: Person | None
    roles: frozenset[str] = field(default_factory=frozenset)
    locale: str = DEFAULT_LOCALE

    @property
    def known(self) -> bool:
        return self.person is not None

    @property
    def is_staff(self) -> bool:
        return "staff" in self.roles

    @property
    def person_id(self) -> int | None:
        return self.person.id if self.person else None

    @property
    def known_id(self) -> int:
        """The person's id, for code that has already checked `known` (e.g. `known_actor`)."""
        if self.person is None or self.person.id is None:
            raise LookupError("the actor is not a known person")
        return self.person.id


async def resolve_actor(
    *,
    session: AsyncSession,
    settings: Settings,
    slack_user_id: str,
    slack_locale: str | None = None,
) -> Actor:
    """Look up the person by Slack user id and work out their roles."""
    person = await q.get_person_by_slack_id(session=session, slack_user_id=slack_user_id)
    if person is None or person.id is None:
        return Actor(slack_user_id, None, frozenset(), normalise_locale(slack_locale))
    roles = await q.person_roles(session=session, person_id=person.id)
    if person.is_staff or person.email in settings.staff_emails:
        roles.add("staff")
    return Actor(slack_user_id, person, frozenset(roles), normalise_locale(person.locale))


class NotAllowed(Exception):
    """A non-staff person tried a staff action."""


def require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise NotAllowed(actor.slack_user_id)
