"""Who is asking: a person, their roles and language. Staff checks live here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.directory import DirectoryUser
from bot.messages import DEFAULT_LOCALE, normalise_locale
from bot.settings import Settings
from storage.emails import canonical_email
from storage.models import Person
from storage.queries import identities as identities_q
from storage.queries import people as q

ROLES = ("staff", "participant", "alumnus", "line_manager")
SLACK = "slack"


@dataclass(frozen=True)
class Actor:
    """The person behind a request (or None if unknown), with their roles.

    `slack_user_id`: who wrote in Slack, or the person's Slack identity when they came some
    other way (Teams), else "".
    """

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
    def is_evaluator(self) -> bool:
        return "evaluator" in self.roles

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
    if person.email in settings.evaluator_emails:
        roles.add("evaluator")  # the Directorate: aggregates only (bot.evaluator)
    return Actor(slack_user_id, person, frozenset(roles), normalise_locale(person.locale))


async def actor_for_person(
    *, session: AsyncSession, settings: Settings, person: Person | None, locale: str | None = None
) -> Actor:
    """The Actor for a person found some other way (Teams): their roles and language.

    `slack_user_id` is the person's Slack id when they have one, else "" (it only names them).
    """
    if person is None or person.id is None:
        return Actor("", None, frozenset(), normalise_locale(locale))
    roles = await q.person_roles(session=session, person_id=person.id)
    if person.is_staff or person.email in settings.staff_emails:
        roles.add("staff")
    if person.email in settings.evaluator_emails:
        roles.add("evaluator")  # the Directorate: aggregates only (bot.evaluator)
    slack_user_id = await q.slack_id_of(session=session, person_id=person.id)
    return Actor(slack_user_id or "", person, frozenset(roles), normalise_locale(person.locale))


def is_staff_email(settings: Settings, email: str | None) -> bool:
    """Whether COHORTBOT_STAFF_EMAILS lists `email` (case does not matter)."""
    return bool(email) and canonical_email(email or "") in settings.staff_emails


def is_listed_email(settings: Settings, email: str | None) -> bool:
    """Whether COHORTBOT_STAFF_EMAILS or COHORTBOT_EVALUATOR_EMAILS lists `email`."""
    return is_staff_email(settings, email) or (
        bool(email) and canonical_email(email or "") in settings.evaluator_emails
    )


async def recognise_listed(
    *,
    session: AsyncSession,
    settings: Settings,
    email: str | None,
    name: str | None = None,
    locale: str | None = None,
    tz: str | None = None,
    slack_user_id: str | None = None,
    platform: str = "slack",
    now: datetime | None = None,
) -> Person | None:
    """The person for a chat account whose email COHORTBOT_STAFF_EMAILS (or
    COHORTBOT_EVALUATOR_EMAILS) lists, created when nobody has that email yet; audited.

    Staff and evaluators are rarely imported, so first contact in any chat tool recognises
    them. Staff-ness stays with the settings: the person is not flagged, so taking an email
    out of the setting takes the role away. With `slack_user_id`, the Slack account is linked
    too, and an email that belongs to another Slack account already gives None (never moved
    silently); then `now` is required (the identity's time stamp). None for an email no
    setting lists.
    """
    if not is_listed_email(settings, email):
        return None
    assert email is not None
    email = canonical_email(email)

    async def taken(found: Person) -> bool:
        if slack_user_id is None:
            return False
        linked = await q.slack_id_of(session=session, person_id=found.id)
        return linked not in (None, slack_user_id)

    person = await q.get_person_by_email(session=session, email=email)
    if person is not None and await taken(person):
        return None
    created = person is None
    if person is None:
        person = Person(
            email=email,
            name=name or email.split("@")[0],
            locale=normalise_locale(locale),
        )
        if tz:
            person.timezone = tz
        if not await q.insert_person_unless_taken(session=session, person=person):
            # Two first contacts at once (a burst of clicks, two processes): the other one
            # created the person; link that row instead of failing on the unique email.
            created = False
            person = await q.get_person_by_email(session=session, email=email)
            if person is None or await taken(person):
                return None
    if slack_user_id is not None:
        assert now is not None and person.id is not None
        await identities_q.save_identity(
            session=session,
            person_id=person.id,
            platform=SLACK,
            user_id=slack_user_id,
            now=now,
            take_over=False,
        )
    await q.record_audit(
        session=session,
        actor="system",
        action="staff.recognised",
        subject=f"person:{person.id}",
        detail={
            "created": created,
            "via": "COHORTBOT_STAFF_EMAILS"
            if is_staff_email(settings, email)
            else "COHORTBOT_EVALUATOR_EMAILS",
            **({} if platform == "slack" else {"platform": platform}),
        },
    )
    return person


async def recognise_staff(
    *, session: AsyncSession, settings: Settings, user: DirectoryUser, now: datetime
) -> Person | None:
    """Link a Slack user whose email COHORTBOT_STAFF_EMAILS (or COHORTBOT_EVALUATOR_EMAILS)
    lists to a person (`recognise_listed`); None for a deactivated account or anyone else."""
    if user.deleted:
        return None
    return await recognise_listed(
        session=session,
        settings=settings,
        email=user.email,
        name=user.name,
        locale=user.locale,
        tz=user.tz,
        slack_user_id=user.id,
        now=now,
    )


async def staff_slack_ids(session: AsyncSession, settings: Settings) -> list[str]:
    """The Slack user ids of every staff member (flagged or listed in the setting)."""
    from storage.queries.risk import staff_recipients

    people = await staff_recipients(session=session, staff_emails=settings.staff_emails)
    return [slack_user_id for _, slack_user_id in people]


class NotAllowed(Exception):
    """A non-staff person tried a staff action."""


def require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise NotAllowed(actor.slack_user_id)
