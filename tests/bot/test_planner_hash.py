"""The planner's stored form of a message is exactly what JSON makes of the dataclasses."""

from __future__ import annotations

import json
from dataclasses import asdict

from bot.notifier import Button, OutgoingMessage, Section
from bot.planner_hash import message_json


def test_the_stored_message_is_asdict_through_json() -> None:
    message = OutgoingMessage(
        text="Påminnelse: «Oppgave 1» ⏰",
        title="Oppgave 1",
        sections=(
            Section(
                text="Frist fredag 30. oktober kl. 09:00",
                fields=(("Frist", "30.10."), ("Klasse", "Bergen")),
                buttons=(
                    Button("assignment.done", "Ferdig", value="7", style="primary"),
                    Button("assignment.open", "Åpne", url="https://example.no/a?x=1&y=2"),
                ),
            ),
            Section(text="", fields=(), buttons=()),
        ),
        context="Nasjonal lederutdanning",
        subject=None,
        locale="nn",
        meta={"assignment": 7, "tags": ["a", "b"], "nested": {"k": [1, 2]}},
    )
    expected = json.loads(json.dumps(asdict(message)))
    expected["meta"]["plan_hash"] = "h"
    assert message_json(message, "h") == expected
    plain = OutgoingMessage(text="x")
    stored = message_json(plain)
    assert stored["meta"]["plan_hash"] and stored["sections"] == [] and stored["locale"] == "nb"
    assert OutgoingMessage.from_json(stored).text == "x"
