"""Involvement figures per class and for the whole cohort."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FrozenClock
from bot.delivery import Dispatcher
from bot.involvement import involvement_by_class, involvement_figures
from bot.line_managers import answer_nudge, run_followups
from bot.notifier import RecordingNotifier
from bot.planner import plan_deliveries
from bot.settings import Settings
from storage.db import Database
from storage.models import NudgeAnswer
from tests.utils.assignments import add_nudge, build_programme, oslo

SEND = oslo(2026, 8, 24, 9, 0)


async def test_figures_per_class_and_cohort(db: Database, settings: Settings) -> None:
    async with db.transaction() as session:
        p = await build_programme(session)
        await add_nudge(session, p.cohort, send_at=SEND)
        await plan_deliveries(session=session, cohort_id=p.cohort.id, settings=settings, now=SEND)
    clock = FrozenClock(SEND)
    notifiers = {"slack": RecordingNotifier("slack"), "email": RecordingNotifier("email")}
    await Dispatcher(db, notifiers, clock, settings=settings).tick()
    async with db.transaction() as session:
        await run_followups(session, settings=settings, now=SEND + timedelta(minutes=1))
        from sqlmodel import select

        answers = {
            a.participant_id: a for a in (await session.execute(select(NudgeAnswer))).scalars()
        }
        await answer_nudge(
            session,
            answers[p.kari.id].id,
            "done",
            "slack",
            SEND + timedelta(hours=2),
            settings=settings,
        )
        await answer_nudge(
            session,
            answers[p.per.id].id,
            "cannot",
            "email",
            SEND + timedelta(hours=6),
            settings=settings,
        )
    async with db.session() as session:
        cohort = await involvement_figures(session, p.cohort.id)
        by_class = await involvement_by_class(session, p.cohort.id)
    [whole] = cohort
    assert (whole.nudged, whole.answered, whole.done) == (3, 2, 1)
    assert whole.median_hours == 4.0
    [bergen] = by_class[p.bergen.id]
    [tromso] = by_class[p.tromso.id]
    assert (bergen.nudged, bergen.answered, bergen.done, bergen.share_done) == (2, 1, 1, 0.5)
    assert (tromso.share_answered, tromso.share_done, tromso.median_hours) == (1.0, 0.0, 6.0)
