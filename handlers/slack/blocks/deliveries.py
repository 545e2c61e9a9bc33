"""Block Kit for the staff's view of the outbox: counts, pauses, failures with people."""

from __future__ import annotations

from typing import Any

from bot.delivery import DeliveryOverview
from bot.messages import format_when, t
from bot.staff_lists import more_text, open_button
from handlers.slack.blocks.message import build_button
from handlers.slack.mrkdwn import rendered

MAX_FAILURES_SHOWN = 10


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


@rendered
def build_delivery_overview(overview: DeliveryOverview, locale: str) -> list[dict[str, Any]]:
    """Blocks for /cohort deliveries and the staff Home tab."""
    counts = {
        state: overview.counts.get(state, 0) for state in ("pending", "sent", "failed", "cancelled")
    }
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": t("deliveries.title", locale)}},
        _section(t("deliveries.counts", locale, **counts)),
    ]
    for transport, n in sorted(overview.held.items()):
        blocks.append(_section(t("deliveries.held", locale, n=n, transport=transport)))
    for pause in overview.pauses:
        blocks.append(
            _section(t("deliveries.paused", locale, transport=pause.transport, reason=pause.reason))
        )
    if overview.possibly_duplicated:
        blocks.append(
            _section(t("deliveries.uncertain", locale, count=overview.possibly_duplicated))
        )
    if overview.failures:
        lines = [t("deliveries.failures", locale)]
        shown = overview.failures[:MAX_FAILURES_SHOWN]
        for row in shown:
            who = row.person_name or row.target
            lines.append(
                t(
                    "deliveries.failure",
                    locale,
                    who=who,
                    kind=row.kind,
                    transport=row.transport,
                    error=row.error or "?",
                    attempts=row.attempts,
                )
            )
        blocks.append(_section("\n".join(lines)))
        if overview.failed > len(shown):
            blocks.append(_section(more_text(len(shown), overview.failed, locale)))
            button = open_button("failures", "", overview.failed, locale)
            blocks.append({"type": "actions", "elements": [build_button(button)]})
    else:
        blocks.append(_section(t("deliveries.no_failures", locale)))
    if overview.next_due_at is not None:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": t(
                            "deliveries.next_due",
                            locale,
                            when=format_when(overview.next_due_at, locale),
                        ),
                    }
                ],
            }
        )
    return blocks
