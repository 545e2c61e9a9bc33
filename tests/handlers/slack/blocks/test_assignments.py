"""Pure Block Kit builders for assignments and line managers, checked against Slack's limits."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.assignments import AssignmentStatus, ClassStatus, OpenAssignment, post_message
from bot.line_managers import SilentManager
from handlers.slack.blocks.assignments import (
    build_involvement,
    build_open_list,
    build_reflection_modal,
    build_silent_managers,
    build_status,
    parse_reflection,
    replace_answered,
)
from handlers.slack.blocks.message import build_message_blocks
from storage.models import Assignment

DUE = datetime(2026, 9, 25, 21, 59, tzinfo=UTC)


def _assignment() -> Assignment:
    return Assignment(
        id=7,
        cohort_id=1,
        key="oppgave-1",
        title="Kartlegg eget arbeidssted",
        description="Beskriv én utfordring.",
        url="https://example.no/o1",
        release_at=datetime(2026, 9, 10, 14, tzinfo=UTC),
        due_at=DUE,
        line_manager_involved=True,
    )


def _valid(blocks: list[dict]) -> None:  # type: ignore[type-arg]
    for block in blocks:
        Block.parse(block).validate_json()  # type: ignore[union-attr]


def test_assignment_post_has_due_date_manager_link_and_buttons() -> None:
    blocks = build_message_blocks(post_message(_assignment(), locale="nb", tz="Europe/Oslo"))
    _valid(blocks)
    text = str(blocks)
    assert "Ny oppgave: Kartlegg eget arbeidssted" in text
    assert "fredag 25. september kl. 23.59" in text
    assert "nærmeste leder" in text and "https://example.no/o1" in text
    actions = next(b for b in blocks if b["type"] == "actions")["elements"]
    assert [(e["action_id"], e["value"]) for e in actions] == [
        ("assignment_done", "7"),
        ("assignment_reflect", "7"),
    ]


def test_reflection_modal_round_trip() -> None:
    view = build_reflection_modal(
        assignment_id=7, title="Kartlegg", locale="en", text="Earlier", shareable=True
    )
    View(**view).validate_json()
    assert view["title"]["text"] == "Reflection"
    submitted = {
        "private_metadata": view["private_metadata"],
        "state": {
            "values": {
                "reflection": {"text": {"value": "Jeg lærte"}},
                "share": {"shareable": {"selected_options": [{"value": "yes"}]}},
            }
        },
    }
    assert parse_reflection(submitted) == (7, "Jeg lærte", True)
    assert parse_reflection({"private_metadata": "x", "state": {}}) == (None, "", False)


def test_every_input_in_the_reflection_modal_has_a_label_to_read() -> None:
    # Slack puts "(optional)" after the label; after a blank one it stood alone.
    for locale, share in (("nb", "Deling"), ("en", "Sharing")):
        view = build_reflection_modal(assignment_id=7, title="Kartlegg", locale=locale)
        labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
        assert all(label.strip() for label in labels) and share in labels


def test_status_shows_names_only_when_asked() -> None:
    row = AssignmentStatus(7, "o1", "Kartlegg", DUE, True, ["Kari"], ["Ola"], ["Per"])
    status = ClassStatus(1, "bergen", "Bergen", False, "Europe/Oslo", [row])
    with_names = str(build_status([status], locale="nb", with_names=True))
    without = str(build_status([status], locale="nb", with_names=False))
    assert "Gjort 1 · Åpne 1 · Forsinket 1" in with_names and "Per" in with_names
    assert "Per" not in without and "Slack-kanal" in without
    _valid(build_status([status], locale="nb", with_names=True))


def test_open_list_and_silent_managers() -> None:
    blocks = build_open_list([OpenAssignment(_assignment(), True, "Europe/Oslo")], locale="en")
    _valid(blocks)
    assert "Overdue" in str(blocks)
    assert "no open assignments" in str(build_open_list([], locale="en"))
    silent = SilentManager(5, 1, "Avklar mål", 3, "Erik", "erik@x.no", 4, "Per", 2, DUE, DUE, DUE)
    blocks = build_silent_managers([silent], locale="nb", tz="Europe/Oslo")
    _valid(blocks)
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [(e["action_id"], e["value"]) for e in buttons] == [
        ("nudge_resend", "5"),
        ("nudge_handled", "5"),
    ]


def test_involvement_figures_block() -> None:
    from bot.involvement import NudgeFigures

    figures = [NudgeFigures(1, "n1", "Avklar mål", DUE, 3, 2, 1, 0, 4.5)]
    blocks = build_involvement(figures, cohort_name="Kull", locale="nb", tz="Europe/Oslo")
    _valid(blocks)
    assert "2 av 3 har svart (67 %), 1 «Gjort», median svartid 4.5 t" in str(blocks)


def test_involvement_figures_are_never_cut_without_and_n_more() -> None:
    from bot.involvement import NudgeFigures

    figures = [NudgeFigures(n, f"n{n}", f"Nudge {n}", DUE, 3, 2, 1, 0, 4.5) for n in range(23)]
    blocks = build_involvement(figures, cohort_name="Kull", locale="en", tz="Europe/Oslo")
    _valid(blocks)
    assert "Nudge 19" in str(blocks) and "Nudge 20" not in str(blocks)
    assert "… and 3 more." in str(blocks)


def test_replace_answered_swaps_only_that_participants_buttons() -> None:
    blocks = [
        {"type": "section", "block_id": "a", "text": {"type": "mrkdwn", "text": "x"}},
        {"type": "actions", "block_id": "b1", "elements": []},
        {"type": "actions", "block_id": "b2", "elements": []},
    ]
    out = replace_answered(blocks, "b2", "Registrert")
    assert out[1]["type"] == "actions" and out[2]["type"] == "context"
    assert blocks[2]["type"] == "actions"  # the input is not changed


def test_peoples_own_text_is_escaped_for_slack() -> None:
    row = AssignmentStatus(7, "o1", "Plan <A> & B", DUE, True, [], ["Ola <ola>"], [])
    status = ClassStatus(1, "bergen", "Bergen", True, "Europe/Oslo", [row])
    text = str(build_status([status], locale="nb", with_names=True))
    assert "Plan &lt;A&gt; &amp; B" in text and "Ola &lt;ola&gt;" in text
