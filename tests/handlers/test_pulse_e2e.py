"""End to end: pulse buttons, the free-text modal, `/cohort results` and `/cohort report` through
signed requests into /slack/events, with the emulator as Slack."""

# The `bot` fixture is shared with the networks end-to-end tests; test arguments shadow it.
# ruff: noqa: F811

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from bot.pulses import QuestionSpec, create_pulse, tick
from storage.models import (
    AuditEvent,
    Cohort,
    Person,
    PulseAnswer,
    PulseParticipation,
    PulseReceipt,
    RiskCase,
)
from storage.queries.pulses import list_questions
from tests.handlers.test_networks_e2e import PARTICIPANTS, STAFF, Bot, bot, rows  # noqa: F401
from tests.utils.factories import has_slack_id
from tests.utils.slack import interaction_body
from tests.utils.workspace import eventually


async def make_pulse(bot: Bot, *, anonymous: bool = True) -> tuple[int, list[int]]:
    now = bot.runtime.clock.now()
    async with bot.runtime.db.transaction() as s:
        cohort = (await s.exec(select(Cohort))).one()
        pulse = await create_pulse(
            s,
            title="Etter samling 1",
            questions=[
                QuestionSpec("scale5", "Hvor nyttig?"),
                QuestionSpec("text", "Hva kan bli bedre?"),
            ],
            cohort_id=cohort.id,
            opens_at=now,
            closes_at=now + timedelta(days=7),
            now=now,
            anonymous=anonymous,
        )
        await tick(s, now=now, settings=bot.runtime.settings)
    async with bot.runtime.db.session() as s:
        questions = [q.id for q in await list_questions(session=s, pulse_id=pulse.id)]
    return pulse.id or 0, [q or 0 for q in questions]


async def close_now(bot: Bot) -> None:
    """Run the pulse tick at the deadline: the anonymous answers are released."""
    async with bot.runtime.db.transaction() as s:
        now = bot.runtime.clock.now() + timedelta(days=7)
        assert (await tick(s, now=now, settings=bot.runtime.settings)).closed == 1


async def test_a_click_records_one_answer_and_repeats_change_it(bot: Bot) -> None:
    pulse_id, (q1, _) = await make_pulse(bot)
    user = PARTICIPANTS[0]
    # One click after another, as a person clicks: each confirmed before the next. (Listeners
    # run after the ack, so clicks fired together may be handled in any order.)
    for n, value in enumerate((4, 4, 2), start=1):
        assert (
            await bot.click(user, f"pulse.answer.{q1}.{value}", f"{pulse_id}:{q1}:{value}") == 200
        )

        async def confirmed(n: int = n) -> bool:
            return len(bot.ephemerals(user)) == n

        await eventually(confirmed)

    async def answered() -> bool:
        return len(await rows(bot, PulseReceipt)) == 1

    await eventually(answered)
    assert all("registrert" in text for text in bot.ephemerals(user))
    # Anonymous: sealed until the pulse closes, and no per-person flag is set.
    assert await rows(bot, PulseAnswer) == []
    assert await rows(bot, PulseParticipation, PulseParticipation.answered) == []
    await close_now(bot)
    answers = await rows(bot, PulseAnswer)
    assert [(a.value, a.person_id) for a in answers] == [(2, None)]


async def test_a_tampered_button_changes_nothing(bot: Bot) -> None:
    pulse_id, (q1, _) = await make_pulse(bot)
    assert await bot.click(PARTICIPANTS[1], f"pulse.answer.{q1}.9", f"{pulse_id}:{q1}:x") == 200
    assert await bot.click(STAFF, f"pulse.answer.{q1}.3", f"{pulse_id}:{q1}:3") == 200

    async def refused() -> bool:
        return len(bot.ephemerals(PARTICIPANTS[1])) == 1 and len(bot.ephemerals(STAFF)) == 1

    await eventually(refused)
    assert "forstod jeg ikke" in bot.ephemerals(PARTICIPANTS[1])[0]
    assert "ikke spurt" in bot.ephemerals(STAFF)[0]
    assert await rows(bot, PulseAnswer) == []


async def test_free_text_modal_submission(bot: Bot) -> None:
    pulse_id, (_, q2) = await make_pulse(bot)
    user = PARTICIPANTS[2]
    view = {
        "id": "V1",
        "type": "modal",
        "callback_id": "pulse_text",
        "private_metadata": json.dumps({"pulse_id": pulse_id, "question_id": q2}),
        "state": {
            "values": {
                "pulse_text_answer": {"text": {"type": "plain_text_input", "value": "Mer tid"}}
            }
        },
    }
    body, ctype = interaction_body(
        {"type": "view_submission", "user": {"id": user}, "team": {"id": "T1"}, "view": view}
    )
    assert await bot.post(body, ctype) == 200

    async def stored() -> bool:
        return len(await rows(bot, PulseReceipt)) == 1

    await eventually(stored)
    await close_now(bot)
    assert [a.text for a in await rows(bot, PulseAnswer)] == ["Mer tid"]


async def test_results_and_report_reach_staff_as_files(bot: Bot) -> None:
    pulse_id, (q1, _) = await make_pulse(bot, anonymous=False)
    for i, user in enumerate(PARTICIPANTS[:6]):
        await bot.click(user, f"pulse.answer.{q1}.{1 + i % 5}", f"{pulse_id}:{q1}:{1 + i % 5}")

    async def six() -> bool:
        return len(await rows(bot, PulseAnswer)) == 6

    await eventually(six)
    assert await bot.command(PARTICIPANTS[0], f"results {pulse_id}") == 200
    assert await bot.command(STAFF, f"results {pulse_id}") == 200
    assert await bot.command(STAFF, "report 2026 csv") == 200

    async def delivered() -> bool:
        await bot.dispatch()  # uploads are outbox steps after each command's commit
        files = list(bot.emu.state.files.values())
        if not all(f.completed for f in files):  # the name exists before the bytes are uploaded
            return False
        names = sorted(f.name for f in files)
        return (
            names == ["arsrapport-2026.csv", "puls-" + names[1].split("-", 1)[1]]
            if len(names) == 2
            else False
        )

    await eventually(delivered)
    assert any("6 av 8 har svart" in text for text in bot.ephemerals(STAFF))
    assert "programstaben" in bot.ephemerals(PARTICIPANTS[0])[-1]
    report = next(f for f in bot.emu.state.files.values() if f.name.endswith(".csv"))
    assert (
        report.content
        and b"period,section,table,cohort,group,measure,category,unit,value,suppressed,missing"
        in report.content
    )
    audits = {e.action for e in await rows(bot, AuditEvent)}
    assert {"pulse.results", "report.annual"} <= audits


async def test_staff_mark_digest_cases_followed_up(bot: Bot) -> None:
    async with bot.runtime.db.transaction() as s:
        cohort = (await s.exec(select(Cohort))).one()
        leader = (await s.exec(select(Person).where(has_slack_id(PARTICIPANTS[0])))).one()
        cases = [
            RiskCase(person_id=leader.id, cohort_id=cohort.id, week=f"2026-W1{i}", reasons=["x:1"])
            for i in (0, 1)
        ]
        for case in cases:
            s.add(case)
    assert (
        await bot.click(PARTICIPANTS[1], f"risk.followed_up.{cases[0].id}", str(cases[0].id)) == 200
    )
    assert await bot.click(STAFF, f"risk.followed_up.{cases[0].id}", str(cases[0].id)) == 200
    assert await bot.command(STAFF, f"followup {cases[1].id} Ringte, alt ok") == 200

    async def marked() -> bool:
        found = await rows(bot, RiskCase)
        return all(c.followed_up_at is not None for c in found)

    await eventually(marked)
    notes = sorted((c.note or "") for c in await rows(bot, RiskCase))
    assert notes == ["", "Ringte, alt ok"]
    assert "programstaben" in bot.ephemerals(PARTICIPANTS[1])[0]


async def test_staff_find_results_by_the_pulse_title_they_gave_it(bot: Bot) -> None:
    """An ad-hoc pulse has no key staff chose: its title (any case, in «») finds it too."""
    pulse_id, _ = await make_pulse(bot, anonymous=False)
    for ref in ("Etter samling 1", "«etter SAMLING 1»", "Ingen slik puls"):
        assert await bot.command(STAFF, f"results {ref}") == 200

    async def answered() -> bool:
        return len(bot.ephemerals(STAFF)) == 3

    await eventually(answered)
    replies = bot.ephemerals(STAFF)  # commands are answered concurrently, in any order
    assert sum("Resultater: Etter samling 1" in text for text in replies) == 2
    [missing] = [text for text in replies if text.startswith("Fant ingen puls")]
    assert missing.startswith("Fant ingen puls «Ingen slik puls». Skriv `/cohort results")
    assert missing.endswith(f"Siste pulser:\n• `{pulse_id}` Etter samling 1")


async def test_results_without_a_pulse_says_how_and_lists_the_latest(bot: Bot) -> None:
    """Not «Fant ingen puls «—»»: staff who don't know the number get the list to pick from."""
    pulse_id, _ = await make_pulse(bot)
    assert await bot.command(STAFF, "results") == 200

    async def answered() -> bool:
        return len(bot.ephemerals(STAFF)) == 1

    await eventually(answered)
    assert bot.ephemerals(STAFF) == [
        "Skriv `/cohort results &lt;puls&gt;` med pulsens nummer eller tittel.\n"
        f"Siste pulser:\n• `{pulse_id}` Etter samling 1"
    ]
