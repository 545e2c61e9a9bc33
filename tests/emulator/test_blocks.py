"""The emulator's Block Kit checker reports each element's and block's own rule."""

from __future__ import annotations

import pytest

from emulator.blocks import validate_blocks, validate_view

TEXT = {"type": "plain_text", "text": "x"}
OPTION = {"text": TEXT, "value": "a"}

CASES = [
    ({"type": "section"}, "must provide either text or fields"),
    ({"type": "section", "fields": [TEXT] * 11}, "no more than 10 items allowed"),
    ({"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}, "/0/text"),
    ({"type": "context", "elements": []}, "must provide at least 1 items"),
    ({"type": "context", "elements": [TEXT] * 11}, "no more than 10 items allowed"),
    ({"type": "image", "alt_text": "a"}, "missing required field: image_url"),
    ({"type": "actions", "elements": [{"type": "button", "text": TEXT}] * 26}, "25 items"),
    ({"type": "actions", "elements": [{"type": "button", "text": TEXT, "style": "x"}]}, "style"),
    ({"type": "input", "label": TEXT}, "missing required field: element"),
    ({"type": "markdown", "text": "x" * 12_001}, "/0/text"),
    ({"type": "rich_text"}, "missing required field: elements"),
    (
        {"type": "input", "label": TEXT, "element": {"type": "datepicker", "initial_date": "1"}},
        "must match YYYY-MM-DD",
    ),
    (
        {"type": "input", "label": TEXT, "element": {"type": "timepicker", "initial_time": "9"}},
        "must match HH:mm",
    ),
    (
        {"type": "input", "label": TEXT, "element": {"type": "number_input"}},
        "missing required field: is_decimal_allowed",
    ),
    (
        {
            "type": "input",
            "label": TEXT,
            "element": {"type": "plain_text_input", "max_length": "5"},
        },
        "must be an integer",
    ),
    (
        {
            "type": "input",
            "label": TEXT,
            "element": {"type": "static_select", "option_groups": [{}] * 101},
        },
        "no more than 100 items allowed",
    ),
    (
        {
            "type": "input",
            "label": TEXT,
            "element": {
                "type": "static_select",
                "options": [OPTION],
                "initial_option": {"text": TEXT, "value": "b"},
            },
        },
        "must match one of the options",
    ),
    (
        {
            "type": "section",
            "text": TEXT,
            "accessory": {"type": "overflow", "options": [OPTION] * 6},
        },
        "/0/accessory/options",
    ),
    (
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": TEXT, "confirm": {"title": TEXT, "text": TEXT}},
            ],
        },
        "/0/elements/0/confirm/confirm",
    ),
    ({"type": "unknown"}, "unsupported type `unknown`"),
]


@pytest.mark.parametrize(("block", "expected"), CASES)
def test_each_block_and_element_rule_is_checked(block: dict, expected: str) -> None:
    errors = validate_blocks([block])
    assert any(expected in e for e in errors), errors


def test_valid_blocks_pass() -> None:
    blocks = [
        {"type": "section", "text": TEXT, "fields": [TEXT]},
        {"type": "header", "text": TEXT},
        {"type": "actions", "elements": [{"type": "button", "text": TEXT, "style": "primary"}]},
        {
            "type": "context",
            "elements": [TEXT, {"type": "image", "image_url": "u", "alt_text": "a"}],
        },
    ]
    assert validate_blocks(blocks) == []
    view = {"type": "modal", "title": TEXT, "submit": TEXT, "blocks": blocks}
    assert validate_view(view) == []
