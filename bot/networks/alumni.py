"""Cohort completion, alumni consent and the alumni channels."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import claims, steps
from bot.consent import record_consent
from bot.messages import Markup, t
from bot.networks.channels import _ensure_network, _join
from bot.networks.shared import (
    ACTION_CONSENT,
    ACTIVE_STATUSES,
    ANSWER_LOCK,
    InvalidRequest,
    _audit_actor,
    _deliver_to,
    _staff,
    alumni_channel_name,
    in_chat,
    reaches,
    slack_ids,
    slack_name,
    split_answer_value,
)
from bot.notifier import Button, OutgoingMessage, Section
from bot.people import Actor
from bot.settings import Settings
from bot.text import channel as channel_ref
from storage.db import Database
from storage.models import (
    Cohort,
    CohortStatus,
    ConsentKind,
    EnrolmentStatus,
    NetworkKind,
    Person,
)
from storage.queries import networks as q
from storage.queries.people import record_audit

logger = logging.getLogger(__name__)


async def complete_cohort(
    session: AsyncSession,
    settings: Settings,
    *,
    cohort_id: int,
    now: datetime,
    actor: Actor | None = None,
) -> list[int]:
    """Mark the cohort completed: participants become alumni and are asked for consent.

    Class channels (Slack's and Teams') are archived when
    `class_channels_on_completion="archive"`. Returns the person ids asked.
    """
    _staff(actor)
    cohort = await q.get_cohort(session=session, cohort_id=cohort_id)
    if cohort is None:
        raise InvalidRequest(f"unknown cohort {cohort_id}")
    cohort.status = CohortStatus.COMPLETED
    cohort.completed_at = cohort.completed_at or now
    asked: list[int] = []
    enrolled = await q.list_enrolled(session=session, cohort_id=cohort_id)
    where = await reaches(session, [p for _, p in enrolled])
    for enrolment, person in enrolled:
        if enrolment.status not in (*ACTIVE_STATUSES, EnrolmentStatus.COMPLETED):
            continue
        # The cohort ending completes nobody: completion is recorded by staff or the import
        # (bot.enrolment_status). Everyone still in it joins the alumni network.
        if enrolment.is_alumnus:
            continue
        enrolment.is_alumnus = True
        assert person.id is not None
        asked.append(person.id)
        if in_chat(where.get(person.id)):
            await _deliver_to(
                session,
                settings,
                where[person.id],
                now=now,
                key=f"alumni-consent:{cohort_id}:{person.id}",
                kind="alumni_consent",
                message=_consent_message(settings, cohort, person),
                send_at=now,
                audience="participant",
                person=person,
                source=f"cohort:{cohort_id}",
            )
    if settings.class_channels_on_completion == "archive":
        for net in await q.list_networks(
            session=session, kind=NetworkKind.CLASS, cohort_id=cohort_id
        ):
            net.archived_at = now
            await steps.archive(session, settings, network=net, now=now)
            await steps.archive_team_channel(session, settings, network=net, now=now)
    # Matching in the cohort network stops; alumni are matched in the alumni network instead.
    # No rhythm either, so Home stops offering "peer chat every 2 weeks" and its opt-out there.
    for net in await q.list_networks(session=session, kind=NetworkKind.COHORT, cohort_id=cohort_id):
        net.next_match_at = None
        net.match_every_weeks = None
    who, actor_id = _audit_actor(actor)
    await record_audit(
        session=session,
        actor=who,
        actor_id=actor_id,
        action="networks.complete_cohort",
        subject=f"cohort:{cohort_id}",
        detail={"alumni": len(asked)},
        flush=True,
    )
    return asked


def _consent_message(settings: Settings, cohort: Cohort, person: Person) -> OutgoingMessage:
    locale = person.locale
    text = t(
        "networks.alumni.consent.text",
        locale,
        cohort=cohort.name,
        weeks=settings.alumni_match_every_weeks,
    )
    return OutgoingMessage(
        text=text,
        title=t("networks.alumni.consent.title", locale),
        sections=(
            Section(
                text=text,
                buttons=(
                    Button(
                        f"{ACTION_CONSENT}:yes",
                        t("networks.alumni.consent.yes", locale),
                        f"{cohort.id}:yes",
                        "primary",
                    ),
                    Button(
                        f"{ACTION_CONSENT}:no",
                        t("networks.alumni.consent.no", locale),
                        f"{cohort.id}:no",
                    ),
                ),
            ),
        ),
        locale=locale,
    )


async def complete_due_cohorts(
    session: AsyncSession, settings: Settings, *, now: datetime
) -> list[int]:
    """Complete every cohort whose end date has passed; returns their ids."""
    done = []
    for cohort in await q.list_cohorts_due_for_completion(
        session=session, today=now.astimezone(settings.zone)
    ):
        assert cohort.id is not None
        await complete_cohort(session, settings, cohort_id=cohort.id, now=now)
        done.append(cohort.id)
    return done


async def record_alumni_consent(
    session: AsyncSession,
    settings: Settings,
    *,
    person_id: int,
    cohort_id: int,
    consent: bool,
    now: datetime,
    via: str = "slack",
    once: bool = False,
) -> list[str]:
    """Record the answer (with the words it answered, in the consent history); on yes join the
    national and regional alumni channels.

    Returns the channels joined (ids, or `network:<id>` while being made; none for `once`
    when the answer was already recorded; none in Slack for someone reached in Teams, whose
    alumni prompts come to their chat with the bot). A "no" (also a later withdrawal) closes
    the alumni memberships and takes the person out of the alumni channels: the Slack work is
    queued as outbox steps, done after the caller commits.
    """
    # Clicks are applied in turn: with `once`, the second of a burst sees the first's answer.
    await claims.serialise(session, job=ANSWER_LOCK)
    enrolment = await q.get_enrolment(session=session, person_id=person_id, cohort_id=cohort_id)
    if enrolment is None or not enrolment.is_alumnus:
        raise InvalidRequest("not an alumnus of this cohort")
    person = await q.get_person(session=session, person_id=person_id)
    cohort = await q.get_cohort(session=session, cohort_id=cohort_id)
    assert person is not None and cohort is not None
    if enrolment.alumni_consent is consent and once:
        # The same answer again (a second click, a card's duplicate invoke): nothing changes,
        # and the consent history keeps one entry per decision.
        return []
    enrolment.alumni_consent = consent
    enrolment.alumni_consent_at = now
    await record_consent(
        session,
        person_id=person_id,
        kind=ConsentKind.ALUMNI,
        scope=f"cohort:{cohort_id}",
        granted=consent,
        locale=person.locale,
        via=via,
        now=now,
        cohort=cohort.name,
        weeks=settings.alumni_match_every_weeks,
    )
    alumni_kinds = (NetworkKind.ALUMNI_NATIONAL, NetworkKind.ALUMNI_REGION)
    if not consent:
        memberships = await q.list_person_memberships(
            session=session, person_id=person_id, kinds=alumni_kinds
        )
        account = (await slack_ids(session, [person])).get(person_id)
        for m, network in memberships:
            if m.left_at is None and account:
                await steps.kick(
                    session,
                    settings,
                    network=network,
                    user_id=account,
                    now=now,
                    person_id=person_id,
                )
        await q.leave_memberships(session=session, memberships=[m for m, _ in memberships], now=now)
        return []
    # Keep the person's matching choice from the programme.
    previous = await q.list_person_memberships(
        session=session, person_id=person_id, kinds=[NetworkKind.COHORT]
    )
    opt_in = all(m.matching_opt_in for m, _ in previous) if previous else True
    national, _ = await _ensure_network(
        session,
        settings,
        kind=NetworkKind.ALUMNI_NATIONAL,
        key="alumni:national",
        name="Alumni",
        channel_name=alumni_channel_name(settings),
        match_every_weeks=settings.alumni_match_every_weeks,
        next_match_at=now + timedelta(weeks=settings.alumni_match_every_weeks),
        now=now,
    )
    joined = [national]
    if person.county:
        region, _ = await _ensure_network(
            session,
            settings,
            kind=NetworkKind.ALUMNI_REGION,
            key=f"alumni:region:{slack_name(person.county)}",
            name=f"Alumni {person.county}",
            channel_name=alumni_channel_name(settings, person.county),
            region=person.county,
            now=now,
        )
        joined.append(region)
    channels = []
    where = (await reaches(session, [person]))[person_id]
    in_slack = where.transport == "slack"  # then the target is their Slack id
    for net in joined:
        await _join(session, net, person, now, opt_in=opt_in)
        if in_slack:
            # A channel still being made is named by its network; the outbox fills in its
            # id when the welcome goes, after the create step.
            channels.append(steps.channel_of(net))
            await steps.invite(session, settings, network=net, user_ids=[where.target], now=now)
    if in_chat(where):
        text = (
            t(
                "networks.alumni.welcome",
                person.locale,
                channels=Markup(", ".join(channel_ref(c) for c in channels)),
            )
            if channels
            else t("networks.alumni.welcome_chat", person.locale)
        )
        await _deliver_to(
            session,
            settings,
            where,
            now=now,
            key=f"alumni-welcome:{person_id}",
            kind="alumni_welcome",
            message=OutgoingMessage(text=text, locale=person.locale),
            send_at=now,
            audience="alumni",
            person=person,
        )
    return channels


async def withdraw_alumni_consent(
    session: AsyncSession,
    settings: Settings,
    *,
    person_id: int,
    now: datetime,
    via: str = "slack",
) -> int:
    """Withdraw every alumni consent the person gave; returns how many were withdrawn."""
    withdrawn = 0
    for enrolment in await q.list_person_enrolments(session=session, person_id=person_id):
        if enrolment.is_alumnus and enrolment.alumni_consent is True:
            await record_alumni_consent(
                session,
                settings,
                person_id=person_id,
                cohort_id=enrolment.cohort_id,
                consent=False,
                now=now,
                via=via,
            )
            withdrawn += 1
    return withdrawn


async def alumni_not_in_network(session: AsyncSession, *, person_id: int) -> list[Cohort]:
    """Cohorts this alumnus completed without saying yes to the alumni network (yet)."""
    cohorts = []
    for enrolment in await q.list_person_enrolments(session=session, person_id=person_id):
        if enrolment.is_alumnus and enrolment.alumni_consent is not True:
            cohort = await q.get_cohort(session=session, cohort_id=enrolment.cohort_id)
            if cohort is not None:
                cohorts.append(cohort)
    return cohorts


async def answer_consent_button(
    db: Database,
    settings: Settings,
    *,
    person_id: int,
    value: object,
    now: datetime,
    via: str = "slack",
    once: bool = False,
) -> str:
    """The alumni network's yes/no button ("7:yes") pressed in any chat tool, recorded in its
    own transaction; returns the key of the reply to show. Nothing is stored for a bad value,
    and nothing when the chat tool refuses the channel join (the transaction rolls back)."""
    parsed = split_answer_value(value)
    if parsed is None or parsed[1] not in ("yes", "no"):
        return "error.generic"
    try:
        async with db.transaction() as session:
            await record_alumni_consent(
                session,
                settings,
                person_id=person_id,
                cohort_id=parsed[0],
                consent=parsed[1] == "yes",
                now=now,
                via=via,
                once=once,
            )
    except InvalidRequest as exc:
        logger.warning("Alumni consent not recorded: %s", exc)
        return "error.generic"
    except Exception:
        logger.exception("Alumni consent not recorded: the chat tool refused")
        return "error.generic"
    return "networks.checkin.thanks" if parsed[1] == "yes" else "networks.alumni.declined"
