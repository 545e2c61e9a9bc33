"""Adaptive Card builders: every card is valid Adaptive Cards 1.5 and says what the message says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.notifier import Button, OutgoingMessage, Section
from handlers.teams.cards import ACTIONS_PER_SET, MAX_CARD_BYTES, build_card, message_activity
from handlers.teams.text import escape_words, to_markdown

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "fixtures/teams/adaptive-card-1.5.subset.schema.json").read_text()
)


def validate(card: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(card)


def actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for el in card["body"] if el["type"] == "ActionSet" for a in el["actions"]]


def test_assignment_card_has_done_and_reflection_in_one_click() -> None:
    message = OutgoingMessage(
        text="Ny oppgave",
        title="Oppgave: Medarbeidersamtale",
        sections=(
            Section(text="Beskrivelse", fields=(("Frist", "tirsdag 3. mars kl. 09.00"),)),
            Section(
                buttons=(
                    Button("assignment_done", "Merk som gjort", value="12", style="primary"),
                    Button("assignment_reflect", "Skriv refleksjon", value="12"),
                )
            ),
        ),
        context="Svar i kortet",
    )
    card = build_card(message)
    validate(card)
    assert card["version"] == "1.5"
    done = next(a for a in actions(card) if a["verb"] == "assignment_done")
    assert done["type"] == "Action.Execute" and done["data"]["value"] == "12"
    assert done["style"] == "positive"
    assert done["fallback"] == {
        "type": "Action.Submit",
        "title": "Merk som gjort",
        "data": {"verb": "assignment_done", "value": "12", "section": 1},
    }
    inputs = [el for el in card["body"] if el["type"] == "Input.Text"]
    assert inputs and inputs[0]["isMultiline"]
    reflect = next(a for a in actions(card) if a["verb"] == "assignment_reflect")
    assert reflect["associatedInputs"] == "Auto"
    facts = next(el for el in card["body"] if el["type"] == "FactSet")["facts"]
    assert facts == [{"title": "Frist", "value": "tirsdag 3. mars kl. 09.00"}]


def test_nps_buttons_stay_one_click_in_sets_teams_shows() -> None:
    buttons = tuple(Button(f"pulse.answer.1.{v}", str(v), value=f"1:1:{v}") for v in range(11))
    card = build_card(
        OutgoingMessage(text="NPS", sections=(Section(text="*1. NPS*", buttons=buttons),))
    )
    validate(card)
    sets = [el for el in card["body"] if el["type"] == "ActionSet"]
    assert [len(s["actions"]) for s in sets] == [5, 5, 1]
    assert all(len(s["actions"]) <= ACTIONS_PER_SET for s in sets)
    assert [a["title"] for a in actions(card)] == [str(v) for v in range(11)]


def test_answered_note_and_carried_data() -> None:
    message = OutgoingMessage(
        text="x",
        sections=(Section(text="q", buttons=(Button("nudge_answer_done", "Ja", "3:done"),)),),
    )
    card = build_card(message, notes={0: "Takk, registrert"}, carry={"delivery": "k"})
    validate(card)
    assert card["body"][-1]["text"] == "✅ Takk, registrert"
    assert actions(card)[0]["data"] == {"value": "3:done", "section": 0, "delivery": "k"}


@pytest.mark.parametrize(
    "name",
    [
        "**Kari**",
        "[klikk](https://evil.example)",
        "<at>Kari</at>",
        "{{DATE(2017-02-14T06:08:39Z)}}",
        "1. liste",
        "# Overskrift",
        "_x_",
    ],
)
def test_peoples_words_cannot_format_a_card(name: str) -> None:
    out = escape_words(name)
    # Every markdown character is escaped, and no date function survives.
    for special in "*[]()#_":
        assert special not in out.replace(f"\\{special}", "")
    assert "{{" not in out


def test_bot_bold_becomes_teams_bold_and_lines_break() -> None:
    assert to_markdown("*Frist*\nmandag") == "**Frist**\n\nmandag"
    assert to_markdown("a &lt;b&gt; &amp; c") == "a <b> & c"


def test_huge_message_is_cut_to_fit_teams() -> None:
    message = OutgoingMessage(text="x", sections=tuple(Section(text="y" * 5000) for _ in range(10)))
    card = build_card(message)
    validate(card)
    assert len(json.dumps(card, ensure_ascii=False).encode()) <= MAX_CARD_BYTES


def test_activity_carries_the_card_and_a_preview() -> None:
    activity = message_activity(OutgoingMessage(text="Ny *puls*", title="Puls"))
    assert activity["type"] == "message"
    assert activity["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    validate(activity["attachments"][0]["content"])
    assert activity["summary"] == "Ny puls"


def test_marked_words_through_the_catalogue_stay_words_in_a_card() -> None:
    from bot.messages import t

    name = "**Kari** [klikk her](https://evil.example) {{DATE(2017-02-14T06:08:39Z, SHORT)}}"
    card = build_card(
        OutgoingMessage(
            text="x", sections=(Section(text=t("teams.welcome.text", "nb", name=name)),)
        )
    )
    validate(card)
    shown = card["body"][0]["text"]
    assert shown.startswith("Hei, \\*\\*Kari\\*\\* \\[klikk her\\]\\(https://evil.example\\)")
    assert "{{" not in shown
    assert "**neste**" in shown  # the bot's own *bold* is Teams bold


def test_staff_formatting_is_kept_but_links_are_not() -> None:
    from bot.text import formatted, user

    text = formatted("*Viktig*: se [skjema](https://x.example) # nå")
    assert to_markdown(text) == "**Viktig**: se \\[skjema\\]\\(https://x.example\\) \\# nå"
    assert to_markdown(user("U123", "Ola *Nordmann*")) == "Ola \\*Nordmann\\*"


def test_a_results_chart_fits_a_card_as_an_image() -> None:
    import base64
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from PIL import Image

    from handlers.teams.cards import MAX_IMAGE_CHARS, chart_image

    fig = Figure(figsize=(7, 2.6 * 3), dpi=110)
    for i in range(3):
        ax = fig.add_subplot(3, 1, i + 1)
        ax.bar([str(v) for v in range(1, 6)], [3, 5, 8, 4, 2])
        ax.set_title(f"{i + 1}. Hvor nyttig var samlingen?", fontsize=9, loc="left")
    png = io.BytesIO()
    fig.savefig(png, format="png")
    image = chart_image(png.getvalue(), alt="Resultater: Etter samling 1")
    assert image is not None
    card = build_card(OutgoingMessage(text="x", title="Resultater"))
    card["body"].append(image)
    validate(card)
    data = image["url"].removeprefix("data:image/png;base64,")
    assert len(data) <= MAX_IMAGE_CHARS
    shown = Image.open(io.BytesIO(base64.b64decode(data)))
    assert shown.width == 560
    assert len(json.dumps(card).encode()) <= MAX_CARD_BYTES
