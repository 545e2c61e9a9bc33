"""Pulses: invitation, anonymity that holds in the tables, idempotent answers, one reminder, close."""

from __future__ import annotations

import hashlib
import hmac
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import DateTime, inspect
from sqlmodel import select

from bot.notifier import OutgoingMessage
from bot.pulses import (
    PulseError,
    QuestionSpec,
    close,
    closed_message,
    create_pulse,
    parse_answer_value,
    record_answer,
    respondent_token,
    tick,
)
from bot.results import pulse_results, results_chart_png, results_text
from bot.settings import Settings
from storage.db import Database
from storage.models import (
    ERASED_EMAIL_SUFFIX,
    Delivery,
    Pulse,
    PulseAnswer,
    PulseParticipation,
    PulseReceipt,
    PulseResponseCount,
)
from tests.utils.factories import create_class, create_cohort, create_person, enrol

OPENS = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday 09:00 Oslo


async def setup_pulse(
    db: Database, settings: Settings, *, anonymous: bool = True, people: int = 6, **kw: Any
) -> dict[str, Any]:
    async with db.transaction() as s:
        cohort = await create_cohort(s, name="Kull 2026")
        cls = await create_class(s, cohort=cohort, name="Bergen")
        persons = []
        for i in range(people):
            p = await create_person(s, slack_user_id=f"U{i:05d}", locale="en" if i == 0 else "nb")
            await enrol(s, person=p, cohort=cohort, cls=cls)
            persons.append(p)
        # No chat account and no address (an erased person's stub): nothing reaches them.
        nobody = await create_person(
            s, slack_user_id=None, email=f"stub-{people}{ERASED_EMAIL_SUFFIX}"
        )
        await enrol(s, person=nobody, cohort=cohort, cls=cls)
        pulse = await create_pulse(
            s,
            title="Etter samling 1",
            questions=kw.pop(
                "questions",
                [
                    QuestionSpec("scale5", "Hvor nyttig var samlingen?"),
                    QuestionSpec("text", "Hva kan bli bedre?"),
                ],
            ),
            cohort_id=cohort.id,
            opens_at=OPENS,
            closes_at=OPENS + timedelta(days=7),
            now=OPENS - timedelta(hours=1),
            anonymous=anonymous,
            **kw,
        )
    async with db.transaction() as s:
        result = await tick(s, now=OPENS, settings=settings)
    assert result.opened == 1 and result.invited == people
    async with db.session() as s:
        from storage.queries.pulses import list_questions

        questions = await list_questions(session=s, pulse_id=pulse.id)
    return {
        "pulse": pulse,
        "people": persons,
        "nobody": nobody,
        "questions": questions,
        "cohort": cohort,
    }


async def deliveries(db: Database, kind: str | None = None) -> list[Delivery]:
    async with db.session() as s:
        stmt = select(Delivery).order_by(Delivery.id)
        if kind:
            stmt = stmt.where(Delivery.kind == kind)
        return list((await s.exec(stmt)).all())


async def answer(
    db: Database,
    settings: Settings,
    pulse_id: int,
    person_id: int,
    qid: int,
    value: Any = None,
    text: Any = None,
    now: datetime | None = None,
) -> Any:
    async with db.transaction() as s:
        return await record_answer(
            s,
            pulse_id,
            person_id,
            qid,
            value,
            text,
            now=now or OPENS + timedelta(hours=2),
            settings=settings,
        )


async def test_invitation_says_exactly_which_kind_of_pulse(
    db: Database, settings: Settings
) -> None:
    ctx = await setup_pulse(db, settings)
    invites = await deliveries(db, "pulse_invite")
    pulse = ctx["pulse"]
    assert [d.dedupe_key for d in invites] == [
        f"pulse:{pulse.id}:invite:person:{p.id}" for p in ctx["people"]
    ]
    assert all(d.person_id != ctx["nobody"].id for d in invites)
    nb = OutgoingMessage.from_json(invites[1].message)
    en = OutgoingMessage.from_json(invites[0].message)
    assert "svarene kan ikke spores tilbake til deg" in nb.sections[0].text
    assert "answers cannot be traced to you. The reminder goes to everyone asked" in (
        en.sections[0].text
    )
    scale = nb.sections[1].buttons
    assert [b.label for b in scale] == ["1", "2", "3", "4", "5"]
    assert len({b.action_id for b in scale}) == 5  # Slack wants unique action ids
    assert parse_answer_value(scale[3].value) == (pulse.id, ctx["questions"][0].id, 4)
    assert nb.sections[2].buttons[0].label == "Skriv svar"
    # Inviting again (the next tick) sends nothing twice.
    async with db.transaction() as s:
        again = await tick(s, now=OPENS + timedelta(minutes=1), settings=settings)
    assert again.opened == 0 and len(await deliveries(db, "pulse_invite")) == 6


async def test_named_pulse_message_and_storage(db: Database, settings: Settings) -> None:
    ctx = await setup_pulse(db, settings, anonymous=False)
    message = OutgoingMessage.from_json((await deliveries(db, "pulse_invite"))[1].message)
    assert "ikke anonym" in message.sections[0].text
    person, q1 = ctx["people"][1], ctx["questions"][0]
    out = await answer(db, settings, ctx["pulse"].id, person.id, q1.id, 4)
    assert out.status == "recorded" and "*4*" in out.message
    async with db.session() as s:
        rows = (await s.exec(select(PulseAnswer))).all()
    assert [(r.person_id, r.value) for r in rows] == [(person.id, 4)]


async def close_pulse(db: Database, settings: Settings, ctx: dict[str, Any]) -> None:
    """Close the pulse at its deadline (releasing an anonymous pulse's answers)."""
    async with db.transaction() as s:
        result = await tick(s, now=OPENS + timedelta(days=7), settings=settings)
    assert result.closed == 1


async def test_anonymous_answers_are_sealed_until_close_then_kept_without_person_or_token(
    db: Database, settings: Settings
) -> None:
    ctx = await setup_pulse(db, settings)
    pulse, q1, q2 = ctx["pulse"], ctx["questions"][0], ctx["questions"][1]
    for i, p in enumerate(ctx["people"][:5]):
        await answer(
            db, settings, pulse.id, p.id, q1.id, 1 + i % 5, now=OPENS + timedelta(hours=1 + i)
        )
    await answer(db, settings, pulse.id, ctx["people"][0].id, q2.id, text="Mer tid til grupper")
    async with db.session() as s:
        answers = list((await s.exec(select(PulseAnswer))).all())
        parts = list((await s.exec(select(PulseParticipation))).all())
        receipts = list((await s.exec(select(PulseReceipt))).all())
    # While open: no readable answer anywhere, and nothing about any person changed.
    assert answers == []
    assert {p.invited_at for p in parts} == {OPENS} and not any(p.answered for p in parts)
    assert len(receipts) == 5
    assert len({len(r.sealed) for r in receipts}) == 1  # one length: text or not, says nothing
    assert all(b"Mer tid" not in r.sealed for r in receipts)
    # Tokens are not anything computable without the key...
    people = ctx["people"]
    tokens = {r.token for r in receipts}
    guessable: set[str] = set()
    for p in people:
        for raw in (f"{pulse.id}:{p.id}", str(p.id), p.email, f"{p.id}"):
            guessable.add(hashlib.sha256(raw.encode()).hexdigest())
            guessable.add(hashlib.md5(raw.encode()).hexdigest())
        guessable.add(
            respondent_token(
                settings.model_copy(update={"secret_key": "another-key-xxxxxxxxxxxxxxxx"}),
                pulse.id,
                p.id,
            )
        )
    assert not tokens & guessable
    # ...while the key holder can recompute them while the pulse is open (docs/privacy.md).
    expected = hmac.new(
        settings.signing_key,
        f"cohortbot/pulse-respondent/v1:{pulse.id}:{people[0].id}".encode(),
        hashlib.sha256,
    ).hexdigest()
    assert expected in tokens
    await close_pulse(db, settings, ctx)
    async with db.session() as s:
        answers = list((await s.exec(select(PulseAnswer))).all())
        receipts = list((await s.exec(select(PulseReceipt))).all())
        counts = list((await s.exec(select(PulseResponseCount))).all())
        parts = list((await s.exec(select(PulseParticipation))).all())
    assert receipts == []
    assert sorted((a.value, a.text) for a in answers if a.value) == [
        (v, None) for v in (1, 2, 3, 4, 5)
    ]
    assert [a.text for a in answers if a.text] == ["Mer tid til grupper"]
    assert all(a.person_id is None and a.respondent_token is None for a in answers)
    # The class has 5 respondents (>= 5): it may be on the rows.
    assert len({a.class_id for a in answers}) == 1 and answers[0].class_id is not None
    assert [(c.class_id is not None, c.answered) for c in counts] == [(True, 5)]
    assert not any(p.answered for p in parts)  # who answered is never written per person
    columns = inspect(PulseAnswer).columns
    assert not [
        c.name
        for c in columns
        if isinstance(c.type, DateTime) or "time" in c.name or c.name.endswith("_at")
    ]
    ids = [a.id for a in answers]
    assert len(set(ids)) == len(ids) and all(len(i) == 32 for i in ids)


async def test_double_clicks_record_one_answer_and_changes_are_kept(
    db: Database, settings: Settings
) -> None:
    ctx = await setup_pulse(db, settings)
    pulse, q1, person = ctx["pulse"], ctx["questions"][0], ctx["people"][2]
    first = await answer(db, settings, pulse.id, person.id, q1.id, 3)
    again = await answer(db, settings, pulse.id, person.id, q1.id, 3)
    changed = await answer(db, settings, pulse.id, person.id, q1.id, 5)
    assert (first.status, again.status, changed.status) == ("recorded", "unchanged", "changed")
    assert "registrert" in first.message and "3" not in first.message.split("fram til")[0]
    await close_pulse(db, settings, ctx)
    async with db.session() as s:
        rows = (await s.exec(select(PulseAnswer))).all()
    assert [r.value for r in rows] == [5]


async def test_answers_after_close_are_refused_with_a_clear_message(
    db: Database, settings: Settings
) -> None:
    ctx = await setup_pulse(db, settings)
    pulse, q1, person = ctx["pulse"], ctx["questions"][0], ctx["people"][2]
    await answer(db, settings, pulse.id, person.id, q1.id, 3)
    after = OPENS + timedelta(days=7, minutes=1)
    async with db.transaction() as s:
        closed = await tick(s, now=after, settings=settings)
    assert closed.closed == 1
    out = await answer(db, settings, pulse.id, person.id, q1.id, 1, now=after)
    assert out.status == "closed" and "stengte" in out.message
    # The deadline people were given, not the minute the close job happened to run.
    assert "stengte mandag 9. mars kl. 09.00" in out.message
    async with db.session() as s:
        rows = (await s.exec(select(PulseAnswer))).all()
    assert [r.value for r in rows] == [3]


async def test_a_pulse_closed_early_names_the_moment_it_closed(
    db: Database, settings: Settings
) -> None:
    ctx = await setup_pulse(db, settings)
    pulse, q1, person = ctx["pulse"], ctx["questions"][0], ctx["people"][2]
    early = OPENS + timedelta(days=2)  # Wednesday 09:00, five days before the deadline
    async with db.transaction() as s:
        await close(s, pulse, now=early, settings=settings)
    out = await answer(db, settings, pulse.id, person.id, q1.id, 3, now=early)
    assert out.status == "closed" and "stengte onsdag 4. mars kl. 09.00" in out.message
    async with db.session() as s:
        fresh = await s.get(Pulse, pulse.id)
    assert fresh is not None
    assert closed_message(fresh, now=OPENS, locale="en") == (
        "This pulse closed Wednesday 4 March at 09:00, so the answer was not recorded."
    )


async def test_bad_answers_change_nothing(db: Database, settings: Settings) -> None:
    ctx = await setup_pulse(db, settings)
    pulse, q1, q2 = ctx["pulse"], ctx["questions"][0], ctx["questions"][1]
    assert (await answer(db, settings, pulse.id, ctx["people"][1].id, q1.id, 9)).status == "invalid"
    assert (
        await answer(db, settings, pulse.id, ctx["people"][1].id, q2.id, text="  ")
    ).status == "invalid"
    assert (
        await answer(db, settings, pulse.id, ctx["nobody"].id, q1.id, 3)
    ).status == "not_invited"
    assert (await answer(db, settings, 999_999, ctx["people"][1].id, q1.id, 3)).status == "invalid"
    with pytest.raises(PulseError):
        parse_answer_value("1:2:x")
    async with db.session() as s:
        assert (await s.exec(select(PulseAnswer))).all() == []


async def test_one_reminder_only_to_non_respondents_decided_when_it_may_be_sent(
    db: Database, settings: Settings
) -> None:
    # A named pulse: who answered is no secret, so only those who have not are reminded.
    ctx = await setup_pulse(db, settings, anonymous=False, people=4)
    pulse, q1, people = ctx["pulse"], ctx["questions"][0], ctx["people"]
    await answer(db, settings, pulse.id, people[0].id, q1.id, 4)
    reminder_time = OPENS + timedelta(days=3, hours=12)  # Thursday 21:00 Oslo: quiet hours
    async with db.transaction() as s:
        night = await tick(s, now=reminder_time, settings=settings)
    assert night.reminded == 0 and await deliveries(db, "pulse_reminder") == []
    # Someone answers during the night: nothing is queued for them, so nothing is cancelled.
    await answer(
        db, settings, pulse.id, people[1].id, q1.id, 2, now=reminder_time + timedelta(hours=2)
    )
    morning = reminder_time + timedelta(hours=12)  # Friday 09:00 Oslo
    async with db.transaction() as s:
        first = await tick(s, now=morning, settings=settings)
    async with db.transaction() as s:
        second = await tick(s, now=morning + timedelta(hours=5), settings=settings)
    assert (first.reminded, second.reminded) == (2, 0)
    reminders = await deliveries(db, "pulse_reminder")
    assert [d.dedupe_key for d in reminders] == [
        f"pulse:{pulse.id}:reminder:person:{p.id}" for p in people[2:]
    ]
    assert {d.state for d in reminders} == {"pending"} and {d.send_at for d in reminders} == {
        morning
    }
    assert "Påminnelse" in OutgoingMessage.from_json(reminders[0].message).text
    async with db.session() as s:
        fresh = await s.get(Pulse, pulse.id)
    assert fresh is not None and fresh.reminders_done_at == morning


async def test_anonymous_reminders_cannot_tell_early_from_late_respondents(
    db: Database, settings: Settings
) -> None:
    # Whoever reads the outbox sees who was reminded: an anonymous pulse reminds everyone asked,
    # so the reminder rows are the same whether and when anybody answered.
    ctx = await setup_pulse(db, settings, people=4)
    pulse, q1, people = ctx["pulse"], ctx["questions"][0], ctx["people"]
    await answer(db, settings, pulse.id, people[0].id, q1.id, 4)
    morning = OPENS + timedelta(days=4)  # Friday 09:00 Oslo
    await answer(db, settings, pulse.id, people[1].id, q1.id, 2, now=morning - timedelta(hours=1))
    async with db.transaction() as s:
        first = await tick(s, now=morning, settings=settings)
    assert first.reminded == 4
    reminders = await deliveries(db, "pulse_reminder")
    assert sorted(d.dedupe_key for d in reminders) == sorted(
        f"pulse:{pulse.id}:reminder:person:{p.id}" for p in people
    )
    assert len({(d.send_at, d.state) for d in reminders}) == 1
    messages = [OutgoingMessage.from_json(d.message) for d in reminders]
    texts = {m.text for m in messages if m.locale == "nb"}
    assert len(texts) == 1 and "Har du svart allerede" in texts.pop()


async def test_results_hide_small_groups_and_shuffle_free_text(
    db: Database, settings: Settings
) -> None:
    ctx = await setup_pulse(db, settings, people=6)
    pulse, q1, q2 = ctx["pulse"], ctx["questions"][0], ctx["questions"][1]
    for i, p in enumerate(ctx["people"]):
        await answer(db, settings, pulse.id, p.id, q1.id, 5 if i < 3 else 4)
        if i < 5:
            await answer(db, settings, pulse.id, p.id, q2.id, text=f"tekst {i}")
    async with db.session() as s:
        live = await pulse_results(s, pulse.id, settings=settings)
    assert live is not None and live.pending and live.figures.questions == []
    assert "Svart så langt: 6 av 6" in results_text(live) and "stenger mandag 9. mars" in (
        results_text(live)
    )
    await close_pulse(db, settings, ctx)
    async with db.session() as s:
        results = await pulse_results(s, pulse.id, settings=settings, rng=random.Random(1))
    assert results is not None
    q = results.figures.questions[0]
    assert q.total.n == 6 and not q.total.hidden and q.total.mean == 4.5
    assert sorted(results.texts[q2.id]) == [f"tekst {i}" for i in range(5)]
    text = results_text(results)
    assert "6 av 6 har svart (100 %)" in text and "i tilfeldig rekkefølge" in text
    assert results_chart_png(results).startswith(b"\x89PNG")
    # With a higher threshold the same class is hidden, free text too.
    strict = settings.model_copy(update={"min_group_size": 7})
    async with db.session() as s:
        hidden = await pulse_results(s, pulse.id, settings=strict)
    assert hidden is not None and hidden.figures.questions[0].total.hidden
    assert hidden.texts == {} and hidden.hidden_texts == {q2.id: 5}
    assert "skjult (skjermer grupper med færre enn 7 svar)" in results_text(hidden)


async def test_pulse_definitions_are_checked() -> None:
    from bot.pulses import validate_questions

    with pytest.raises(PulseError):
        validate_questions([])
    with pytest.raises(PulseError):
        validate_questions([QuestionSpec("scale5", "x")] * 4)
    with pytest.raises(PulseError):
        validate_questions([QuestionSpec("choice", "Hvilken?", ("bare én",))])
    validate_questions(
        [QuestionSpec("nps", "Anbefale?"), QuestionSpec("choice", "Hvilken?", ("a", "b"))]
    )


async def test_alumni_pulse_asks_consenting_alumni_and_reminds_halfway(
    db: Database, settings: Settings
) -> None:
    from storage.models import Pulse as PulseRow

    async with db.transaction() as s:
        old = await create_cohort(s, name="Kull 2024")
        yes = await create_person(s, slack_user_id="UALUM1")
        no = await create_person(s, slack_user_id="UALUM2")
        await enrol(
            s, person=yes, cohort=old, status="completed", is_alumnus=True, alumni_consent=True
        )
        await enrol(
            s, person=no, cohort=old, status="completed", is_alumnus=True, alumni_consent=False
        )
        # A plan pulse without a reminder time: the reminder goes halfway.
        pulse = PulseRow(
            cohort_id=None,
            key="alumni-6m",
            title="Seks måneder etter",
            audience="alumni",
            opens_at=OPENS,
            closes_at=OPENS + timedelta(days=10),
        )
        s.add(pulse)
        await s.flush()
        from storage.models import PulseQuestion

        s.add(PulseQuestion(pulse_id=pulse.id, position=1, kind="nps", text="Anbefale?"))
    async with db.transaction() as s:
        assert (await tick(s, now=OPENS, settings=settings)).invited == 1
    async with db.transaction() as s:
        assert (await tick(s, now=OPENS + timedelta(days=4), settings=settings)).reminded == 0
    async with db.transaction() as s:
        assert (await tick(s, now=OPENS + timedelta(days=5), settings=settings)).reminded == 1
    assert [d.person_id for d in await deliveries(db)] == [yes.id, yes.id]
    assert no.id is not None


async def test_released_answers_keep_no_insertion_order(db: Database, settings: Settings) -> None:
    """SQLite: no rowid to order by. PostgreSQL: one xmin and cmin for every released row."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    ctx = await setup_pulse(db, settings)
    pulse, q1 = ctx["pulse"], ctx["questions"][0]
    for i, p in enumerate(ctx["people"]):
        await answer(db, settings, pulse.id, p.id, q1.id, 1 + i % 5, now=OPENS + timedelta(hours=i))
    await close_pulse(db, settings, ctx)
    async with db.session() as s:
        if db.dialect == "sqlite":
            for table in ("pulse_answer", "pulse_receipt"):
                with pytest.raises(DBAPIError, match="rowid"):
                    await s.execute(text(f"SELECT rowid FROM {table}"))
        else:
            rows = (await s.execute(text("SELECT xmin::text, cmin::text FROM pulse_answer"))).all()
            assert len(rows) == 6 and len(set(rows)) == 1


async def test_live_results_use_the_reports_equation_check_too(
    db: Database, settings: Settings
) -> None:
    """Two small classes (2 and 3) who all answered "4" beside a big class: hiding the two
    classes alone lets the cohort row minus the big class give both away exactly. Live results
    (`/cohort results`, `report pulse`) hide the cohort row or the big class too, as the
    annual report does."""
    async with db.transaction() as s:
        cohort = await create_cohort(s, name="Kull 2026")
        groups = {}
        for name, size in (("Små A", 2), ("Små B", 3), ("Stor", 10)):
            cls = await create_class(s, cohort=cohort, name=name)
            groups[name] = []
            for i in range(size):
                p = await create_person(s, slack_user_id=f"U{name[-1]}{i:04d}")
                await enrol(s, person=p, cohort=cohort, cls=cls)
                groups[name].append(p)
        pulse = await create_pulse(
            s,
            title="Etter samling 2",
            questions=[QuestionSpec("scale5", "Hvor nyttig var samlingen?")],
            cohort_id=cohort.id,
            opens_at=OPENS,
            closes_at=OPENS + timedelta(days=7),
            now=OPENS - timedelta(hours=1),
            anonymous=False,
        )
    async with db.transaction() as s:
        await tick(s, now=OPENS, settings=settings)
    async with db.session() as s:
        from storage.queries.pulses import list_questions

        [q1] = await list_questions(session=s, pulse_id=pulse.id)
    for name, people in groups.items():
        for i, p in enumerate(people):
            value = 4 if name != "Stor" else 1 + i % 5
            await answer(db, settings, pulse.id, p.id, q1.id, value)
    async with db.session() as s:
        results = await pulse_results(s, pulse.id, settings=settings)
    assert results is not None
    [qf] = results.figures.questions
    small = [g for g in qf.groups.values() if 0 < g.n < 5]
    assert len(small) == 2 and all(g.hidden for g in small)
    big = next(g for g in qf.groups.values() if g.n == 10)
    assert qf.total.hidden or big.hidden
