"""The evaluator role in Slack, through the local workspace: the Directorate's evaluator (not
imported, recognised by email on first contact) sees aggregates only in Home and
`/cohort results`; staff accept a proposal from Home, and a burst of clicks adds one question."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import col, func, select

from bot.clock import FrozenClock
from bot.evaluator.proposals import propose
from bot.settings import Settings
from emulator.state import WorkspaceState
from handlers.slack.blocks.evaluator import ACCEPT_ACTION
from storage.models import AuditEvent, EvaluatorProposal, PulseQuestion
from tests.handlers.test_home_e2e import open_home
from tests.utils.evaluator import EVALUATOR, NOW, SECRET_NAMES, EvalWorld, build_world
from tests.utils.workspace import Workspace, eventually, running_workspace

HOSTILE = "Trygg? <!channel> *fet* <https://evil.example|klikk>"


def seed(state: WorkspaceState) -> None:
    state.add_user("anne", real_name="Anne Stab", email="anne@lu.no", user_id="USTAFF")
    state.add_user("dir", real_name="Dina Direktorat", email=EVALUATOR, user_id="UDIR")
    state.add_user("nils", real_name="Nils Nabo", email="nils@kommune.no", user_id="UNILS")


@pytest.fixture
async def world(
    settings: Settings, clock: FrozenClock
) -> AsyncIterator[tuple[Workspace, EvalWorld]]:
    settings = settings.model_copy(
        update={"staff_emails": ("anne@lu.no",), "evaluator_emails": (EVALUATOR,)}
    )
    async with running_workspace(settings, clock=clock, seed=seed) as ws:
        w = await build_world(ws.runtime.db, ws.runtime.settings)
        yield ws, w


def _text(value: Any) -> str:
    if hasattr(value, "blocks"):  # an ephemeral reply
        return value.text + json.dumps(value.blocks, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


async def test_the_evaluator_sees_aggregates_only_in_home_and_results(world: Any) -> None:
    ws, _ = world
    blocks = await open_home(ws, "UDIR")
    text = _text(blocks)
    assert "Evaluering: avsluttede pulsmålinger" in text
    assert "Etter samling 1 (Kull E): 9 av 9 svarte" in text
    assert "Hvor nyttig var samlingen?" in text
    for name in SECRET_NAMES:
        assert name not in text
    assert "synes alt var bra" not in text
    assert "Spørsmål foreslått av Helsedirektoratet" not in text  # a staff section
    reply = await ws.ask("UDIR", "results")
    answer = _text(reply)
    assert "Etter samling 1" in answer and not any(n in answer for n in SECRET_NAMES)
    # Someone who is neither staff nor evaluator gets nothing.
    refused = _text(await ws.ask("UNILS", "results"))
    assert "Etter samling 1" not in refused


async def test_a_burst_of_accept_clicks_in_home_adds_one_question(world: Any) -> None:
    ws, w = world
    async with ws.runtime.db.transaction() as s:
        row, _ = await propose(
            s,
            email=EVALUATOR,
            text=HOSTILE,
            kind="scale5",
            choices=[],
            pulse_id=None,
            session_id=None,
            nonce=None,
            now=NOW,
        )
    blocks = await open_home(ws, "USTAFF")
    text = _text(blocks)
    assert "Spørsmål foreslått av Helsedirektoratet" in text
    assert "Går inn i: Midtveis" in text
    # The evaluator's words are shown as words: no ping, no link of theirs.
    assert "<!channel>" not in text and "<https://evil" not in text
    view_id = ws.state.home_views["USTAFF"].id
    block = f"evaluator:{row.id}"
    results = await asyncio.gather(
        *[
            ws.emulator.inbound.click("USTAFF", ACCEPT_ACTION, view_id=view_id, block_id=block)
            for _ in range(4)
        ]
    )
    assert all(r.acked for r in results)

    async def accepted_and_redrawn() -> bool:
        home = _text(ws.state.home_views["USTAFF"].payload["blocks"])
        async with ws.runtime.db.session() as s:
            proposal = await s.get(EvaluatorProposal, row.id)
        return proposal is not None and proposal.state == "accepted" and "Går inn i" not in home

    await eventually(accepted_and_redrawn)
    await ws.emulator.inbound.drain()
    async with ws.runtime.db.session() as s:
        n = (
            await s.execute(select(func.count()).where(col(PulseQuestion.proposal_id) == row.id))
        ).scalar_one()
        audits = (
            await s.execute(
                select(func.count()).where(col(AuditEvent.action) == "evaluator.proposal.accept")
            )
        ).scalar_one()
        (question,) = (
            await s.execute(select(PulseQuestion).where(col(PulseQuestion.proposal_id) == row.id))
        ).scalars()
    assert (n, audits) == (1, 1)
    assert question.pulse_id == w.next_pulse.id and question.text == HOSTILE


async def test_the_evaluator_cannot_accept(world: Any) -> None:
    ws, _ = world
    async with ws.runtime.db.transaction() as s:
        row, _ = await propose(
            s,
            email=EVALUATOR,
            text="Hvor trygg er du?",
            kind="scale5",
            choices=[],
            pulse_id=None,
            session_id=None,
            nonce=None,
            now=NOW,
        )
    # A forged click from the evaluator's Home (it has no such button) changes nothing.
    await open_home(ws, "UDIR")
    home = ws.state.home_views["UDIR"].payload["blocks"]
    home.append(
        {
            "type": "actions",
            "block_id": f"evaluator:{row.id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": ACCEPT_ACTION,
                    "value": str(row.id),
                    "text": {"type": "plain_text", "text": "Ta inn"},
                }
            ],
        }
    )
    result = await ws.emulator.inbound.click(
        "UDIR",
        ACCEPT_ACTION,
        view_id=ws.state.home_views["UDIR"].id,
        block_id=f"evaluator:{row.id}",
    )
    assert result.acked

    await ws.emulator.inbound.drain()  # the listener has run (it answers after the ack)
    calls = ws.emulator.calls
    await eventually(lambda: _posted(calls))
    async with ws.runtime.db.session() as s:
        proposal = await s.get(EvaluatorProposal, row.id)
    assert proposal is not None and proposal.state == "proposed"
    async with ws.runtime.db.session() as s:
        n = (
            await s.execute(select(func.count()).where(col(PulseQuestion.proposal_id) == row.id))
        ).scalar_one()
    assert n == 0


async def _posted(calls: Any) -> bool:
    """The refusal went out to the person (privately)."""
    return calls.count("chat.postEphemeral") + calls.count("chat.postMessage") > 0
