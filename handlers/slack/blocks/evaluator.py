"""Block Kit for the evaluator role: aggregated results for the Directorate, and the staff list
of its question proposals with Accept / Reject (a modal asks for the reason)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bot.evaluator.results import EvaluatorResults, question_summary
from bot.messages import t
from bot.notifier import Button
from handlers.slack.blocks.message import build_button, clip, section
from handlers.slack.mrkdwn import rendered

Blocks = list[dict[str, Any]]
ACCEPT_ACTION = "evaluator_accept"
REJECT_ACTION = "evaluator_reject"
REJECT_CALLBACK = "evaluator_reject_modal"
REASON_BLOCK = "evaluator_reason"
REASON_ACTION = "reason"
MAX_PROPOSALS_SHOWN = 5
MAX_PULSES_SHOWN = 6
MAX_QUESTION_LINES = 6


@dataclass(frozen=True)
class ProposalLine:
    """One waiting proposal as staff see it in Home."""

    id: int
    kind: Literal["scale5", "nps", "choice", "text"]
    text: str
    choices: list[str]
    target: str | None  # the pulse it would go into now


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, 150)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, 3000)}]}


@rendered
def build_proposals_home(items: list[ProposalLine], *, more: int, locale: str) -> Blocks:
    """Waiting proposals, each with Accept (one step) and Reject; nothing when none wait."""
    if not items:
        return []
    blocks: Blocks = [_header(t("evaluator.home.title", locale))]
    for item in items[:MAX_PROPOSALS_SHOWN]:
        text = item.text + (" [" + "; ".join(item.choices) + "]" if item.choices else "")
        line = t(
            "evaluator.home.item",
            locale,
            id=item.id,
            kind=t(f"evaluator.kind.{item.kind}", locale),
            text=text,
            target=item.target or t("evaluator.home.no_target", locale),
        )
        blocks.append(section(line))
        buttons = [
            build_button(
                Button(ACCEPT_ACTION, t("evaluator.home.accept", locale), str(item.id), "primary")
            ),
            build_button(Button(REJECT_ACTION, t("evaluator.home.reject", locale), str(item.id))),
        ]
        blocks.append({"type": "actions", "block_id": f"evaluator:{item.id}", "elements": buttons})
    hidden = more + max(0, len(items) - MAX_PROPOSALS_SHOWN)
    if hidden > 0:
        blocks.append(_context(t("evaluator.home.more", locale, count=hidden)))
    return blocks


@rendered
def build_evaluator_results(results: EvaluatorResults, *, locale: str) -> Blocks:
    """The closed pulses' aggregates: answered of invited, and per question the whole cohort's
    figures (hidden ones as *); the full tables are on the evaluator page."""
    blocks: Blocks = [_header(t("evaluator.results.title", locale))]
    intro = t(
        "evaluator.page.intro",
        locale,
        since=results.since.date().isoformat(),
        k=results.min_group_size,
    )
    blocks.append(_context(intro))
    if not results.pulses:
        blocks.append(section(t("evaluator.page.none", locale)))
    for pulse in results.pulses[:MAX_PULSES_SHOWN]:
        _, invited, answered = pulse.participation[-1] if pulse.participation else ("", "0", "0")
        lines = [
            t(
                "evaluator.results.pulse",
                locale,
                title=pulse.title,
                cohort=pulse.cohort,
                answered=answered,
                invited=invited,
            )
        ]
        for qn in pulse.questions[:MAX_QUESTION_LINES]:
            line = question_summary(qn, locale, indent="    ")
            lines.append(line)
        blocks.append(section("\n".join(lines)))
    if len(results.pulses) > MAX_PULSES_SHOWN:
        blocks.append(
            _context(t("evaluator.home.more", locale, count=len(results.pulses) - MAX_PULSES_SHOWN))
        )
    blocks.append(_context(t("evaluator.results.link", locale)))
    return blocks


@rendered
def build_reject_modal(proposal_id: int, *, locale: str) -> dict[str, Any]:
    """The modal that asks staff why a proposal is turned down."""
    return {
        "type": "modal",
        "callback_id": REJECT_CALLBACK,
        "private_metadata": str(proposal_id),
        "title": {"type": "plain_text", "text": t("evaluator.home.reject.title", locale)[:24]},
        "submit": {"type": "plain_text", "text": t("evaluator.home.reject", locale)[:24]},
        "blocks": [
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "label": {
                    "type": "plain_text",
                    "text": clip(t("evaluator.home.reject.reason", locale), 2000),
                },
                "element": {
                    "type": "plain_text_input",
                    "action_id": REASON_ACTION,
                    "multiline": True,
                    "max_length": 500,
                },
            }
        ],
    }


def parse_reject(view: dict[str, Any]) -> tuple[int | None, str]:
    """(proposal id, reason) from a submitted reject modal."""
    values = view.get("state", {}).get("values", {})
    reason = values.get(REASON_BLOCK, {}).get(REASON_ACTION, {}).get("value") or ""
    raw = str(view.get("private_metadata") or "")
    return (int(raw) if raw.isdigit() else None), str(reason)
