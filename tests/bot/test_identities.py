"""Per-platform identities: who is who on Teams, and where each person is reached."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from bot.clock import FrozenClock
from bot.identities import (
    TeamsUser,
    forget_teams_conversation,
    match_roster,
    parse_teams_target,
    reach_person,
    remember_teams_user,
    teams_target,
)
from bot.pulses import invite
from bot.settings import Settings
from storage.db import Database
from storage.models import Delivery, PersonIdentity
from tests.utils.factories import create_class, create_cohort, create_person, create_pulse, enrol

NOW = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
SERVICE = "https://smba.trafficmanager.net/emea"


def test_target_round_trips_ids_with_colons_and_semicolons() -> None:
    conv = "19:abc@thread.tacv2;messageid=1700000000"
    assert parse_teams_target(teams_target(conv, SERVICE + "/")) == (conv, SERVICE)


async def test_reach_prefers_slack_then_teams_then_email(db: Database) -> None:
    async with db.transaction() as session:
        both = await create_person(session, email="both@kommune.no", slack_user_id="U1")
        teams_only = await create_person(session, email="Teams@Kommune.no".lower())
        nowhere = await create_person(session, email="mail@kommune.no")
        for person in (both, teams_only):
            await remember_teams_user(
                session,
                TeamsUser(user_id=f"29:{person.id}", email=person.email.upper()),
                now=NOW,
                service_url=SERVICE,
                conversation_id=f"a:{person.id}",
            )
        assert (await reach_person(session, both)).transport == "slack"
        where = await reach_person(session, teams_only)
        assert where.transport == "teams"
        assert parse_teams_target(where.target) == (f"a:{teams_only.id}", SERVICE)
        assert (await reach_person(session, nowhere)).transport == "email"
        # Removing the app moves the person back to email.
        await forget_teams_conversation(session, user_id=f"29:{teams_only.id}", now=NOW)
        assert (await reach_person(session, teams_only)).transport == "email"


async def test_roster_matches_email_or_upn_case_insensitively_and_lists_the_rest(
    db: Database,
) -> None:
    async with db.transaction() as session:
        cohort = await create_cohort(session)
        cls = await create_class(session, cohort=cohort)
        kari = await create_person(session, email="kari.nordmann@bergen.kommune.no", name="Kari")
        ola = await create_person(session, email="ola@voss.kommune.no", name="Ola")
        for p in (kari, ola):
            await enrol(session, person=p, cohort=cohort, cls=cls)
        result = await match_roster(
            session,
            [
                TeamsUser("29:k", "aad-k", "t", email="Kari.Nordmann@Bergen.Kommune.NO"),
                TeamsUser("29:x", "aad-x", "t", email="stranger@example.org", name="Stranger"),
            ],
            now=NOW,
        )
        assert [p.id for p, _ in result.matched] == [kari.id]
        assert [m.user_id for m in result.unknown_members] == ["29:x"]
        assert [p.name for p in result.not_found] == ["Ola"]
        rows = (
            await session.exec(select(PersonIdentity).where(PersonIdentity.platform == "teams"))
        ).all()  # type: ignore[call-overload]
        assert [(r.person_id, r.user_id, r.aad_object_id) for r in rows] == [
            (kari.id, "29:k", "aad-k")
        ]


async def test_roster_matches_an_address_written_with_its_unicode_domain(db: Database) -> None:
    """Rosters and imports meet in the one canonical form (storage.emails): `Bærum` in Teams is
    the `xn--brum-voa` the import stored, in any case."""
    async with db.transaction() as session:
        cohort = await create_cohort(session)
        cls = await create_class(session, cohort=cohort)
        ola = await create_person(session, email="ola@xn--brum-voa.kommune.no", name="Ola")
        await enrol(session, person=ola, cohort=cohort, cls=cls)
        result = await match_roster(
            session, [TeamsUser("29:o", "aad-o", "t", email=" OLA@Bærum.kommune.no ")], now=NOW
        )
        assert [p.id for p, _ in result.matched] == [ola.id]
        assert result.unknown_members == []
        assert result.not_found == []


async def test_unknown_teams_user_stores_nothing(db: Database) -> None:
    async with db.transaction() as session:
        person = await remember_teams_user(
            session,
            TeamsUser("29:nobody", email="nobody@example.org"),
            now=NOW,
            service_url=SERVICE,
            conversation_id="a:n",
        )
        assert person is None
        assert (
            await session.exec(select(PersonIdentity).where(PersonIdentity.platform == "teams"))
        ).all() == []  # type: ignore[call-overload]


async def test_pulse_reaches_people_who_are_only_in_teams(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    async with db.transaction() as session:
        cohort = await create_cohort(session)
        on_slack = await create_person(session, slack_user_id="U9")
        on_teams = await create_person(session)
        nowhere = await create_person(session)
        for p in (on_slack, on_teams, nowhere):
            await enrol(session, person=p, cohort=cohort)
        await remember_teams_user(
            session,
            TeamsUser("29:t", email=on_teams.email),
            now=NOW,
            service_url=SERVICE,
            conversation_id="a:t",
        )
        pulse, _ = await create_pulse(session, cohort=cohort, opens_at=NOW)
        asked = await invite(session, pulse, now=NOW, settings=settings)
    # Each where they are: Slack, Teams, and email for the one in neither (issue 18.1).
    assert asked == 3
    async with db.session() as session:
        rows = (await session.exec(select(Delivery))).all()  # type: ignore[call-overload]
    assert sorted((r.transport, r.person_id) for r in rows) == sorted(
        [("slack", on_slack.id), ("teams", on_teams.id), ("email", nowhere.id)]
    )


async def test_two_install_events_at_once_store_one_identity(db: Database) -> None:
    """Teams sends installationUpdate and conversationUpdate for one install at the same time."""
    import asyncio

    async with db.transaction() as session:
        person = await create_person(session, email="samtidig@kommune.no")

    async def save(n: int) -> None:
        async with db.transaction() as session:
            await remember_teams_user(
                session,
                TeamsUser("29:same", "aad-same", email=person.email),
                now=NOW,
                service_url=SERVICE,
                conversation_id=f"a:same-{n}",
            )

    await asyncio.gather(save(1), save(2))
    async with db.session() as session:
        rows = (
            await session.exec(select(PersonIdentity).where(PersonIdentity.platform == "teams"))
        ).all()  # type: ignore[call-overload]
    assert [(r.person_id, r.user_id) for r in rows] == [(person.id, "29:same")]
    assert rows[0].conversation_id in ("a:same-1", "a:same-2")


async def test_a_deactivated_slack_account_gets_no_direct_message_from_any_planner(
    db: Database, settings: Settings
) -> None:
    """Kari's and her manager Mona's Slack accounts are deactivated (`active=False` on their
    identities, as the import's directory match sets it): their assignment messages, the
    manager's nudge and a pulse go by email; Ola, active, keeps Slack."""
    from sqlalchemy import update

    from bot.planner import plan_deliveries
    from tests.utils.assignments import add_assignment, add_nudge, build_programme, oslo

    async with db.transaction() as session:
        world = await build_programme(session)
        await session.execute(
            update(PersonIdentity)
            .where(PersonIdentity.user_id.in_(["UKARI", "UMONA"]))  # type: ignore[attr-defined]
            .values(active=False)
        )
        await add_assignment(
            session,
            world.cohort,
            release_at=oslo(2026, 9, 10, 16, 0),
            due_at=oslo(2026, 9, 25, 23, 59),
        )
        await add_nudge(session, world.cohort, send_at=oslo(2026, 9, 21, 10, 0))
        now = oslo(2026, 9, 1, 10, 0)
        await plan_deliveries(
            session=session, cohort_id=world.cohort.id, settings=settings, now=now
        )
        pulse, _ = await create_pulse(session, cohort=world.cohort, opens_at=now)
        await invite(session, pulse, now=now, settings=settings)
    async with db.session() as session:
        rows = (await session.exec(select(Delivery))).all()  # type: ignore[call-overload]
    assert not [r for r in rows if r.target in ("UKARI", "UMONA")]
    by = {(r.person_id, r.transport) for r in rows}
    for person in (world.kari, world.mona):
        assert (person.id, "email") in by and (person.id, "slack") not in by
    assert (world.ola.id, "slack") in by
