"""Announcements: audiences with filters, email fallback for line managers, delivery reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot import broadcasts as bc
from bot import networks as nw
from bot.clock import FrozenClock
from bot.delivery import Dispatcher
from bot.notifier import RecordingNotifier, SendResult
from bot.people import Actor, NotAllowed
from bot.settings import Settings
from bot.steps import STEP_KINDS
from storage.db import Database
from storage.models import AuditEvent, Delivery, LineManagerLink, Network, Person
from storage.queries.networks import get_cohort_by_key
from tests.utils.channels import FakeChannelAdmin, run_steps
from tests.utils.deliveries import ScriptedNotifier, by_target
from tests.utils.factories import create_class, create_cohort, create_person, enrol

STAFF = Actor("USTAFF", None, frozenset({"staff"}))


async def setup_cohort(db: Database) -> dict[str, Person]:
    """Four participants in two counties; two line managers, one only reachable by email."""
    async with db.transaction() as s:
        cohort = await create_cohort(s, key="2026h")
        bergen = await create_class(s, cohort=cohort, key="bergen", city="Bergen")
        tromso = await create_class(s, cohort=cohort, key="tromso", city="Tromsø")
        people: dict[str, Person] = {}
        for name, county, klass, area in [
            ("Anne", "Vestland", bergen, "Hjemmetjeneste"),
            ("Bjørn", "Vestland", bergen, "Sykehjem"),
            ("Cecilie", "Troms", tromso, "Hjemmetjeneste"),
            ("Dag", "Vestland", tromso, "Hjemmetjeneste"),
        ]:
            p = await create_person(
                s, name=name, slack_user_id=f"U{name[:3].upper()}", county=county, service_area=area
            )
            await enrol(s, person=p, cohort=cohort, cls=klass)
            people[name] = p
        people["Mona"] = await create_person(s, name="Mona", slack_user_id="UMONA")
        people["Nils"] = await create_person(s, name="Nils", email="nils@kommune.no")
        for participant, manager in [("Anne", "Mona"), ("Bjørn", "Nils"), ("Cecilie", "Nils")]:
            s.add(
                LineManagerLink(
                    participant_id=people[participant].id,
                    manager_id=people[manager].id,
                    cohort_id=cohort.id,
                )
            )
    return people


def test_audience_parsing() -> None:
    a = bc.Audience.parse("class:2026h/bergen", counties=("Vestland", " "))
    assert (a.scope, a.cohort, a.klass, a.counties) == ("class", "2026h", "bergen", ("Vestland",))
    assert bc.Audience.parse("line-managers").scope == "line_managers"
    for bad in ("everyone", "cohort", "class:2026h"):
        with pytest.raises(nw.InvalidRequest):
            bc.Audience.parse(bad)


async def test_preview_filters_by_county_and_service_area(db: Database) -> None:
    await setup_cohort(db)
    async with db.session() as s:
        west = await bc.preview(
            s, actor=STAFF, audience=bc.Audience.parse("cohort:2026h", counties=("vestland",))
        )
        assert sorted(r.label for r in west.recipients) == ["Anne", "Bjørn", "Dag"]
        home_care = await bc.preview(
            s,
            actor=STAFF,
            audience=bc.Audience.parse(
                "cohort:2026h", counties=("Vestland",), service_areas=("hjemmetjeneste",)
            ),
        )
        assert sorted(r.label for r in home_care.recipients) == ["Anne", "Dag"]
        klass = await bc.preview(s, actor=STAFF, audience=bc.Audience.parse("class:2026h/Tromsø"))
        assert klass.count == 2
        managers = await bc.preview(
            s, actor=STAFF, audience=bc.Audience.parse("line_managers:2026h")
        )
        assert managers.by_transport == {"slack": 1, "email": 1}
        with pytest.raises(nw.InvalidRequest):
            await bc.preview(s, actor=STAFF, audience=bc.Audience.parse("cohort:1999v"))


async def test_announcement_to_line_managers_with_email_fallback_and_report(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    await setup_cohort(db)
    async with db.transaction() as s:
        broadcast = await bc.send(
            s,
            settings,
            actor=STAFF,
            audience=bc.Audience.parse("line_managers:2026h", counties=()),
            text="Husk samling 2 i *Bergen* neste uke.",
            send_at=clock.now(),
        )
    assert broadcast.recipient_count == 2
    async with db.session() as s:
        rows = (await s.exec(select(Delivery).order_by(Delivery.id))).all()  # type: ignore[arg-type]
        assert sorted((d.transport, d.target) for d in rows) == [
            ("email", "nils@kommune.no"),
            ("slack", "UMONA"),
        ]
        # Line managers get messages on working days 08:00–16:00; Monday 09:00 is inside.
        assert all(d.send_at == clock.now() and d.kind == "announcement" for d in rows)
        email = next(d for d in rows if d.transport == "email")
        assert email.message["subject"] == "Kunngjøring fra programmet"

    slack = ScriptedNotifier(by_target({"UMONA": [SendResult("failed", error="user_not_found")]}))
    mail = RecordingNotifier(transport="email")
    dispatcher = Dispatcher(db, {"slack": slack, "email": mail}, clock=clock, settings=settings)
    await dispatcher.tick()
    assert [target for target, _ in mail.sent] == ["nils@kommune.no"]
    async with db.transaction() as s:
        report = await bc.delivery_report(s, broadcast.id or 0, actor=STAFF)
    assert (report.total, report.sent, report.failed, report.waiting) == (2, 1, 1, 0)
    assert report.failures == [("Mona", "slack", "user_not_found")]


async def test_quiet_hours_unless_urgent(db: Database, settings: Settings) -> None:
    await setup_cohort(db)
    evening = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)  # 22:00 in Oslo
    audience = bc.Audience.parse("class:2026h/bergen")
    async with db.transaction() as s:
        quiet = await bc.send(
            s, settings, actor=None, audience=audience, text="Hei", send_at=evening
        )
        urgent = await bc.send(
            s, settings, actor=None, audience=audience, text="Avlyst!", send_at=evening, urgent=True
        )
    async with db.session() as s:
        rows = (await s.exec(select(Delivery))).all()
    later = {d.send_at for d in rows if d.source == f"broadcast:{quiet.id}"}
    now = {d.send_at for d in rows if d.source == f"broadcast:{urgent.id}"}
    assert now == {evening}
    assert later == {datetime(2026, 3, 3, 7, 0, tzinfo=UTC)}  # 08:00 Oslo next morning


async def test_channel_posts_and_their_limits(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    await setup_cohort(db)
    admin = FakeChannelAdmin()
    async with db.transaction() as s:
        cohort = await get_cohort_by_key(session=s, key="2026h")
        assert cohort is not None and cohort.id is not None
        await nw.sync_cohort_channels(s, settings, cohort_id=cohort.id, now=clock.now())
        post = await bc.send(
            s,
            settings,
            actor=STAFF,
            audience=bc.Audience.parse("cohort:2026h"),
            text="Velkommen!",
            mode="channel",
            send_at=clock.now() + timedelta(hours=1),
        )
        assert post.recipient_count == 1
        with pytest.raises(nw.InvalidRequest):
            await bc.preview(
                s, actor=STAFF, audience=bc.Audience.parse("line_managers"), mode="channel"
            )
        with pytest.raises(nw.InvalidRequest):
            await bc.preview(
                s,
                actor=STAFF,
                audience=bc.Audience.parse("cohort:2026h", counties=("Troms",)),
                mode="channel",
            )
        rows = [d for d in (await s.exec(select(Delivery))).all() if d.kind not in STEP_KINDS]
        cohort_net = (await s.exec(select(Network).where(Network.key == "cohort:2026h"))).one()
    # Decided in the same transaction as the channel: the post names the network and waits.
    assert [d.target for d in rows] == [f"network:{cohort_net.id}"]
    await run_steps(db, admin, settings, clock)
    async with db.session() as s:
        sent = [d for d in (await s.exec(select(Delivery))).all() if d.kind not in STEP_KINDS]
    assert [d.state for d in sent] == ["pending"]  # an hour ahead: not due yet


async def test_non_staff_cannot_announce(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    people = await setup_cohort(db)
    someone = Actor("UANN", people["Anne"], frozenset({"participant"}))
    async with db.transaction() as s:
        audience = bc.Audience.parse("cohort:2026h")
        with pytest.raises(NotAllowed):
            await bc.preview(s, actor=someone, audience=audience)
        with pytest.raises(NotAllowed):
            await bc.send(
                s, settings, actor=someone, audience=audience, text="x", send_at=clock.now()
            )
        with pytest.raises(nw.InvalidRequest):
            await bc.send(
                s, settings, actor=STAFF, audience=audience, text="  ", send_at=clock.now()
            )
    async with db.session() as s:
        assert (await s.exec(select(Delivery))).all() == []
        assert (await s.exec(select(AuditEvent))).all() == []


async def test_audience_choices_come_from_the_data(db: Database, settings: Settings) -> None:
    people = await setup_cohort(db)
    async with db.transaction() as s:
        await create_cohort(s, key="2025v", name="Kull 2025 vår", status="completed")
        s.add(Person(name="Ola", email="ola@x.no", county="Troms", position="Enhetsleder"))
        s.add(Person(name="Tom", email="tom@x.no", county="", service_area=None))
    async with db.session() as s:
        choices = await bc.audience_choices(s, actor=STAFF)
        specs = [c.spec for c in choices.audiences]
        assert specs == [
            "programme",
            "cohort:2026h",
            "class:2026h/bergen",
            "class:2026h/tromso",
            "line_managers:2026h",  # no peer groups formed yet: none offered
            "alumni",
            "alumni:2025v",
        ]
        for spec in specs:
            await bc.preview(s, actor=STAFF, audience=bc.Audience.parse(spec))
        assert choices.counties == ["Troms", "Vestland"]  # distinct, sorted, no blanks
        assert choices.service_areas == ["Hjemmetjeneste", "Sykehjem"]
        assert choices.roles == ["Enhetsleder"]
        capped = await bc.audience_choices(s, actor=STAFF, limit=3)
        assert len(capped.audiences) == 3 and len(capped.counties) == 2
        someone = Actor("UANN", people["Anne"].id, frozenset({"participant"}))
        with pytest.raises(NotAllowed):
            await bc.audience_choices(s, actor=someone)


def test_check_names_the_field_at_fault() -> None:
    now = datetime(2026, 3, 2, 8, 0, 30, tzinfo=UTC)
    cohort = bc.Audience.parse("cohort:2026h")
    west = bc.Audience.parse("cohort:2026h", counties=("Vestland",))
    assert bc.check(cohort, text="Hei", mode="dm", send_at=None, now=now) == {}
    assert bc.check(west, text=" ", mode="channel", send_at=now - timedelta(hours=1), now=now) == {
        "text": "broadcast.error.no_text",
        "mode": "broadcast.error.channel_filters",
        "when": "broadcast.error.past",
    }
    managers = bc.Audience.parse("line_managers:2026h")
    assert bc.check(managers, text="Hei", mode="channel", send_at=None, now=now) == {
        "mode": "broadcast.error.no_channel"
    }
    # Pickers choose whole minutes: the current minute is not in the past.
    this_minute = now.replace(second=0)
    assert bc.check(cohort, text="Hei", mode="dm", send_at=this_minute, now=now) == {}
    regions = bc.Audience.parse("alumni", counties=("Troms",))
    assert bc.check(regions, text="Hei", mode="channel", send_at=None, now=now) == {}
    assert bc.check(cohort, text="x" * 3001, mode="dm", send_at=None, now=now) == {
        "text": "broadcast.error.too_long"
    }
