"""The Directorate as evaluator: aggregates under the published suppression, proposals that staff
accept into a pulse once, and the report's marker on the Directorate's questions."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, func, select

from bot import pulses
from bot.evaluator import AccessDenied, NotAnEvaluator, issue_link, open_link, send_link
from bot.evaluator.links import make_token
from bot.evaluator.proposals import ProposalError, accept, proposals, propose, reject
from bot.evaluator.results import evaluator_results
from bot.plan import parse_plan
from bot.plan_apply import apply_plan_to
from bot.report import build_annual_report
from bot.report.render import render
from bot.results import evaluator_rows, render_evaluator_csv
from bot.settings import Settings
from bot.suppression import SUPPRESSED_MARK
from storage.db import Database
from storage.models import (
    AuditEvent,
    Delivery,
    EvaluatorLink,
    EvaluatorProposal,
    Pulse,
    PulseParticipation,
    PulseQuestion,
)
from tests.utils.evaluator import EVALUATOR, NOW, SECRET_NAMES, build_world, evaluator_settings

HOSTILE = '<script>alert(1)</script> *fet* <!channel> <@U123> "=HYPERLINK(1)'


async def _count(db: Database, model: Any, *where: Any) -> int:
    async with db.session() as s:
        stmt = select(func.count()).select_from(model)
        for w in where:
            stmt = stmt.where(w)
        return int((await s.execute(stmt)).scalar_one())


async def _propose(db: Database, text: str = "Hvor trygg er du som leder nå?", **kw: Any) -> int:
    async with db.transaction() as s:
        row, _ = await propose(
            s,
            email=EVALUATOR,
            text=text,
            kind=kw.pop("kind", "scale5"),
            choices=kw.pop("choices", []),
            pulse_id=kw.pop("pulse_id", None),
            session_id=kw.pop("session_id", None),
            nonce=kw.pop("nonce", None),
            now=NOW,
        )
    assert row.id is not None
    return row.id


async def _accept(db: Database, proposal_id: int, **kw: Any) -> Any:
    async with db.transaction() as s:
        return await accept(s, proposal_id, now=NOW, actor="cli", actor_id=None, **kw)


# --- what an evaluator sees -----------------------------------------------------------------


async def test_the_small_class_is_hidden_and_cannot_be_solved_from_the_rest(
    db: Database, settings: Settings
) -> None:
    w = await build_world(db, settings)
    async with db.session() as s:
        results = await evaluator_results(s, settings=settings, now=NOW)
    (pulse,) = results.pulses
    scale = next(q for q in pulse.questions if q.kind == "scale5")
    rows = dict(scale.rows)
    assert set(rows) == {"Bergen", "Tromsø", "Hele kullet"}
    assert rows["Tromsø"] == [SUPPRESSED_MARK] * len(rows["Tromsø"])
    # Bergen's row and the cohort's row are two equations in Tromsø's unknowns: not both shown.
    assert SUPPRESSED_MARK in rows["Bergen"] or SUPPRESSED_MARK in rows["Hele kullet"]
    # Free text: neither the answers nor how many wrote some.
    text_q = next(q for q in pulse.questions if q.kind == "text")
    assert text_q.rows == []
    assert w.closed.id == pulse.pulse_id


async def test_no_person_is_in_anything_an_evaluator_sees(db: Database, settings: Settings) -> None:
    await build_world(db, settings)
    async with db.session() as s:
        results = await evaluator_results(s, settings=settings, now=NOW)
    seen = repr(results)
    for name in SECRET_NAMES:
        assert name not in seen
    assert "@kommune.no" not in seen and "synes alt var bra" not in seen


async def test_an_open_pulse_is_not_shown_so_answers_cannot_be_differenced(
    db: Database, settings: Settings
) -> None:
    w = await build_world(db, settings)
    async with db.transaction() as s:
        row = await s.get(Pulse, w.closed.id)
        assert row is not None
        row.closed_at = None  # reopened: its counts would move with each answer
        s.add(row)
    async with db.session() as s:
        results = await evaluator_results(s, settings=settings, now=NOW)
    assert results.pulses == []


# --- links ----------------------------------------------------------------------------------


async def test_a_link_is_only_for_a_listed_evaluator_and_closes_when_unlisted(
    db: Database, settings: Settings
) -> None:
    settings = evaluator_settings(settings)
    async with db.transaction() as s:
        with pytest.raises(NotAnEvaluator):
            await issue_link(s, email="someone@else.no", settings=settings, now=NOW, actor="cli")
    assert await _count(db, EvaluatorLink) == 0
    async with db.transaction() as s:
        link = await issue_link(
            s, email="Direktoratet@Helsedir.no", settings=settings, now=NOW, actor="cli"
        )
    token = link.url.rsplit("/", 1)[1]
    async with db.session() as s:
        access = await open_link(s, token, settings=settings, now=NOW)
        assert access.email == EVALUATOR
        with pytest.raises(AccessDenied) as expired:
            await open_link(s, token, settings=settings, now=link.expires_at + timedelta(seconds=1))
        assert expired.value.kind == "expired"
        tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        with pytest.raises(AccessDenied) as bad:
            await open_link(s, tampered, settings=settings, now=NOW)
        assert bad.value.kind == "tampered"
        # A well-signed token for a link row that does not exist names nobody.
        ghost = make_token(key=settings.signing_key, link_id=999, expires_at=link.expires_at)
        with pytest.raises(AccessDenied) as none:
            await open_link(s, ghost, settings=settings, now=NOW)
        assert none.value.kind == "tampered"
        unlisted = settings.model_copy(update={"evaluator_emails": ()})
        with pytest.raises(AccessDenied) as revoked:
            await open_link(s, token, settings=unlisted, now=NOW)
        assert revoked.value.kind == "revoked"
    assert await _count(db, AuditEvent, col(AuditEvent.action) == "evaluator.link") == 1


async def test_sending_a_link_is_an_outbox_email(db: Database, settings: Settings) -> None:
    settings = evaluator_settings(settings)
    async with db.transaction() as s:
        link = await send_link(s, email=EVALUATOR, settings=settings, now=NOW, actor="cli")
    async with db.session() as s:
        (row,) = (await s.execute(select(Delivery))).scalars()
    assert (row.transport, row.target, row.state) == ("email", EVALUATOR, "pending")
    assert link.url in str(row.message)


# --- proposals ------------------------------------------------------------------------------


async def test_an_accepted_question_is_asked_in_the_next_pulse(
    db: Database, settings: Settings
) -> None:
    w = await build_world(db, settings)
    pid = await _propose(db)
    done = await _accept(db, pid)
    assert done.recorded and done.pulse.id == w.next_pulse.id and done.question.position == 2
    async with db.session() as s:
        (q,) = (
            await s.execute(select(PulseQuestion).where(col(PulseQuestion.proposal_id) == pid))
        ).scalars()
    assert q.text == "Hvor trygg er du som leder nå?"
    audits = await _count(db, AuditEvent, col(AuditEvent.action) == "evaluator.proposal.accept")
    assert audits == 1
    # When the pulse opens, the invitation asks it (its participants were enrolled above).
    async with db.transaction() as s:
        await pulses.tick(s, now=w.next_pulse.opens_at + timedelta(minutes=1), settings=settings)
    async with db.session() as s:
        invites = [
            d
            for d in (await s.execute(select(Delivery))).scalars()
            if d.kind == "pulse_invite" and f"pulse:{w.next_pulse.id}:" in d.dedupe_key
        ]
    assert invites and all("Hvor trygg er du som leder" in str(d.message) for d in invites)


async def test_a_double_click_accept_adds_one_question(db: Database, settings: Settings) -> None:
    w = await build_world(db, settings)
    pid = await _propose(db)
    # Two staff at once, each in its own transaction, then a third click after both.
    first, second = await asyncio.gather(_accept(db, pid), _accept(db, pid))
    third = await _accept(db, pid)
    assert sorted([first.recorded, second.recorded, third.recorded]) == [False, False, True]
    assert await _count(db, PulseQuestion, col(PulseQuestion.proposal_id) == pid) == 1
    assert await _count(db, PulseQuestion, col(PulseQuestion.pulse_id) == w.next_pulse.id) == 2
    assert await _count(db, AuditEvent, col(AuditEvent.action) == "evaluator.proposal.accept") == 1


async def test_a_session_proposal_goes_into_that_sessions_pulse(
    db: Database, settings: Settings
) -> None:
    w = await build_world(db, settings)
    pid = await _propose(db, session_id=w.session.id)
    done = await _accept(db, pid)
    assert done.pulse.id == w.later_pulse.id


async def test_a_pulse_already_asked_takes_no_question_and_nothing_changes(
    db: Database, settings: Settings
) -> None:
    w = await build_world(db, settings)
    pid = await _propose(db, pulse_id=w.next_pulse.id)
    async with db.transaction() as s:  # the pulse goes out before staff decide
        await pulses.tick(s, now=w.next_pulse.opens_at + timedelta(minutes=1), settings=settings)
    with pytest.raises(ProposalError) as exc:
        await _accept(db, pid)
    assert exc.value.key == "evaluator.error.no_pulse"
    async with db.session() as s:
        row = await s.get(EvaluatorProposal, pid)
    assert row is not None and row.state == "proposed"  # rolled back whole
    assert await _count(db, PulseQuestion, col(PulseQuestion.proposal_id) == pid) == 0
    # Staff can still put it into another pulse.
    async with db.transaction() as s:
        done = await accept(s, pid, now=NOW, actor="cli", actor_id=None, pulse_id=w.later_pulse.id)
    assert done.pulse.id == w.later_pulse.id


async def test_reject_needs_a_reason_and_a_rejected_proposal_cannot_be_accepted(
    db: Database, settings: Settings
) -> None:
    await build_world(db, settings)
    pid = await _propose(db)
    async with db.transaction() as s:
        with pytest.raises(ProposalError):
            await reject(s, pid, reason="  ", now=NOW, actor="cli", actor_id=None)
    async with db.transaction() as s:
        done = await reject(
            s, pid, reason="Overlapper med spørsmål 1", now=NOW, actor="cli", actor_id=None
        )
    assert done.recorded
    with pytest.raises(ProposalError) as exc:
        await _accept(db, pid)
    assert exc.value.key == "evaluator.error.already_rejected"
    async with db.session() as s:
        (view,) = await proposals(s, now=NOW)
    assert view.state == "rejected" and view.reason == "Overlapper med spørsmål 1"


@pytest.mark.parametrize(
    ("text", "kind", "choices", "key"),
    [
        ("", "scale5", [], "evaluator.error.text"),
        ("x" * 501, "scale5", [], "evaluator.error.text"),
        ("Hva?", "stars", [], "evaluator.error.kind"),
        ("Hva?", "choice", ["Ja"], "evaluator.error.choices"),
        ("Hva?", "choice", ["Ja", "Ja"], "evaluator.error.choices"),
        ("Hva?", "scale5", ["Ja", "Nei"], "evaluator.error.no_choices"),
    ],
)
async def test_a_bad_proposal_is_refused_and_nothing_is_recorded(
    db: Database, text: str, kind: str, choices: list[str], key: str
) -> None:
    with pytest.raises(ProposalError) as exc:
        await _propose(db, text=text, kind=kind, choices=choices)
    assert exc.value.key == key
    assert await _count(db, EvaluatorProposal) == 0


async def test_the_same_form_sent_twice_records_one_proposal(db: Database) -> None:
    await _propose(db, nonce="n-1")
    await _propose(db, nonce="n-1")
    assert await _count(db, EvaluatorProposal) == 1


# --- the report marks the Directorate's questions ------------------------------------------


async def test_the_report_marks_the_directorates_question_in_html_xlsx_and_csv(
    db: Database, settings: Settings
) -> None:
    w = await build_world(db, settings)
    pid = await _propose(db, text=HOSTILE)
    await _accept(db, pid, pulse_id=w.next_pulse.id)
    # The pulse runs: everyone asked answers both questions, then it closes.
    opens = w.next_pulse.opens_at
    async with db.transaction() as s:
        await pulses.tick(s, now=opens + timedelta(minutes=1), settings=settings)
    async with db.session() as s:
        qs = list(
            (
                await s.execute(
                    select(PulseQuestion).where(col(PulseQuestion.pulse_id) == w.next_pulse.id)
                )
            ).scalars()
        )
        people = [
            r.person_id
            for r in (
                await s.execute(
                    select(PulseParticipation).where(
                        col(PulseParticipation.pulse_id) == w.next_pulse.id
                    )
                )
            ).scalars()
        ]
    assert len(people) == 9
    async with db.transaction() as s:
        for person_id in people:
            for q in qs:
                await pulses.record_answer(
                    s,
                    w.next_pulse.id,
                    person_id,
                    q.id,
                    4,
                    now=opens + timedelta(hours=1),
                    settings=settings,
                )
    async with db.transaction() as s:
        row = await s.get(Pulse, w.next_pulse.id)
        assert row is not None
        await pulses.close(s, row, now=row.closes_at, settings=settings)
    async with db.session() as s:
        report = await build_annual_report(
            s, year=2026, settings=settings, now=row.closes_at + timedelta(days=1)
        )
    rows = list(csv.DictReader(io.StringIO(render(report, "csv").decode())))
    ours = {r["measure"] for r in rows if r["origin"] == "directorate"}
    assert ours == {f"pulse:{w.next_pulse.key}:q2"}
    assert all(r["origin"] == "" for r in rows if r["measure"].endswith(":q1"))
    html = render(report, "html").decode()
    assert "spørsmål fra Helsedirektoratet" in html
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    xlsx = render(report, "xlsx")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx))
    cells = [str(c.value) for ws in book.worksheets for r in ws.iter_rows() for c in r if c.value]
    assert any("spørsmål fra Helsedirektoratet" in c for c in cells)


# --- plan apply keeps the Directorate's questions -------------------------------------------

MINIMAL = Path(__file__).resolve().parents[1] / "fixtures" / "plans" / "minimal.yaml"


async def _questions_of(db: Database, pulse_key: str) -> list[tuple[int, str, int | None]]:
    async with db.session() as s:
        pulse = (await s.execute(select(Pulse).where(col(Pulse.key) == pulse_key))).scalar_one()
        rows = (
            await s.execute(
                select(PulseQuestion)
                .where(col(PulseQuestion.pulse_id) == pulse.id)
                .order_by(col(PulseQuestion.position))
            )
        ).scalars()
        return [(q.position, q.text, q.proposal_id) for q in rows]


async def test_plan_apply_keeps_the_directorates_question_after_the_plans_own(
    db: Database, settings: Settings
) -> None:
    text = MINIMAL.read_text(encoding="utf-8")
    await apply_plan_to(db, parse_plan(text), settings=settings, now=NOW)
    pid = await _propose(db)
    done = await _accept(db, pid)
    assert done.pulse.key == "p1" and done.question.position == 3
    again = await apply_plan_to(db, parse_plan(text), settings=settings, now=NOW)
    assert again.changes == 0
    assert [p for p, _, _ in await _questions_of(db, "p1")] == [1, 2, 3]
    # The file gains a question: it takes position 3, the Directorate's moves after it.
    grown = text.replace(
        "        choices: [For lav, Passe, For høy]\n",
        "        choices: [For lav, Passe, For høy]\n      - kind: text\n        text: Noe mer?\n",
        1,
    )
    await apply_plan_to(db, parse_plan(grown), settings=settings, now=NOW)
    assert await _questions_of(db, "p1") == [
        (1, "Hvor nyttig var samlingen?", None),
        (2, "Arbeidsmengde?", None),
        (3, "Noe mer?", None),
        (4, "Hvor trygg er du som leder nå?", pid),
    ]


async def test_the_evaluator_export_marks_the_directorates_question(
    db: Database, settings: Settings
) -> None:
    w = await build_world(db, settings)
    pid = await _propose(db)
    async with db.transaction() as s:
        # Straight into the closed pulse's table, as if it had been asked there.
        s.add(
            PulseQuestion(
                pulse_id=w.closed.id,
                position=3,
                kind="scale5",
                text="Fra direktoratet",
                proposal_id=pid,
            )
        )
    async with db.session() as s:
        rows = await evaluator_rows(s, year=2026, settings=settings)
    parsed = list(csv.DictReader(io.StringIO(render_evaluator_csv(rows))))
    assert {r["question"] for r in parsed if r["origin"] == "directorate"} == {"3"}
    assert {r["origin"] for r in parsed if r["question"] in ("1", "2", "")} == {""}
