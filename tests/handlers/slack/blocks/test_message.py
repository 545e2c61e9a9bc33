"""The neutral-message Block Kit builder, asserted on its structure."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.notifier import Button, OutgoingMessage, Section
from handlers.slack.blocks.message import build_message_blocks, fallback_text


def test_full_message() -> None:
    message = OutgoingMessage(
        text="Svar på pulsen",
        title="Puls etter samling 2",
        sections=(
            Section(
                text="Hvordan gikk samlingen?",
                fields=(("Frist", "fredag 6. mars kl. 16.00"), ("Anonym", "Ja")),
                buttons=(
                    Button(
                        "pulse_open", "Svar nå", "pulse:41", style="primary", url="https://x/r/1"
                    ),
                    Button("pulse_later", "Senere", "pulse:41"),
                ),
            ),
        ),
        context="Svarene er anonyme.",
    )
    blocks = build_message_blocks(message)
    assert [b["type"] for b in blocks] == ["header", "section", "actions", "context"]
    assert blocks[1]["fields"][0]["text"] == "*Frist*\nfredag 6. mars kl. 16.00"
    primary = blocks[2]["elements"][0]
    assert primary == {
        "type": "button",
        "action_id": "pulse_open",
        "text": {"type": "plain_text", "text": "Svar nå", "emoji": True},
        "value": "pulse:41",
        "style": "primary",
    }
    for block in blocks:  # slack_sdk's models validate the limits
        Block.parse(block).validate_json()  # type: ignore[union-attr]


def test_text_only_message_is_one_section() -> None:
    blocks = build_message_blocks(OutgoingMessage(text="Hei"))
    assert blocks == [{"type": "section", "text": {"type": "mrkdwn", "text": "Hei"}}]


def test_limits_are_kept() -> None:
    long = "x" * 5000
    message = OutgoingMessage(
        text=long,
        title=long,
        sections=tuple(
            Section(
                text=long,
                fields=tuple((str(i), long) for i in range(12)),
                buttons=tuple(Button(f"b{i}", long, long) for i in range(30)),
            )
            for _ in range(40)
        ),
        context=long,
    )
    blocks = build_message_blocks(message)
    assert len(blocks) == 50 and blocks[-1]["type"] == "context"
    assert len(blocks[0]["text"]["text"]) == 150
    assert len(blocks[1]["text"]["text"]) == 3000 and len(blocks[1]["fields"]) == 10
    assert len(blocks[2]["elements"]) == 25
    assert len(blocks[2]["elements"][0]["text"]["text"]) == 75
    assert len(fallback_text(message)) == 4000
