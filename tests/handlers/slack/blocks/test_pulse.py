"""Pulse Block Kit builders: structure and Slack's limits, without mocks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.notifier import OutgoingMessage
from bot.pulses import build_pulse_message
from handlers.slack.blocks.message import build_message_blocks
from handlers.slack.blocks.pulse import (
    build_pulse_modal,
    build_text_modal,
    mark_answered,
    parse_pulse_modal,
    parse_text_modal,
)
from storage.models import Pulse, PulseQuestion

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def pulse_blocks(anonymous: bool = True) -> list[dict]:
    pulse = Pulse(
        id=7,
        key="p",
        title="Etter samling 1",
        opens_at=NOW,
        closes_at=NOW + timedelta(days=7),
        anonymous=anonymous,
    )
    questions = [
        PulseQuestion(id=11, pulse_id=7, position=1, kind="scale5", text="Nyttig?"),
        PulseQuestion(id=12, pulse_id=7, position=2, kind="nps", text="Anbefale?"),
        PulseQuestion(
            id=13, pulse_id=7, position=3, kind="choice", text="Hvilken?", choices=["Ja", "Nei"]
        ),
    ]
    message = build_pulse_message(pulse, questions, locale="nb")
    return build_message_blocks(OutgoingMessage.from_json(message.to_json()))


def test_pulse_dm_has_one_button_row_per_question_within_limits() -> None:
    blocks = pulse_blocks()
    actions = [b for b in blocks if b["type"] == "actions"]
    assert [len(a["elements"]) for a in actions] == [5, 11, 2]
    ids = [e["action_id"] for a in actions for e in a["elements"]]
    assert len(ids) == len(set(ids))
    assert len(blocks) <= 50


def test_marking_an_anonymous_answer_keeps_the_buttons_and_not_the_value() -> None:
    blocks = pulse_blocks()
    marked = mark_answered(
        blocks, action_id="pulse.answer.11.4", text="Svar registrert", highlight=False
    )
    i = next(i for i, b in enumerate(marked) if b["type"] == "actions")
    assert marked[i]["elements"] == blocks[i]["elements"]  # no style on the chosen button
    assert (
        marked[i + 1]["type"] == "context"
        and "Svar registrert" in marked[i + 1]["elements"][0]["text"]
    )
    again = mark_answered(marked, action_id="pulse.answer.11.2", text="Endret", highlight=False)
    assert len(again) == len(marked)  # replaced, not stacked
    assert "Endret" in again[i + 1]["elements"][0]["text"]


def test_marking_a_named_answer_highlights_it() -> None:
    marked = mark_answered(
        pulse_blocks(False), action_id="pulse.answer.11.4", text="4", highlight=True
    )
    chosen = [e for b in marked if b["type"] == "actions" for e in b["elements"] if e.get("style")]
    assert [e["action_id"] for e in chosen] == ["pulse.answer.11.4"]


def test_text_modal_round_trip() -> None:
    view = build_text_modal(pulse_id=7, question_id=13, question="Hva kan bli bedre?", locale="nb")
    assert view["callback_id"] == "pulse_text" and len(view["title"]["text"]) <= 24
    view["state"] = {"values": {"pulse_text_answer": {"text": {"value": "Mer tid"}}}}
    assert parse_text_modal(view) == (7, 13, "Mer tid")
    assert parse_text_modal({"private_metadata": "not json"}) is None


def test_creation_modal_parses_into_pulse_arguments() -> None:
    view = build_pulse_modal(
        locale="nb",
        audiences=[("Hele kullet", "participants"), ("Bergen", "class:bergen")],
        cohort_id=3,
    )
    assert len(view["blocks"]) <= 100
    sel = lambda v: {"value": {"selected_option": {"value": v}}}  # noqa: E731
    txt = lambda v: {"value": {"value": v}}  # noqa: E731
    view["state"] = {
        "values": {
            "title": txt("Midtveis"),
            "q1": txt("Hvordan går det?"),
            "q1_kind": sel("scale5"),
            "q2": txt("Hvilken samling?"),
            "q2_kind": sel("choice"),
            "q2_choices": txt("Første\nAndre"),
            "audience": sel("class:bergen"),
            "closes_days": sel("3"),
            "anonymous": {"value": {"selected_options": [{"value": "yes"}]}},
        }
    }
    args, errors = parse_pulse_modal(view, now=NOW)
    assert errors == {} and args is not None
    assert args["cohort_id"] == 3 and args["audience"] == "class:bergen" and args["anonymous"]
    assert [(q.kind, q.choices) for q in args["questions"]] == [
        ("scale5", ()),
        ("choice", ("Første", "Andre")),
    ]
    assert args["closes_at"] - args["opens_at"] == timedelta(days=3)
    view["state"]["values"]["q2_choices"] = txt("bare én")
    view["state"]["values"]["title"] = txt("")
    _, errors = parse_pulse_modal(view, now=NOW)
    assert set(errors) == {"q2_choices", "title"}
    assert json.loads(view["private_metadata"]) == {"cohort_id": 3}
