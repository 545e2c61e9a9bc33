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


def test_home_leaves_out_a_part_that_does_not_fit_whole_says_so_and_keeps_the_rest() -> None:
    from bot.people import Actor
    from handlers.slack.blocks.home import MAX_HOME_BLOCKS, build_home

    def part(name: str, n: int) -> list[dict[str, object]]:
        return [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"{name} {i}"}} for i in range(n)
        ]

    actor = Actor("U1", None, frozenset({"staff"}), "nb")
    view = build_home(actor, [part("a", 40), part("big", 70), part("privacy", 3)])
    blocks = view["blocks"]
    assert len(blocks) <= MAX_HOME_BLOCKS
    text = str(blocks)
    assert "big 0" not in text  # never half a part: its "and N more" would be cut off
    assert "a 39" in text and "privacy 2" in text  # later parts that fit still come
    assert "1 del av Hjem fikk ikke plass her" in blocks[-1]["elements"][0]["text"]
