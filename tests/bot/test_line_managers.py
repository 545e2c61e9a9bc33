"""Line-manager answers, "not yet", telling the participant, reminders, escalation and staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.clock import FrozenClock
from bot.delivery import Dispatcher
from bot.line_managers import (
    NotYourNudge,
    answer_deadline,
    answer_nudge,
    manager_overview,
    mark_handled,
    outcome_text,
    resend_nudge,
    run_followups,
    silent_managers,
    working_days_after,
)
from bot.notifier import RecordingNotifier
from bot.planner import plan_deliveries
from bot.settings import Settings
from storage.db import Database
from storage.models import AuditEvent, DeliveryState, NudgeAnswer
from tests.utils.assignments import add_nudge, build_programme, deliveries, message_of, oslo

SEND = oslo(2026, 8, 24, 9, 0)  # Monday


async def _planned(db: Database, settings: Settings):  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        p = await build_programme(session)
        n = await add_nudge(session, p.cohort, send_at=SEND, respond_by=oslo(2026, 9, 4, 16, 0))
        await plan_deliveries(
            session=session, cohort_id=p.cohort.id, settings=settings, now=SEND - timedelta(days=5)
        )
    return p, n


async def _answers(db: Database) -> dict[int, NudgeAnswer]:
    async with db.session() as session:
        rows = (await session.execute(select(NudgeAnswer))).scalars()
        return {r.participant_id: r for r in rows}


def test_working_days_skip_weekends_and_holidays() -> None:
    # Wednesday 13 May 2026 + 5 working days: Ascension (14 May) and the weekend are skipped.
    start = oslo(2026, 5, 13, 10, 0)
    assert working_days_after(start, 5, "Europe/Oslo") == oslo(2026, 5, 21, 10, 0)
    assert working_days_after(oslo(2026, 8, 24, 9, 0), 5, "Europe/Oslo") == oslo(2026, 8, 31, 9, 0)


async def test_answer_is_recorded_once_and_repeats_show_the_same(
    db: Database, settings: Settings
) -> None:
    p, n = await _planned(db, settings)
    kari = (await _answers(db))[p.kari.id]
    at = SEND + timedelta(hours=2)
    async with db.transaction() as session:
        first = await answer_nudge(session, kari.id, "done", "slack", at, settings=settings)
    async with db.transaction() as session:
        again = await answer_nudge(
            session, kari.id, "done", "slack", at + timedelta(hours=1), settings=settings
        )
    assert first.recorded and not again.recorded and again.answer == "done"
    assert again.answered_at == first.answered_at == at
    row = (await _answers(db))[p.kari.id]
    assert row.answer == "done" and row.answered_via == "slack" and row.answered_at == at
    assert "Kari Nordmann" in outcome_text(again, "nb")
    # The participant hears "confirmed" once, when the answer is final: at the deadline.
    told = await deliveries(db, f"nudge:{n.id}:confirmed:")
    assert len(told) == 1
    (delivery,) = told.values()
    assert delivery.state == DeliveryState.PENDING
    assert delivery.send_at >= answer_deadline(n, settings)
    assert "Mona Leder" in message_of(delivery).text


async def test_a_misclick_can_be_changed_until_the_deadline_and_no_later(
    db: Database, settings: Settings
) -> None:
    p, n = await _planned(db, settings)
    kari = (await _answers(db))[p.kari.id]
    deadline = answer_deadline(n, settings)
    at = SEND + timedelta(hours=2)
    async with db.transaction() as session:
        await answer_nudge(session, kari.id, "done", "email", at, settings=settings)
    async with db.transaction() as session:
        changed = await answer_nudge(
            session, kari.id, "cannot", "email", at + timedelta(hours=1), settings=settings
        )
    assert changed.recorded and changed.answer == "cannot"
    told = await deliveries(db, f"nudge:{n.id}:confirmed:")
    # "Done" was withdrawn before anyone was told: nobody will be.
    assert {d.state for d in told.values()} == {DeliveryState.CANCELLED}
    async with db.transaction() as session:
        back = await answer_nudge(
            session, kari.id, "done", "email", at + timedelta(hours=2), settings=settings
        )
    assert back.recorded
    told = await deliveries(db, f"nudge:{n.id}:confirmed:")
    assert sorted(d.state for d in told.values()) == sorted(
        [DeliveryState.CANCELLED, DeliveryState.PENDING]
    )
    async with db.transaction() as session:
        late = await answer_nudge(session, kari.id, "cannot", "email", deadline, settings=settings)
    assert not late.recorded and late.answer == "done"
    assert (await _answers(db))[p.kari.id].answer == "done"


async def test_participant_not_told_when_the_setting_is_off(
    db: Database, settings: Settings
) -> None:
    settings = settings.model_copy(update={"tell_participant_on_manager_confirm": False})
    p, n = await _planned(db, settings)
    kari = (await _answers(db))[p.kari.id]
    async with db.transaction() as session:
        await answer_nudge(session, kari.id, "done", "slack", SEND, settings=settings)
    assert await deliveries(db, f"nudge:{n.id}:confirmed:") == {}


async def test_only_the_participants_manager_may_answer(db: Database, settings: Settings) -> None:
    p, _ = await _planned(db, settings)
    per = (await _answers(db))[p.per.id]
    async with db.transaction() as session:
        with pytest.raises(NotYourNudge):
            await answer_nudge(
                session, per.id, "done", "slack", SEND, settings=settings, by_person_id=p.mona.id
            )


async def test_not_yet_reminds_once_a_week_later_then_a_final_answer_cancels(
    db: Database, settings: Settings
) -> None:
    p, n = await _planned(db, settings)
    ola = (await _answers(db))[p.ola.id]
    at = oslo(2026, 8, 25, 10, 0)
    async with db.transaction() as session:
        out = await answer_nudge(session, ola.id, "later", "slack", at, settings=settings)
        assert out.recorded
        assert not (
            await answer_nudge(session, ola.id, "later", "slack", at, settings=settings)
        ).recorded
    later = (await deliveries(db, f"nudge:{n.id}:later:"))[f"nudge:{n.id}:later:{ola.id}"]
    assert later.send_at == oslo(2026, 9, 1, 10, 0) and later.target == "UMONA"
    assert "Ola Hansen" in message_of(later).text
    async with db.transaction() as session:
        final = await answer_nudge(
            session, ola.id, "done", "slack", at + timedelta(days=2), settings=settings
        )
    assert final.recorded and final.answer == "done"
    later = (await deliveries(db, f"nudge:{n.id}:later:"))[f"nudge:{n.id}:later:{ola.id}"]
    assert later.state == DeliveryState.CANCELLED
    row = (await _answers(db))[p.ola.id]
    assert row.answered_at == at  # time to first answer


async def test_silence_brings_one_reminder_then_escalation_then_staff_follow_up(
    db: Database, settings: Settings
) -> None:
    p, _n = await _planned(db, settings)
    clock = FrozenClock(SEND)
    slack, email = RecordingNotifier("slack"), RecordingNotifier("email")
    dispatcher = Dispatcher(db, {"slack": slack, "email": email}, clock, settings=settings)
    await dispatcher.tick()
    assert len(slack.to("UMONA")) == 1 and len(email.to("erik@tromso.kommune.no")) == 1
    # Kari's manager answers for Kari; nobody answers for Ola or Per.
    kari = (await _answers(db))[p.kari.id]
    async with db.transaction() as session:
        await answer_nudge(
            session, kari.id, "done", "slack", SEND + timedelta(hours=1), settings=settings
        )

    async def followups(at: datetime):  # type: ignore[no-untyped-def]
        clock.set(at)
        async with db.transaction() as session:
            stats = await run_followups(session, settings=settings, now=at)
        await dispatcher.tick()
        return stats

    stats = await followups(oslo(2026, 8, 28, 12, 0))  # 4 working days: nothing yet
    assert (stats.synced, stats.reminded, stats.escalated) == (3, 0, 0)
    stats = await followups(oslo(2026, 8, 31, 9, 0))  # 5 working days
    assert (stats.reminded, stats.escalated) == (2, 0)
    reminder = slack.to("UMONA")[-1]
    assert reminder.title and reminder.title.startswith("Påminnelse")
    assert "Ola Hansen" in reminder.text and "Kari" not in reminder.text  # only the unanswered
    assert len(email.to("erik@tromso.kommune.no")) == 2
    stats = await followups(oslo(2026, 9, 1, 9, 0))  # a reminder is sent once
    assert (stats.reminded, stats.escalated) == (0, 0)
    stats = await followups(oslo(2026, 9, 7, 9, 0))  # 5 more working days: to staff
    assert stats.escalated == 2
    async with db.session() as session:
        silent = await silent_managers(session, p.cohort.id)
    assert {(s.manager_name, s.participant_name) for s in silent} == {
        ("Mona Leder", "Ola Hansen"),
        ("Erik Sjef", "Per Olsen"),
    }
    per = next(s for s in silent if s.participant_id == p.per.id)
    ola = next(s for s in silent if s.participant_id == p.ola.id)
    at = oslo(2026, 9, 7, 10, 0)
    async with db.transaction() as session:
        await mark_handled(session, per.nudge_answer_id, staff_person_id=p.staff.id, now=at)
        await resend_nudge(
            session, ola.nudge_answer_id, staff_person_id=p.staff.id, settings=settings, now=at
        )
    clock.set(at)
    await dispatcher.tick()
    assert slack.to("UMONA")[-1].text.count("Ola Hansen") == 1
    async with db.session() as session:
        assert await silent_managers(session, p.cohort.id) == []
        audit = (
            await session.execute(select(AuditEvent.action).order_by(col(AuditEvent.id)))
        ).scalars()
        assert list(audit) == ["nudge.mark_handled", "nudge.resend"]
    # The resend restarts the clock: silent again 5 working days later.
    await followups(oslo(2026, 9, 14, 11, 0))
    async with db.session() as session:
        again = await silent_managers(session, p.cohort.id)
    assert [s.participant_name for s in again] == ["Ola Hansen"]


async def test_manager_sees_only_their_own_participants(db: Database, settings: Settings) -> None:
    p, _ = await _planned(db, settings)
    async with db.session() as session:
        before = await manager_overview(session, p.mona.id, SEND - timedelta(days=1))
        after = await manager_overview(session, p.mona.id, SEND + timedelta(minutes=1))
    assert sorted(before.participants) == ["Kari Nordmann", "Ola Hansen", "Siri Berg"]
    assert before.waiting == []  # not sent yet
    assert sorted(r.participant_name for r in after.waiting) == ["Kari Nordmann", "Ola Hansen"]
    assert all(r.answer.manager_id == p.mona.id for r in after.waiting)


async def test_a_sent_time_in_utc_is_kept(db: Database, settings: Settings) -> None:
    p, _ = await _planned(db, settings)
    clock = FrozenClock(SEND)
    await Dispatcher(
        db,
        {"slack": RecordingNotifier("slack"), "email": RecordingNotifier("email")},
        clock,
        settings=settings,
    ).tick()
    async with db.transaction() as session:
        await run_followups(session, settings=settings, now=SEND + timedelta(minutes=5))
    assert (await _answers(db))[p.kari.id].sent_at == datetime(2026, 8, 24, 7, 0, tzinfo=UTC)


async def test_without_an_answer_by_time_the_message_still_says_by_when(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as session:
        p = await build_programme(session)
        n = await add_nudge(session, p.cohort, send_at=SEND)
        await plan_deliveries(session=session, cohort_id=p.cohort.id, settings=settings, now=SEND)
    rows = await deliveries(db, f"nudge:{n.id}:manager:{p.mona.id}")
    text = message_of(rows[f"nudge:{n.id}:manager:{p.mona.id}"]).sections[0].text
    assert "Svar innen mandag 31. august kl. 09.00." in text  # five working days later


async def test_a_follow_up_after_the_deadline_says_the_deadline_has_passed(
    db: Database, settings: Settings
) -> None:
    """Answer by Saturday, "not yet" on Friday: the follow-up a week later must not ask for an
    answer by a Saturday already gone; one before the deadline still asks by then."""
    async with db.transaction() as session:
        p = await build_programme(session)
        n = await add_nudge(session, p.cohort, send_at=SEND, respond_by=oslo(2026, 8, 29, 16, 0))
        await plan_deliveries(session=session, cohort_id=p.cohort.id, settings=settings, now=SEND)
    answers = await _answers(db)
    async with db.transaction() as session:
        await answer_nudge(
            session,
            answers[p.ola.id].id,
            "later",
            "slack",
            oslo(2026, 8, 28, 10, 0),
            settings=settings,
        )
    ola = answers[p.ola.id].id
    later = (await deliveries(db, f"nudge:{n.id}:later:"))[f"nudge:{n.id}:later:{ola}"]
    text = message_of(later).sections[0].text
    assert "Svarfristen var lørdag 29. august kl. 16.00, men svar gjerne likevel." in text
    assert "Svar innen" not in text
    first = (await deliveries(db, f"nudge:{n.id}:manager:{p.mona.id}"))[
        f"nudge:{n.id}:manager:{p.mona.id}"
    ]
    assert "Svar innen lørdag 29. august kl. 16.00." in message_of(first).sections[0].text


async def test_a_manager_the_message_never_reached_goes_to_staff_at_once(
    db: Database, settings: Settings
) -> None:
    from bot.notifier import SendResult

    class Bouncing(RecordingNotifier):
        async def send(self, *, target, message):  # type: ignore[no-untyped-def]
            return SendResult("failed", error="recipient refused (550)")

    p, _ = await _planned(db, settings)
    clock = FrozenClock(SEND)
    notifiers = {"slack": RecordingNotifier("slack"), "email": Bouncing("email")}
    await Dispatcher(db, notifiers, clock, settings=settings).tick()
    async with db.transaction() as session:
        stats = await run_followups(session, settings=settings, now=SEND + timedelta(minutes=15))
    assert stats.escalated == 1
    async with db.session() as session:
        silent = await silent_managers(session, p.cohort.id)
    assert [(s.manager_name, s.sent_at) for s in silent] == [("Erik Sjef", None)]
