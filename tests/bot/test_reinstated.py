"""A participant back from a withdrawal: what the withdrawal cancelled and is still ahead comes
back, once; what passed meanwhile is not sent late as if fresh.

The withdrawal cancels through re-planning: "no longer in the plan" for their assignment
messages, "no longer needed" for a manager nobody else is nudged about; the channel sync's
road (their match check-ins) is tested in test_networks.py.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta

from bot import delivery
from bot.clock import FrozenClock
from bot.delivery import Dispatcher
from bot.enrolment_status import StatusChange, record_status
from bot.notifier import RecordingNotifier
from bot.planner import plan_deliveries, replan_cohort
from bot.settings import Settings
from storage.db import Database
from storage.models import DeliveryState
from tests.utils.assignments import add_assignment, add_nudge, build_programme, deliveries, oslo

PLANNED = oslo(2026, 9, 1, 10, 0)
RELEASE = oslo(2026, 9, 10, 16, 0)
DUE = oslo(2026, 9, 25, 23, 59)
WEEK_BEFORE = oslo(2026, 9, 19, 8, 0)  # the 7-day reminder, out of the night
DAY_BEFORE = oslo(2026, 9, 25, 8, 0)  # the 1-day reminder
NUDGE_AT = oslo(2026, 9, 21, 10, 0)  # a Monday
WITHDRAWN_AT = oslo(2026, 9, 15, 12, 0)
BACK_AT = oslo(2026, 9, 20, 12, 0)  # after the week reminder, before the rest


async def _status(db: Database, email: str, status: str, at: datetime) -> None:
    change = StatusChange(status=status, reason="workload" if status == "withdrawn" else None)
    async with db.transaction() as session:
        await record_status(session, email=email, change=change, today=at.date(), actor="test")


async def _programme(db: Database, settings: Settings):  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        world = await build_programme(session)
        a = await add_assignment(session, world.cohort, release_at=RELEASE, due_at=DUE)
        await add_nudge(session, world.cohort, send_at=NUDGE_AT)
        await plan_deliveries(
            session=session, cohort_id=world.cohort.id, settings=settings, now=PLANNED
        )
    return world, a


def _states(rows: dict, person_id: int) -> dict[str, str]:  # type: ignore[type-arg]
    return {k: d.state for k, d in rows.items() if d.person_id == person_id}


async def test_a_reinstated_participant_gets_back_what_is_still_ahead_once_and_nothing_late(
    db: Database, settings: Settings
) -> None:
    world, a = await _programme(db, settings)
    kari, per, erik = world.kari, world.per, world.erik
    week = f"assignment:{a.id}:reminder:10080:person:{kari.id}"
    day = f"assignment:{a.id}:reminder:1440:person:{kari.id}"
    overdue = f"assignment:{a.id}:overdue:person:{kari.id}"
    per_release = f"assignment:{a.id}:post:person:{per.id}"  # by email, at the release
    before = await deliveries(db)
    assert {week, day, overdue, per_release} <= set(before)
    erik_nudge = next(k for k, d in before.items() if d.person_id == erik.id)

    # Kari and Per withdraw; the next re-plan cancels what was theirs (and Erik, who manages
    # only Per, has nobody left to be nudged about).
    for email in (kari.email, per.email):
        await _status(db, email, "withdrawn", WITHDRAWN_AT)
    await replan_cohort(db, cohort_id=world.cohort.id, settings=settings, now=WITHDRAWN_AT)
    rows = await deliveries(db)
    assert set(_states(rows, kari.id).values()) == {DeliveryState.CANCELLED}
    assert rows[per_release].state == DeliveryState.CANCELLED
    assert rows[erik_nudge].state == DeliveryState.CANCELLED

    # Back after the week reminder's time; the planner runs, and runs again, and a second
    # withdrawal and return run through it once more.
    for _ in range(2):
        for email in (kari.email, per.email):
            await _status(db, email, "active", BACK_AT)
        for _ in range(2):
            await replan_cohort(db, cohort_id=world.cohort.id, settings=settings, now=BACK_AT)
        rows = await deliveries(db)
        assert rows[day].state == rows[overdue].state == DeliveryState.PENDING
        assert rows[erik_nudge].state == DeliveryState.PENDING
        # Their time passed while they were away: still cancelled, never sent late.
        assert rows[week].state == DeliveryState.CANCELLED
        assert rows[per_release].state == DeliveryState.CANCELLED
        if _ == 0:
            for email in (kari.email, per.email):
                await _status(db, email, "withdrawn", BACK_AT)
            await replan_cohort(db, cohort_id=world.cohort.id, settings=settings, now=BACK_AT)
            assert (await deliveries(db))[day].state == DeliveryState.CANCELLED
    assert len(await deliveries(db)) == len(before)  # no row was added: the same keys came back

    clock = FrozenClock(BACK_AT)
    slack, email = RecordingNotifier("slack"), RecordingNotifier("email")
    dispatcher = Dispatcher(db, {"slack": slack, "email": email}, clock, settings=settings)
    for at in (BACK_AT, NUDGE_AT, DAY_BEFORE, DUE + timedelta(days=1, hours=10)):
        clock.set(at)
        await dispatcher.tick()
    rows = await deliveries(db)
    assert rows[day].state == rows[overdue].state == DeliveryState.SENT
    assert rows[week].state == DeliveryState.CANCELLED and rows[week].sent_at is None
    # The day reminder and the overdue notice, once each.
    assert len(slack.to("UKARI")) == 2 and len({m.text for m in slack.to("UKARI")}) == 2
    assert rows[erik_nudge].state == DeliveryState.SENT
    assert rows[per_release].state == DeliveryState.CANCELLED


async def test_something_cancelled_for_another_reason_stays_cancelled_when_they_return(
    db: Database, settings: Settings
) -> None:
    world, a = await _programme(db, settings)
    day = f"assignment:{a.id}:reminder:1440:person:{world.kari.id}"
    async with db.transaction() as session:
        assert await delivery.cancel(
            session, source=f"assignment:{a.id}", person_id=world.kari.id, reason="by staff"
        )
    await _status(db, world.kari.email, "withdrawn", WITHDRAWN_AT)
    await replan_cohort(db, cohort_id=world.cohort.id, settings=settings, now=WITHDRAWN_AT)
    await _status(db, world.kari.email, "active", BACK_AT)
    await replan_cohort(db, cohort_id=world.cohort.id, settings=settings, now=BACK_AT)
    row = (await deliveries(db))[day]
    assert (row.state, row.error) == (DeliveryState.CANCELLED, "by staff")


async def test_two_planners_restoring_at_once_on_postgresql_send_each_message_once(
    postgres_url: str, settings: Settings
) -> None:
    one, two = Database(postgres_url), Database(postgres_url)
    try:
        world, _ = await _programme(one, settings)
        await _status(one, world.kari.email, "withdrawn", WITHDRAWN_AT)
        await replan_cohort(one, cohort_id=world.cohort.id, settings=settings, now=WITHDRAWN_AT)
        await _status(one, world.kari.email, "active", BACK_AT)
        # Two bot processes' planners re-plan the same cohort at the same moment, twice over.
        for _ in range(2):
            await asyncio.gather(
                *(
                    replan_cohort(db, cohort_id=world.cohort.id, settings=settings, now=BACK_AT)
                    for db in (one, two)
                )
            )
        rows = await deliveries(one)
        kari = _states(rows, world.kari.id)
        assert Counter(kari.values()) == {DeliveryState.PENDING: 2, DeliveryState.CANCELLED: 1}

        # And two dispatchers send them.
        clock = FrozenClock(DUE + timedelta(days=1, hours=10))
        slack = RecordingNotifier("slack")
        email = RecordingNotifier("email")
        dispatchers = [
            Dispatcher(db, {"slack": slack, "email": email}, clock, settings=settings)
            for db in (one, two)
        ]
        await asyncio.gather(*(d.tick() for d in dispatchers))
        await asyncio.gather(*(d.tick() for d in dispatchers))
        # The day reminder and the overdue notice, each once.
        assert len(slack.to("UKARI")) == 2
        assert len({m.text for m in slack.to("UKARI")}) == 2
        rows = await deliveries(one)
        assert Counter(_states(rows, world.kari.id).values()) == {
            DeliveryState.SENT: 2,
            DeliveryState.CANCELLED: 1,
        }
    finally:
        await one.dispose()
        await two.dispose()


async def test_the_status_change_itself_replans_so_a_reminder_due_before_the_next_job_comes_back(
    db: Database, settings: Settings
) -> None:
    from bot.enrolment_status import replan_after_status

    world, a = await _programme(db, settings)
    day = f"assignment:{a.id}:reminder:1440:person:{world.kari.id}"
    for status, at in (("withdrawn", WITHDRAWN_AT), ("active", DAY_BEFORE - timedelta(minutes=5))):
        change = StatusChange(status=status, reason="workload" if status == "withdrawn" else None)
        async with db.transaction() as session:
            key, changed = await record_status(
                session, email=world.kari.email, change=change, today=at.date(), actor="test"
            )
        assert await replan_after_status(db, settings, cohort_key=key, changed=changed, now=at)
        state = (await deliveries(db))[day].state
        # Withdrawn: cancelled at once; back five minutes before it is due: pending at once.
        assert state == (
            DeliveryState.CANCELLED if status == "withdrawn" else DeliveryState.PENDING
        )
    # Nothing changed: nothing re-planned.
    assert not await replan_after_status(
        db, settings, cohort_key="kull-2026h", changed=[], now=BACK_AT
    )


async def test_quick_withdraw_and_return_twice_with_the_dispatcher_running(
    db: Database, settings: Settings
) -> None:
    """Withdrawn ten minutes before the day reminder, back five minutes after it, withdrawn and
    back again a minute later — each status change re-planning at once while the dispatcher
    ticks at the same moment: nothing is sent twice and the reminder whose time passed while
    Kari was away is never sent."""
    from bot.enrolment_status import replan_after_status

    world, a = await _programme(db, settings)
    kari = world.kari
    day = f"assignment:{a.id}:reminder:1440:person:{kari.id}"
    overdue = f"assignment:{a.id}:overdue:person:{kari.id}"
    clock = FrozenClock(DAY_BEFORE - timedelta(minutes=10))
    slack, email = RecordingNotifier("slack"), RecordingNotifier("email")
    dispatcher = Dispatcher(db, {"slack": slack, "email": email}, clock, settings=settings)
    await dispatcher.tick()  # what was due before now goes out first
    sent_before = len(slack.to("UKARI"))
    assert sent_before >= 1

    async def change(status: str) -> None:
        at = clock.now()
        change = StatusChange(status=status, reason="workload" if status == "withdrawn" else None)
        async with db.transaction() as session:
            key, changed = await record_status(
                session, email=kari.email, change=change, today=at.date(), actor="test"
            )
        await replan_after_status(db, settings, cohort_key=key, changed=changed, now=at)

    for status, minutes in (("withdrawn", -10), ("active", 5), ("withdrawn", 6), ("active", 7)):
        clock.set(DAY_BEFORE + timedelta(minutes=minutes))
        await asyncio.gather(change(status), dispatcher.tick(), dispatcher.tick())
    rows = await deliveries(db)
    assert rows[day].state == DeliveryState.CANCELLED and rows[day].sent_at is None
    assert rows[overdue].state == DeliveryState.PENDING

    clock.set(DUE + timedelta(days=1, hours=10))
    await asyncio.gather(dispatcher.tick(), dispatcher.tick())
    rows = await deliveries(db)
    assert rows[day].sent_at is None
    assert rows[overdue].state == DeliveryState.SENT
    sent = [d for d in rows.values() if d.person_id == kari.id and d.state == DeliveryState.SENT]
    texts = [m.text for m in slack.to("UKARI")]
    # Only the overdue notice came after the flips, and each message went once.
    assert len(texts) == sent_before + 1 == len(sent)
    assert len(set(texts)) == len(texts)
