"""The pulse job: registered by default; invitations and the one reminder reach the right people."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FrozenClock
from bot.delivery import Dispatcher
from bot.notifier import RecordingNotifier
from bot.pulses import QuestionSpec, create_pulse, record_answer
from bot.runtime import Runtime
from bot.settings import Settings
from schedules import build_scheduler, default_jobs
from schedules.pulses import JOB_ID, run_pulse_tick
from storage.db import Database
from tests.bot.test_pulses import OPENS
from tests.utils.factories import create_class, create_cohort, create_person, enrol


async def test_the_job_is_in_the_default_jobs(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    scheduler = build_scheduler(Runtime(settings=settings, db=db, clock=clock), default_jobs())
    job = scheduler.get_job(JOB_ID)
    assert job is not None and job.trigger.interval == timedelta(minutes=5)


async def test_anonymous_reminders_reach_everyone_asked(db: Database, settings: Settings) -> None:
    clock = FrozenClock(OPENS)
    runtime = Runtime(settings=settings, db=db, clock=clock)
    async with db.transaction() as s:
        cohort = await create_cohort(s)
        cls = await create_class(s, cohort=cohort)
        people = []
        for i in range(3):
            p = await create_person(s, slack_user_id=f"UP{i}")
            await enrol(s, person=p, cohort=cohort, cls=cls)
            people.append(p)
        pulse = await create_pulse(
            s,
            title="Midtveis",
            questions=[QuestionSpec("scale5", "Hvordan går det?")],
            cohort_id=cohort.id,
            opens_at=OPENS,
            closes_at=OPENS + timedelta(days=4),
            reminder_at=OPENS + timedelta(days=2),
            now=OPENS,
        )
    slack = RecordingNotifier("slack")
    dispatcher = Dispatcher(
        db, {"slack": slack, "email": RecordingNotifier("email")}, clock, settings=settings
    )
    await run_pulse_tick(runtime, OPENS)
    await dispatcher.tick()
    assert sorted(t for t, _ in slack.sent) == ["UP0", "UP1", "UP2"]

    async with db.session() as s:
        from storage.queries.pulses import list_questions

        question = (await list_questions(session=s, pulse_id=pulse.id))[0]
    async with db.transaction() as s:
        out = await record_answer(
            s,
            pulse.id,
            people[1].id,
            question.id,
            4,
            now=OPENS + timedelta(hours=1),
            settings=settings,
        )
    assert out.accepted

    clock.set(OPENS + timedelta(days=2))
    result = await run_pulse_tick(runtime, clock.now())
    await dispatcher.tick()
    # Anonymous (the default): everyone asked is reminded, so the outbox says nothing of who
    # had answered; a named pulse reminds only those who have not (tests/bot/test_pulses.py).
    assert result.reminded == 3
    reminded = [t for t, m in slack.sent[3:]]
    assert sorted(reminded) == ["UP0", "UP1", "UP2"]
    assert all(m.meta["kind"] == "pulse_reminder" for _, m in slack.sent[3:])

    clock.set(OPENS + timedelta(days=4))
    closed = await run_pulse_tick(runtime, clock.now())
    assert closed.closed == 1
