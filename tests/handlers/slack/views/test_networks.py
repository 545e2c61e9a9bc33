"""Reading the announcement modal: selected options, filters, and Oslo wall time across DST."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from handlers.slack.views.networks import FormErrors, parse_announcement

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 10, 23, 8, 0, tzinfo=UTC)  # Friday; summer time ends Sunday 25 October


def view(day: str | None = None, clock: str | None = None, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "audience": {
            "value": {
                "type": "static_select",
                "selected_option": {"value": "class:2026h/bergen"},
            }
        },
        "counties": {
            "value": {
                "type": "multi_static_select",
                "selected_options": [{"value": "Vestland"}, {"value": "Rogaland"}],
            }
        },
        "roles": {"value": {"type": "multi_static_select", "selected_options": []}},
        "text": {"value": {"type": "plain_text_input", "value": " Hei *alle* "}},
        "mode": {"value": {"type": "radio_buttons", "selected_option": {"value": "dm"}}},
        "when_date": {"value": {"type": "datepicker", "selected_date": day}},
        "when_time": {"value": {"type": "timepicker", "selected_time": clock}},
        "urgent": {"value": {"type": "checkboxes", "selected_options": [{"value": "urgent"}]}},
    }
    values.update(extra)
    return {"state": {"values": values}}


def test_selected_options_become_the_audience() -> None:
    form = parse_announcement(view(), zone=OSLO, now=NOW)
    audience = form.audience
    assert (audience.scope, audience.cohort, audience.klass) == ("class", "2026h", "bergen")
    assert audience.counties == ("Vestland", "Rogaland") and audience.roles == ()
    assert (form.text, form.mode, form.urgent, form.send_at) == ("Hei *alle*", "dm", True, None)


def test_date_and_time_are_oslo_wall_time_across_the_dst_change() -> None:
    saturday = parse_announcement(view("2026-10-24", "09:00"), zone=OSLO, now=NOW)
    monday = parse_announcement(view("2026-10-26", "09:00"), zone=OSLO, now=NOW)
    assert saturday.send_at == datetime(2026, 10, 24, 7, 0, tzinfo=UTC)  # CEST, UTC+2
    assert monday.send_at == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)  # CET, UTC+1
    today = parse_announcement(view(None, "14:30"), zone=OSLO, now=NOW)
    assert today.send_at == datetime(2026, 10, 23, 12, 30, tzinfo=UTC)


def test_a_date_without_a_time_is_refused_on_the_time() -> None:
    with pytest.raises(FormErrors) as refused:
        parse_announcement(view("2026-10-26", None), zone=OSLO, now=NOW)
    assert refused.value.errors == {"when_time": "broadcast.error.no_time"}
