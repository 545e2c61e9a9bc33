"""The staff's outbox view lists the newest failures and says how many more, with the list."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.delivery import DeliveryOverview
from handlers.slack.blocks.deliveries import MAX_FAILURES_SHOWN, build_delivery_overview
from storage.queries.deliveries import FailedDeliveryRow

WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def failure(i: int) -> FailedDeliveryRow:
    return FailedDeliveryRow(i, "nudge", "email", f"x{i}@k.no", "550", 1, WHEN, f"Leder {i}", None)


def test_failures_beyond_the_shown_are_counted_with_the_whole_list() -> None:
    overview = DeliveryOverview(
        counts={"failed": 57, "sent": 3},
        failures=[failure(i) for i in range(20)],
        pauses=[],
        possibly_duplicated=0,
        next_due_at=None,
    )
    blocks = build_delivery_overview(overview, "en")
    text = str(blocks)
    assert text.count("Leder ") == MAX_FAILURES_SHOWN
    assert f"Showing {MAX_FAILURES_SHOWN} of 57 – {57 - MAX_FAILURES_SHOWN} more" in text
    [button] = blocks[-1]["elements"]
    assert (button["action_id"], button["value"]) == ("staff_list.open", "failures||0")


def test_all_failures_shown_needs_no_more() -> None:
    overview = DeliveryOverview(
        counts={"failed": 2},
        failures=[failure(1), failure(2)],
        pauses=[],
        possibly_duplicated=0,
        next_due_at=None,
    )
    text = str(build_delivery_overview(overview, "nb"))
    assert "staff_list.open" not in text and "til i hele lista" not in text
