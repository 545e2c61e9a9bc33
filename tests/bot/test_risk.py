"""Dropout signals: each signal with its reason, anonymous pulses never used, one digest a week."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import FrozenClock
from bot.notifier import OutgoingMessage
from bot.pulses import record_answer
from bot.risk import (
    ParticipantRisk,
    build_digest_message,
    find_risks,
    iso_week,
    mark_followed_up,
    reason_text,
    run_digest,
    week_label,
)
from bot.runtime import Runtime
from bot.settings import Settings
from schedules import build_scheduler, default_jobs
from schedules.digest import JOB_ID, run_weekly_digest
from storage.db import Database
from storage.models import (
    Assignment,
    AssignmentProgress,
    AuditEvent,
    Delivery,
    Nudge,
    NudgeAnswer,
    RiskCase,
)
from storage.queries.pulses import add_participations, set_closed
from tests.utils.factories import create_class, create_cohort, create_person, create_pulse, enrol


async def build(db: Database, settings: Settings, now) -> dict:  # type: ignore[no-untyped-def]
    async with db.transaction() as s:
        cohort = await create_cohort(s, name="Kull 2026")
        cls = await create_class(s, cohort=cohort, name="Bergen")
        people = []
        for i in range(5):
            p = await create_person(s, name=f"Leder {i + 1}", slack_user_id=f"UR{i}")
            await enrol(s, person=p, cohort=cohort, cls=cls)
            people.append(p)
        staff = await create_person(s, name="Kari", slack_user_id="USTAFF", is_staff=True)
        for days in (10, 5):
            a = Assignment(
                cohort_id=cohort.id,
                key=f"a{days}",
                title=f"Oppgave {days}",
                release_at=now - timedelta(days=30),
                due_at=now - timedelta(days=days),
            )
            s.add(a)
            await s.flush()
            for p in people[1:]:
                s.add(
                    AssignmentProgress(
                        assignment_id=a.id, person_id=p.id, done_at=now - timedelta(days=days + 1)
                    )
                )
        n1, (q1,) = await create_pulse(
            s, cohort=cohort, anonymous=False, key="n1", opens_at=now - timedelta(days=20)
        )
        n2, (q2,) = await create_pulse(
            s, cohort=cohort, anonymous=False, key="n2", opens_at=now - timedelta(days=14)
        )
        an, (qa,) = await create_pulse(
            s, cohort=cohort, anonymous=True, key="an", opens_at=now - timedelta(days=14)
        )
        for pulse in (n1, n2, an):
            await add_participations(
                session=s,
                pulse_id=pulse.id,
                person_ids=[people[1].id, people[2].id],
                invited_at=pulse.opens_at,
            )
        nudge = Nudge(
            cohort_id=cohort.id,
            key="n",
            kind="custom",
            title="Samtale",
            send_at=now - timedelta(days=15),
        )
        s.add(nudge)
        await s.flush()
        mgr = await create_person(s, name="Sjef")
        s.add(
            NudgeAnswer(
                nudge_id=nudge.id,
                participant_id=people[3].id,
                manager_id=mgr.id,
                sent_at=now - timedelta(days=15),
                escalated_at=now - timedelta(days=3),
            )
        )
    async with db.transaction() as s:
        # Leder 2 answers both named pulses, one with a 1; Leder 3 answers only the anonymous one, with a 1.
        await record_answer(
            s,
            n1.id,
            people[1].id,
            q1.id,
            1,
            now=n1.opens_at + timedelta(hours=1),
            settings=settings,
        )
        await record_answer(
            s,
            n2.id,
            people[1].id,
            q2.id,
            4,
            now=n2.opens_at + timedelta(hours=1),
            settings=settings,
        )
        await record_answer(
            s,
            an.id,
            people[2].id,
            qa.id,
            1,
            now=an.opens_at + timedelta(hours=1),
            settings=settings,
        )
        for pulse in (n1, n2, an):
            await set_closed(session=s, pulse_id=pulse.id, at=pulse.closes_at)
    return {"people": people, "staff": staff, "cohort": cohort}


async def test_each_signal_gives_its_reason(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    ctx = await build(db, settings, clock.now())
    async with db.session() as s:
        risks = await find_risks(s, now=clock.now(), settings=settings)
    by_name = {r.name: r.reasons for r in risks}
    assert by_name == {
        "Leder 1": ["overdue_assignments:2"],
        "Leder 2": ["low_scores:1"],
        "Leder 3": ["unanswered_pulses:2"],  # their anonymous 1 is never used
        "Leder 4": ["silent_manager:1"],
    }
    assert ctx["people"][4].name not in by_name


@pytest.mark.parametrize(
    ("reason", "nb", "en"),
    [
        ("overdue_assignments:1", "1 oppgave over fristen", "1 assignment past due"),
        ("overdue_assignments:3", "3 oppgaver over fristen", "3 assignments past due"),
        ("unanswered_pulses:1", "1 puls med navn ubesvart", "1 named pulse unanswered"),
        ("unanswered_pulses:2", "2 pulser med navn ubesvart", "2 named pulses unanswered"),
        ("low_scores:1", "1 lavt svar", "1 low answer"),
        ("silent_manager", "svart på 1 påminnelse,", "answered 1 nudge,"),
        ("silent_manager:2", "svart på 2 påminnelser,", "answered 2 nudges,"),
    ],
)
def test_reasons_say_one_and_many_properly(reason: str, nb: str, en: str) -> None:
    """Staff read these on Home and in the digest: no "oppgave(r)", no "1 pulser"."""
    assert nb in reason_text(reason, "nb") and "(" not in reason_text(reason, "nb")
    assert en in reason_text(reason, "en") and "(" not in reason_text(reason, "en")


def test_weeks_read_as_staff_say_them_and_one_is_singular() -> None:
    assert week_label("2027-W06") == "6, 2027" and week_label("odd") == "odd"
    none = build_digest_message([], week="2027-W06", locale="en")
    assert (none.title, none.text) == (
        "Dropout signals, week 6, 2027",
        "No participants show signs of dropout in week 6, 2027.",
    )
    one = build_digest_message(
        [ParticipantRisk(1, 1, "Kari", "Kull", None, ["low_scores:1"], case_id=3)],
        week="2027-W06",
        locale="nb",
    )
    assert one.text == "1 deltaker viser tegn som kan varsle frafall i uke 6, 2027."
    # Staff read this in Slack: it says what the signals are, not where a config file lives.
    assert one.context is not None and ".env" not in one.context
    assert one.context.startswith("Varslene bygger på oppgaver over fristen")


async def test_thresholds_are_settings(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    await build(db, settings, clock.now())
    strict = settings.model_copy(
        update={"risk_overdue_assignments": 3, "risk_unanswered_pulses": 3, "risk_low_score": 1}
    )
    async with db.session() as s:
        risks = await find_risks(s, now=clock.now(), settings=strict)
    assert {r.name: r.reasons for r in risks} == {
        "Leder 2": ["low_scores:1"],
        "Leder 4": ["silent_manager:1"],
    }


async def test_digest_once_a_week_to_each_staff_member_and_follow_up(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    ctx = await build(db, settings, clock.now())
    runtime = Runtime(settings=settings, db=db, clock=clock)
    first = await run_weekly_digest(runtime, clock.now())
    again = await run_weekly_digest(runtime, clock.now() + timedelta(hours=1))
    week = iso_week(clock.now(), settings.zone)
    assert first is not None and again is None  # the week's run is claimed once
    assert (first.cases, first.staff, first.week) == (4, 1, "2026-W10")
    async with db.session() as s:
        digests = (await s.exec(select(Delivery).where(Delivery.kind == "risk_digest"))).all()
        cases = (await s.exec(select(RiskCase))).all()
    assert [d.dedupe_key for d in digests] == [f"digest:{week}:staff:{ctx['staff'].id}"]
    message = OutgoingMessage.from_json(digests[0].message)
    assert message.title == "Frafallsvarsler, uke 10, 2026"  # not the ISO "2026-W10"
    assert message.text == "4 deltakere viser tegn som kan varsle frafall i uke 10, 2026."
    assert "*Leder 4* (Kull 2026, Bergen)" in message.sections[3].text
    assert "nærmeste leder har ikke svart" in message.sections[3].text
    assert message.sections[0].buttons[0].label == "Fulgt opp"
    assert len(cases) == 4
    async with db.transaction() as s:
        case = await mark_followed_up(
            s, cases[0].id, ctx["staff"].id, "  Ringte, alt ok  ", now=clock.now()
        )
    assert case.followed_up_by_id == ctx["staff"].id and case.note == "Ringte, alt ok"
    async with db.session() as s:
        audits = (
            await s.exec(select(AuditEvent).where(AuditEvent.action == "risk.followed_up"))
        ).all()
    assert len(audits) == 1


async def test_the_digest_job_runs_monday_at_eight(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    scheduler = build_scheduler(Runtime(settings=settings, db=db, clock=clock), default_jobs())
    job = scheduler.get_job(JOB_ID)
    assert job is not None
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["day_of_week"], fields["hour"], fields["minute"]) == ("mon", "8", "0")


async def test_no_risks_still_tells_staff(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    async with db.transaction() as s:
        await create_person(s, name="Kari", slack_user_id="USTAFF", is_staff=True)
    async with db.transaction() as s:
        result = await run_digest(s, now=clock.now(), settings=settings)
    assert (result.cases, result.staff) == (0, 1)
