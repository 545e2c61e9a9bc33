"""The planner: assignment posts, reminders and overdue notices, and manager nudges, in the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.assignments import mark_done
from bot.clock import FrozenClock
from bot.delivery import Dispatcher
from bot.notifier import RecordingNotifier
from bot.planner import before, plan_deliveries
from bot.settings import Settings
from storage.db import Database
from storage.models import Assignment, DeliveryState
from tests.utils.assignments import (
    add_assignment,
    add_nudge,
    build_programme,
    deliveries,
    message_of,
    oslo,
)

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
RELEASE = oslo(2026, 9, 10, 16, 0)  # Thursday, end of session 2
DUE = oslo(2026, 9, 25, 23, 59)  # Friday


async def _setup(db: Database, settings: Settings, **kw):  # type: ignore[no-untyped-def]
    warnings: list[str] = []
    async with db.transaction() as session:
        p = await build_programme(session)
        a = await add_assignment(session, p.cohort, release_at=RELEASE, due_at=DUE, **kw)
        written = await plan_deliveries(
            session=session, cohort_id=p.cohort.id, settings=settings, now=NOW, warnings=warnings
        )
    return p, a, written, warnings


async def test_posts_to_every_class_channel_at_release_oslo_time(
    db: Database, settings: Settings
) -> None:
    p, a, written, warnings = await _setup(db, settings)
    posts = await deliveries(db, f"assignment:{a.id}:post:")
    # Every class channel, and Per, whom only email reaches: the assignment itself by email.
    assert set(posts) == {
        f"assignment:{a.id}:post:class:{p.bergen.id}",
        f"assignment:{a.id}:post:class:{p.tromso.id}",
        f"assignment:{a.id}:post:person:{p.per.id}",
    }
    by_email = posts.pop(f"assignment:{a.id}:post:person:{p.per.id}")
    assert (by_email.transport, by_email.target) == ("email", "per@tromso.kommune.no")
    assert by_email.kind == "assignment_release"
    assert not any(s.get("buttons") for s in by_email.message["sections"])
    assert by_email.send_at == datetime(2026, 9, 10, 14, 0, tzinfo=UTC)
    for d in posts.values():
        assert d.send_at == datetime(2026, 9, 10, 14, 0, tzinfo=UTC)  # 16:00 CEST
        assert d.kind == "assignment_post" and d.transport == "slack"
    assert {d.target for d in posts.values()} == {"CBERGEN", "CTROMSO"}
    message = message_of(posts[f"assignment:{a.id}:post:class:{p.bergen.id}"])
    assert "fredag 25. september kl. 23.59" in message.text
    buttons = [b for s in message.sections for b in s.buttons]
    assert [(b.action_id, b.value) for b in buttons] == [
        ("assignment_done", str(a.id)),
        ("assignment_reflect", str(a.id)),
    ]
    assert any("nærmeste leder" in s.text for s in message.sections)
    # Bodø has no channel yet: skipped, and staff are told.
    assert len(warnings) == 1 and "Bodø" in warnings[0]
    assert written > 0


async def test_reminders_move_out_of_the_night(db: Database, settings: Settings) -> None:
    p, a, _, _ = await _setup(db, settings)
    rows = await deliveries(db, f"assignment:{a.id}:")
    week = rows[f"assignment:{a.id}:reminder:10080:person:{p.kari.id}"]
    day = rows[f"assignment:{a.id}:reminder:1440:person:{p.kari.id}"]
    overdue = rows[f"assignment:{a.id}:overdue:person:{p.kari.id}"]
    # 23:59 the evening before is night: the next allowed moment is 08:00 local.
    assert week.send_at == oslo(2026, 9, 19, 8, 0)
    assert day.send_at == oslo(2026, 9, 25, 8, 0)
    assert overdue.send_at == oslo(2026, 9, 26, 8, 0)
    assert week.target == "UKARI" and week.person_id == p.kari.id
    # Per is not on Slack: his reminders go by email, without Slack buttons.
    per = rows[f"assignment:{a.id}:reminder:1440:person:{p.per.id}"]
    assert per.transport == "email" and per.target == "per@tromso.kommune.no"
    assert not any(s.buttons for s in message_of(per).sections)
    # Ola reads English.
    ola = message_of(rows[f"assignment:{a.id}:reminder:1440:person:{p.ola.id}"])
    assert "Friday 25 September at 23:59" in ola.text


async def test_withdrawn_participant_gets_no_reminders(db: Database, settings: Settings) -> None:
    p, a, _, _ = await _setup(db, settings)
    rows = await deliveries(db, f"assignment:{a.id}:")
    assert not [d for d in rows.values() if d.person_id == p.siri.id]
    assert {d.person_id for d in rows.values() if d.person_id} == {p.kari.id, p.ola.id, p.per.id}


async def test_done_stops_that_persons_reminders_and_others_still_get_theirs(
    db: Database, settings: Settings
) -> None:
    p, a, _, _ = await _setup(db, settings)
    clock = FrozenClock(oslo(2026, 9, 12, 10, 0))
    async with db.transaction() as session:
        result = await mark_done(session, a.id, p.kari.id, clock.now())
    assert result.newly_done and result.cancelled == 3
    async with db.transaction() as session:
        again = await mark_done(session, a.id, p.kari.id, clock.now() + timedelta(hours=1))
    assert not again.newly_done and again.done_at == result.done_at

    slack, email = RecordingNotifier("slack"), RecordingNotifier("email")
    dispatcher = Dispatcher(db, {"slack": slack, "email": email}, clock, settings=settings)
    clock.set(oslo(2026, 9, 27, 12, 0))
    await dispatcher.tick()
    assert slack.to("UKARI") == []
    assert len(slack.to("UOLA")) == 3  # two reminders and the overdue notice
    # Per is reached by email: the three, all due that day, go as one email (bot.email_digest).
    (digest,) = email.to("per@tromso.kommune.no")
    assert len(digest.meta["digest"]) == 4  # the assignment, two reminders, the overdue notice

    # Re-planning after done does not bring Kari's reminders back.
    async with db.transaction() as session:
        await plan_deliveries(
            session=session, cohort_id=p.cohort.id, settings=settings, now=clock.now()
        )
    rows = await deliveries(db, f"assignment:{a.id}:")
    assert all(
        d.state == DeliveryState.CANCELLED for d in rows.values() if d.person_id == p.kari.id
    )


async def test_reapply_with_moved_due_date_reschedules_pending_only(
    db: Database, settings: Settings
) -> None:
    p, a, _, _ = await _setup(db, settings)
    clock = FrozenClock(oslo(2026, 9, 20, 12, 0))
    slack = RecordingNotifier("slack")
    dispatcher = Dispatcher(
        db, {"slack": slack, "email": RecordingNotifier("email")}, clock, settings=settings
    )
    await dispatcher.tick()  # the posts and the 7-day reminders go
    assert len(slack.to("UOLA")) == 1
    async with db.transaction() as session:
        row = await session.get(Assignment, a.id)
        assert row is not None
        row.due_at = oslo(2026, 10, 2, 12, 0)  # a week later
        session.add(row)
        await session.flush()
        await plan_deliveries(
            session=session, cohort_id=p.cohort.id, settings=settings, now=clock.now()
        )
    rows = await deliveries(db, f"assignment:{a.id}:")
    week = rows[f"assignment:{a.id}:reminder:10080:person:{p.ola.id}"]
    day = rows[f"assignment:{a.id}:reminder:1440:person:{p.ola.id}"]
    assert week.state == DeliveryState.SENT and week.send_at == oslo(2026, 9, 19, 8, 0)
    assert day.state == DeliveryState.PENDING and day.send_at == oslo(2026, 10, 1, 12, 0)
    assert (
        "fredag 2. oktober"
        in message_of(rows[f"assignment:{a.id}:overdue:person:{p.kari.id}"]).text
    )
    clock.set(oslo(2026, 10, 4, 12, 0))
    await dispatcher.tick()
    # One 7-day reminder (not resent), the moved 1-day reminder and the overdue notice.
    assert len(slack.to("UOLA")) == 3
    assert len(slack.to("CBERGEN")) == 1


async def test_reminder_on_a_public_holiday_moves_to_the_next_allowed_day(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as session:
        p = await build_programme(session)
        a = await add_assignment(
            session,
            p.cohort,
            release_at=oslo(2026, 5, 4, 9, 0),
            due_at=oslo(2026, 5, 18, 10, 0),
            offsets=[24 * 60],
        )
        await plan_deliveries(
            session=session, cohort_id=p.cohort.id, settings=settings, now=oslo(2026, 5, 1, 9, 0)
        )
    rows = await deliveries(db, f"assignment:{a.id}:reminder:")
    # 17 May (Constitution Day) 10:00 is a holiday: 08:00 the next morning instead.
    assert rows[f"assignment:{a.id}:reminder:1440:person:{p.kari.id}"].send_at == oslo(
        2026, 5, 18, 8, 0
    )


async def test_dst_change_between_scheduling_and_sending(db: Database, settings: Settings) -> None:
    planned_on = oslo(2026, 10, 20, 12, 0)  # summer time (UTC+2)
    async with db.transaction() as session:
        p = await build_programme(session)
        a = await add_assignment(
            session,
            p.cohort,
            release_at=oslo(2026, 10, 1, 9, 0),
            due_at=oslo(2026, 10, 28, 9, 0),  # winter time (UTC+1)
            offsets=[24 * 60],
        )
        b = await add_assignment(
            session,
            p.cohort,
            key="oppgave-2",
            release_at=oslo(2026, 10, 1, 9, 0),
            due_at=oslo(2026, 10, 30, 9, 0),
            offsets=[7 * 24 * 60],
        )
        await plan_deliveries(
            session=session, cohort_id=p.cohort.id, settings=settings, now=planned_on
        )
    rows = await deliveries(db, "assignment:")
    day = rows[f"assignment:{a.id}:reminder:1440:person:{p.kari.id}"]
    assert day.send_at == datetime(2026, 10, 27, 8, 0, tzinfo=UTC)  # 09:00 local, after the change
    week = rows[f"assignment:{b.id}:reminder:10080:person:{p.kari.id}"]
    assert week.send_at == datetime(2026, 10, 23, 7, 0, tzinfo=UTC)  # 09:00 local, before it


def test_before_counts_days_on_the_wall_clock() -> None:
    due = oslo(2026, 10, 30, 9, 0)
    assert before(due, 7 * 24 * 60, "Europe/Oslo") == oslo(2026, 10, 23, 9, 0)
    assert before(due, 7 * 24 * 60 + 90, "Europe/Oslo") == oslo(2026, 10, 23, 7, 30)
    assert before(due, 60, "Europe/Oslo") == oslo(2026, 10, 30, 8, 0)


async def test_one_combined_message_per_manager_and_wave(db: Database, settings: Settings) -> None:
    async with db.transaction() as session:
        p = await build_programme(session)
        n = await add_nudge(
            session, p.cohort, send_at=oslo(2026, 8, 24, 9, 0), respond_by=oslo(2026, 9, 4, 16, 0)
        )
        await plan_deliveries(
            session=session, cohort_id=p.cohort.id, settings=settings, now=NOW - timedelta(days=30)
        )
    rows = await deliveries(db, f"nudge:{n.id}:")
    assert set(rows) == {f"nudge:{n.id}:manager:{p.mona.id}", f"nudge:{n.id}:manager:{p.erik.id}"}
    mona = rows[f"nudge:{n.id}:manager:{p.mona.id}"]
    assert mona.transport == "slack" and mona.target == "UMONA"
    assert mona.send_at == oslo(2026, 8, 24, 9, 0)
    message = message_of(mona)
    answer_sections = [s for s in message.sections if s.buttons]
    assert len(answer_sections) == 2  # Kari and Ola; Siri withdrew
    assert "Kari Nordmann" in message.text and "Ola Hansen" in message.text
    assert "Siri" not in message.text
    for section in answer_sections:
        assert [b.action_id for b in section.buttons] == [
            "nudge_answer_done",
            "nudge_answer_later",
            "nudge_answer_cannot",
        ]
        assert all(b.url is None for b in section.buttons)
    assert "fredag 4. september kl. 16.00" in message.sections[0].text
    erik = rows[f"nudge:{n.id}:manager:{p.erik.id}"]
    assert erik.transport == "email" and erik.target == "erik@tromso.kommune.no"
    links = [b.url for s in message_of(erik).sections for b in s.buttons]
    assert len(links) == 3 and all(u and u.startswith("http://127.0.0.1:3000/r/") for u in links)
    # Re-applying writes no new rows.
    async with db.transaction() as session:
        await plan_deliveries(
            session=session, cohort_id=p.cohort.id, settings=settings, now=NOW - timedelta(days=30)
        )
    assert set(await deliveries(db, f"nudge:{n.id}:")) == set(rows)


async def test_replanning_late_keeps_overdue_pending_rows_and_sends_nothing_late(
    db: Database, settings: Settings
) -> None:
    p, a, _, _ = await _setup(db, settings)
    # Nothing was dispatched (say Slack was paused) and the 7-day reminder time has passed.
    late = oslo(2026, 9, 20, 12, 0)
    async with db.transaction() as session:
        from tests.utils.factories import create_person, enrol

        newcomer = await create_person(
            session, email="nina@bergen.kommune.no", name="Nina Ny", slack_user_id="UNINA"
        )
        await enrol(session, person=newcomer, cohort=p.cohort, cls=p.bergen)
        await plan_deliveries(session=session, cohort_id=p.cohort.id, settings=settings, now=late)
    rows = await deliveries(db, f"assignment:{a.id}:")
    week = rows[f"assignment:{a.id}:reminder:10080:person:{p.ola.id}"]
    assert week.state == DeliveryState.PENDING  # still goes when sending resumes
    assert f"assignment:{a.id}:reminder:10080:person:{newcomer.id}" not in rows  # not sent late
    assert (
        rows[f"assignment:{a.id}:reminder:1440:person:{newcomer.id}"].state == DeliveryState.PENDING
    )
