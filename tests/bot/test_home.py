"""What App Home reads: next session, open pulses, cohorts at a glance, open risk cases."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.clock import FrozenClock
from bot.home import (
    RISK_VIEW_ACTION,
    cohorts_at_a_glance,
    next_session_for,
    open_pulses_for,
    read_open_risk_cases,
)
from bot.pulses import respondent_token
from bot.settings import Settings
from storage.db import Database
from storage.models import AuditEvent, CohortStatus, EnrolmentStatus, RiskCase
from storage.queries.pulses import add_participations, mark_answered, put_receipt, set_closed
from tests.utils.factories import (
    create_class,
    create_cohort,
    create_person,
    create_pulse,
    create_session,
    enrol,
)


async def test_next_session_is_the_soonest_still_to_start_in_the_persons_cohort(
    db: Database, clock: FrozenClock
) -> None:
    now = clock.now()
    async with db.transaction() as s:
        cohort = await create_cohort(s, name="Kull 2026", status=CohortStatus.ACTIVE)
        other = await create_cohort(s, name="Annet kull")
        kari = await create_person(s, name="Kari")
        await enrol(s, person=kari, cohort=cohort)
        await create_session(s, cohort=cohort, number=1, starts_at=now - timedelta(days=30))
        await create_session(
            s, cohort=cohort, number=3, starts_at=now + timedelta(days=60), location="Oslo"
        )
        await create_session(
            s, cohort=cohort, number=2, starts_at=now + timedelta(days=20), location="Bergen"
        )
        await create_session(s, cohort=other, number=1, starts_at=now + timedelta(days=1))
    async with db.session() as s:
        found = await next_session_for(s, person_id=kari.id, now=now)  # type: ignore[arg-type]
    assert found is not None
    assert (found.number, found.location, found.cohort_name) == (2, "Bergen", "Kull 2026")
    assert found.starts_at == now + timedelta(days=20)
    assert found.tz == "Europe/Oslo"


async def test_no_next_session_when_none_is_left_or_the_person_withdrew(
    db: Database, clock: FrozenClock
) -> None:
    now = clock.now()
    async with db.transaction() as s:
        cohort = await create_cohort(s)
        done = await create_cohort(s)
        ola = await create_person(s)
        per = await create_person(s)
        await enrol(s, person=ola, cohort=done)
        await enrol(s, person=per, cohort=cohort, status=EnrolmentStatus.WITHDRAWN)
        await create_session(s, cohort=done, number=1, starts_at=now - timedelta(days=1))
        await create_session(s, cohort=cohort, number=1, starts_at=now + timedelta(days=1))
    async with db.session() as s:
        assert await next_session_for(s, person_id=ola.id, now=now) is None  # type: ignore[arg-type]
        assert await next_session_for(s, person_id=per.id, now=now) is None  # type: ignore[arg-type]


async def test_open_pulses_are_those_asked_unanswered_and_open_now(
    db: Database, clock: FrozenClock, settings: Settings
) -> None:
    now = clock.now()
    async with db.transaction() as s:
        cohort = await create_cohort(s)
        kari = await create_person(s)
        await enrol(s, person=kari, cohort=cohort)
        day = timedelta(days=1)

        async def pulse(title: str, opens: timedelta, closes: timedelta, **kw: object) -> int:
            p, _ = await create_pulse(
                s, cohort=cohort, title=title, opens_at=now + opens, closes_at=now + closes, **kw
            )
            assert p.id is not None
            await add_participations(
                session=s, pulse_id=p.id, person_ids=[kari.id], invited_at=now + opens
            )
            return p.id

        later = await pulse("Stenger senere", -day, 5 * day, anonymous=True)
        soon = await pulse("Stenger snart", -day, day, anonymous=False)
        answered = await pulse("Besvart", -day, 3 * day, anonymous=False)
        await mark_answered(session=s, pulse_id=answered, person_id=kari.id)  # type: ignore[arg-type]
        # An anonymous pulse is answered when the person's keyed receipt is there.
        sealed_one = await pulse("Besvart anonymt", -day, 3 * day, anonymous=True)
        token = respondent_token(settings, sealed_one, kari.id)  # type: ignore[arg-type]
        await put_receipt(session=s, pulse_id=sealed_one, token=token, sealed=b"x")
        await pulse("Ikke åpnet", day, 3 * day)
        await pulse("Fristen gått", -3 * day, -day)
        closed = await pulse("Stengt av staben", -day, 3 * day)
        await set_closed(session=s, pulse_id=closed, at=now - timedelta(hours=1))
        await create_pulse(s, cohort=cohort, title="Ikke spurt", opens_at=now - day)
    async with db.session() as s:
        found = await open_pulses_for(
            s,
            person_id=kari.id,  # type: ignore[arg-type]
            now=now,
            settings=settings,
        )
    assert [(p.pulse_id, p.title, p.anonymous) for p in found] == [
        (soon, "Stenger snart", False),
        (later, "Stenger senere", True),
    ]


async def test_cohorts_at_a_glance_counts_statuses_next_session_and_response_rates(
    db: Database, clock: FrozenClock
) -> None:
    now = clock.now()
    async with db.transaction() as s:
        active = await create_cohort(s, name="Vår", status=CohortStatus.ACTIVE)
        planned = await create_cohort(s, name="Høst", status=CohortStatus.PLANNED)
        await create_cohort(s, name="I fjor", status=CohortStatus.COMPLETED)
        bergen = await create_class(s, cohort=active, name="Bergen")
        tromso = await create_class(s, cohort=active, name="Tromsø")
        people = []
        for i, (cls, status) in enumerate(
            [
                (bergen, EnrolmentStatus.ACTIVE),
                (bergen, EnrolmentStatus.ACTIVE),
                (tromso, EnrolmentStatus.ACTIVE),
                (tromso, EnrolmentStatus.WITHDRAWN),
                (bergen, EnrolmentStatus.COMPLETED),
            ]
        ):
            p = await create_person(s, name=f"Leder {i}")
            await enrol(s, person=p, cohort=active, cls=cls, status=status)
            people.append(p)
        for _ in range(3):
            p = await create_person(s)
            await enrol(s, person=p, cohort=planned, status=EnrolmentStatus.ADMITTED)
        await create_session(s, cohort=active, number=1, starts_at=now - timedelta(days=3))
        await create_session(
            s, cohort=active, number=2, title="Samling 2", starts_at=now + timedelta(days=9)
        )
        pulse, _ = await create_pulse(
            s,
            cohort=active,
            title="Etter samling 1",
            opens_at=now - timedelta(days=1),
            anonymous=False,
        )
        assert pulse.id is not None
        asked = [p.id for p in people[:3]]
        await add_participations(session=s, pulse_id=pulse.id, person_ids=asked, invited_at=now)
        # Asked in two classes (Bergen 2, Tromsø 1): the Home shows the cohort's total.
        for pid in asked[:2]:
            await mark_answered(session=s, pulse_id=pulse.id, person_id=pid)  # type: ignore[arg-type]
        fresh, _ = await create_pulse(
            s, cohort=active, title="Ikke sendt", opens_at=now - timedelta(minutes=1)
        )
        await create_pulse(
            s, cohort=active, title="Gammel", opens_at=now - timedelta(days=30)
        )  # closed by its deadline
        alumni, _ = await create_pulse(
            s, cohort=None, title="Alumni", audience="alumni", opens_at=now - timedelta(days=1)
        )
    async with db.session() as s:
        glance = await cohorts_at_a_glance(s, now=now)
    assert [c.name for c in glance.cohorts] == ["Vår", "Høst"]  # active first; completed left out
    vaar, host = glance.cohorts
    assert (vaar.count("active"), vaar.count("completed"), vaar.count("withdrawn")) == (3, 1, 1)
    assert host.count("admitted") == 3 and host.count("active") == 0
    assert vaar.next_session is not None and vaar.next_session.number == 2
    assert host.next_session is None
    rates = {r.title: (r.invited, r.answered) for r in vaar.pulses}
    assert rates == {"Etter samling 1": (3, 2), "Ikke sendt": (0, 0)}
    assert vaar.pulses[0].rate is not None and round(vaar.pulses[0].rate, 2) == 0.67
    assert host.pulses == []
    assert [r.pulse_id for r in glance.cohortless_pulses] == [alumni.id]
    assert glance.more_cohorts == 0
    assert fresh.id in {r.pulse_id for r in vaar.pulses}


async def test_a_planned_cohort_whose_start_day_has_come_shows_as_active(
    db: Database, clock: FrozenClock
) -> None:
    """Nothing writes "active": Home must not call a cohort weeks into its sessions "planned"."""
    now = clock.now()
    today = now.astimezone(ZoneInfo("Europe/Oslo")).date()
    async with db.transaction() as s:
        await create_cohort(s, name="Neste år", start_date=today + timedelta(days=30))
        await create_cohort(s, name="I gang", start_date=today - timedelta(days=20))
        await create_cohort(s, name="Starter i dag", start_date=today)
    async with db.session() as s:
        glance = await cohorts_at_a_glance(s, now=now)
    shown = [(c.name, c.status) for c in glance.cohorts]
    assert shown == [
        ("I gang", CohortStatus.ACTIVE),
        ("Starter i dag", CohortStatus.ACTIVE),
        ("Neste år", CohortStatus.PLANNED),
    ]


async def test_cohorts_at_a_glance_keeps_to_a_few_and_counts_the_rest(
    db: Database, clock: FrozenClock
) -> None:
    async with db.transaction() as s:
        for i in range(4):
            await create_cohort(s, name=f"Kull {i}")
    async with db.session() as s:
        glance = await cohorts_at_a_glance(s, now=clock.now(), max_cohorts=3)
    assert len(glance.cohorts) == 3 and glance.more_cohorts == 1


async def risk_fixture(db: Database, clock: FrozenClock, cases: int) -> tuple[int, list[int]]:
    now = clock.now()
    async with db.transaction() as s:
        cohort = await create_cohort(s, name="Kull 2026")
        cls = await create_class(s, cohort=cohort, name="Bergen")
        staff = await create_person(s, name="Anne", is_staff=True)
        ids = []
        for i in range(cases):
            p = await create_person(s, name=f"Leder {i:02d}")
            await enrol(s, person=p, cohort=cohort, cls=cls)
            row = RiskCase(
                person_id=p.id, cohort_id=cohort.id, week="2026-W10", reasons=["low_scores:1"]
            )
            s.add(row)
            # Last week's case for the same person: not the latest week, never shown.
            s.add(RiskCase(person_id=p.id, cohort_id=cohort.id, week="2026-W09", reasons=[]))
            await s.flush()
            ids.append(row.id)
        followed = await s.get(RiskCase, ids[0])
        assert followed is not None
        followed.followed_up_at = now
        followed.followed_up_by_id = staff.id
    assert staff.id is not None
    return staff.id, ids  # type: ignore[return-value]


async def test_open_risk_cases_of_the_latest_week_are_capped_and_audited(
    db: Database, clock: FrozenClock
) -> None:
    staff_id, ids = await risk_fixture(db, clock, cases=13)
    async with db.transaction() as s:
        result = await read_open_risk_cases(s, staff_id=staff_id)
    assert result.week == "2026-W10"
    assert [c.case_id for c in result.cases] == ids[1:11]  # the followed-up one is gone
    assert result.more == 2 and result.total == 12
    first = result.cases[0]
    assert (first.name, first.cohort_name, first.class_name) == ("Leder 01", "Kull 2026", "Bergen")
    assert first.reasons == ["low_scores:1"]
    async with db.session() as s:
        audits = list((await s.exec(select(AuditEvent))).all())
    assert len(audits) == 1
    audit = audits[0]
    assert (audit.action, audit.actor, audit.actor_id) == (
        RISK_VIEW_ACTION,
        f"person:{staff_id}",
        staff_id,
    )
    assert audit.subject == "week:2026-W10"
    assert audit.detail == {
        "cases": ids[1:11],
        "total": 12,
        "person_ids": sorted({c.person_id for c in result.cases}),  # `audit --person` finds them
    }


async def test_no_risk_cases_reads_no_names_and_writes_no_audit(
    db: Database, clock: FrozenClock
) -> None:
    async with db.transaction() as s:
        staff = await create_person(s, is_staff=True)
        empty = await read_open_risk_cases(s, staff_id=staff.id)
    assert (empty.week, empty.cases, empty.more) == (None, [], 0)
    staff_id, _ = await risk_fixture(db, clock, cases=1)  # its only case is followed up
    async with db.transaction() as s:
        done = await read_open_risk_cases(s, staff_id=staff_id)
    assert done.week == "2026-W10" and done.cases == []
    async with db.session() as s:
        assert list((await s.exec(select(AuditEvent))).all()) == []
