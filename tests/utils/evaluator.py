"""A programme for the evaluator tests: one closed pulse answered in a big and a small class,
and two pulses still to come (one tied to a session)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot import pulses
from bot.settings import Settings
from storage.db import Database
from storage.models import Cohort, ProgrammeSession, Pulse, PulseQuestion
from storage.queries.pulses import add_participations
from tests.utils.factories import (
    create_class,
    create_cohort,
    create_person,
    create_programme,
    create_pulse,
    enrol,
)

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # the `clock` fixture's time
EVALUATOR = "direktoratet@helsedir.no"
# People's names and emails that must never reach an evaluator.
SECRET_NAMES = [f"Hemmelig Deltaker{i}" for i in range(9)]


@dataclass
class EvalWorld:
    cohort: Cohort
    closed: Pulse
    questions: list[PulseQuestion]
    next_pulse: Pulse
    later_pulse: Pulse
    session: ProgrammeSession


def evaluator_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"evaluator_emails": (EVALUATOR,)})


async def build_world(db: Database, settings: Settings) -> EvalWorld:
    """Bergen: 7 answered 4/5/5/4/3/5/4; Tromsø: 2 answered 1/1 — a class under 5."""
    async with db.transaction() as s:
        cohort = await create_cohort(
            s, programme=await create_programme(s, name="LU"), key="kull-e", name="Kull E"
        )
        bergen = await create_class(s, cohort=cohort, key="bergen", name="Bergen")
        tromso = await create_class(s, cohort=cohort, key="tromso", name="Tromsø")
        people = []
        for i, name in enumerate(SECRET_NAMES):
            p = await create_person(
                s, email=f"hemmelig{i}@kommune.no", name=name, slack_user_id=f"UH{i}"
            )
            await enrol(s, person=p, cohort=cohort, cls=bergen if i < 7 else tromso)
            people.append(p)
        opens = datetime(2026, 2, 2, 8, 0, tzinfo=UTC)
        closed, questions = await create_pulse(
            s,
            cohort=cohort,
            key="etter-s1",
            title="Etter samling 1",
            anonymous=False,
            opens_at=opens,
            closes_at=opens + timedelta(days=7),
            questions=(("scale5", "Hvor nyttig var samlingen?"), ("text", "Hva kan bli bedre?")),
        )
        await add_participations(
            session=s, pulse_id=closed.id, person_ids=[p.id for p in people], invited_at=opens
        )
        session_row = ProgrammeSession(
            cohort_id=cohort.id,
            key="s2",
            number=2,
            title="Samling 2",
            starts_at=datetime(2026, 4, 14, 7, 0, tzinfo=UTC),
            ends_at=datetime(2026, 4, 15, 14, 0, tzinfo=UTC),
        )
        s.add(session_row)
        await s.flush()
        next_pulse, _ = await create_pulse(
            s,
            cohort=cohort,
            key="midtveis",
            title="Midtveis",
            opens_at=datetime(2026, 3, 20, 8, 0, tzinfo=UTC),
        )
        later_pulse, _ = await create_pulse(
            s,
            cohort=cohort,
            key="etter-s2",
            title="Etter samling 2",
            opens_at=datetime(2026, 4, 16, 8, 0, tzinfo=UTC),
            session_id=session_row.id,
        )
    at = opens + timedelta(hours=2)
    async with db.transaction() as s:
        for p, value in zip(people, [4, 5, 5, 4, 3, 5, 4, 1, 1], strict=True):
            await pulses.record_answer(
                s, closed.id, p.id, questions[0].id, value, now=at, settings=settings
            )
            await pulses.record_answer(
                s,
                closed.id,
                p.id,
                questions[1].id,
                text=f"{p.name} synes alt var bra",
                now=at,
                settings=settings,
            )
    async with db.transaction() as s:
        row = await s.get(Pulse, closed.id)
        assert row is not None
        await pulses.close(s, row, now=opens + timedelta(days=7), settings=settings)
    return EvalWorld(cohort, closed, questions, next_pulse, later_pulse, session_row)
