"""Block Kit for assignments and line-manager nudges: posts, the reflection modal, status
tables, open lists, silent managers and a manager's Home section. Pure functions."""

from __future__ import annotations

import copy
from typing import Any

from bot.assignments import ClassStatus, OpenAssignment
from bot.involvement import NudgeFigures, figure_line
from bot.line_managers import (
    FOLLOWUP_STATES,
    ManagerCase,
    ManagerFollowup,
    ManagerOverview,
    SilentManager,
    answer_label,
)
from bot.messages import esc, format_when, t
from bot.staff_lists import manager_case_text, more_text, open_button
from handlers.slack.blocks.message import build_button, clip, section
from handlers.slack.mrkdwn import rendered

Blocks = list[dict[str, Any]]
REFLECTION_CALLBACK = "assignment_reflection"
REFLECTION_BLOCK = "reflection"
REFLECTION_ACTION = "text"
SHARE_BLOCK = "share"
SHARE_ACTION = "shareable"
MAX_NAMES = 40  # per line; the rest are counted


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, 3000)}]}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, 150)}}


@rendered
def build_reflection_modal(
    *,
    assignment_id: int,
    title: str,
    locale: str,
    text: str | None = None,
    shareable: bool = False,
) -> dict[str, Any]:
    """The "Write a reflection" modal, prefilled with an earlier reflection."""
    share_option = {
        "text": {"type": "plain_text", "text": clip(t("assignment.reflection.share", locale), 75)},
        "value": "yes",
    }
    checkboxes: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": SHARE_ACTION,
        "options": [share_option],
    }
    if shareable:
        checkboxes["initial_options"] = [share_option]
    text_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": REFLECTION_ACTION,
        "multiline": True,
        "max_length": 3000,
    }
    if text:
        text_input["initial_value"] = text
    return {
        "type": "modal",
        "callback_id": REFLECTION_CALLBACK,
        "private_metadata": str(assignment_id),
        "title": {"type": "plain_text", "text": t("assignment.reflection.title", locale)[:24]},
        "submit": {"type": "plain_text", "text": t("assignment.reflection.submit", locale)},
        "close": {"type": "plain_text", "text": t("assignment.reflection.cancel", locale)},
        "blocks": [
            section(f"*{esc(title)}*"),
            {
                "type": "input",
                "block_id": REFLECTION_BLOCK,
                "label": {
                    "type": "plain_text",
                    "text": clip(t("assignment.reflection.label", locale), 2000),
                },
                "element": text_input,
            },
            {
                "type": "input",
                "block_id": SHARE_BLOCK,
                "optional": True,
                # A blank label left Slack's "(optional)" hint standing alone above the box.
                "label": {
                    "type": "plain_text",
                    "text": clip(t("assignment.reflection.share_label", locale), 2000),
                },
                "element": checkboxes,
            },
            _context(t("assignment.reflection.private", locale)),
        ],
    }


def parse_reflection(view: dict[str, Any]) -> tuple[int | None, str, bool]:
    """(assignment id, text, shareable) from a submitted reflection modal."""
    values = view.get("state", {}).get("values", {})
    text = values.get(REFLECTION_BLOCK, {}).get(REFLECTION_ACTION, {}).get("value") or ""
    selected = values.get(SHARE_BLOCK, {}).get(SHARE_ACTION, {}).get("selected_options") or []
    try:
        assignment_id: int | None = int(view.get("private_metadata") or "")
    except ValueError:
        assignment_id = None
    return assignment_id, str(text), any(o.get("value") == "yes" for o in selected)


def _names(names: list[str]) -> str:
    shown = ", ".join(esc(n) for n in names[:MAX_NAMES])
    return shown + (f" (+{len(names) - MAX_NAMES})" if len(names) > MAX_NAMES else "")


@rendered
def build_status(statuses: list[ClassStatus], *, locale: str, with_names: bool) -> Blocks:
    """Per class and assignment: done/open/overdue counts, and who (staff only)."""
    blocks: Blocks = []
    for status in statuses:
        blocks.append(_header(t("assignment.status.title", locale, name=status.class_name)))
        if not status.has_channel:
            blocks.append(
                _context(t("assignment.status.no_channel", locale, name=esc(status.class_name)))
            )
        if not status.assignments:
            blocks.append(section(t("assignment.status.none", locale)))
        for row in status.assignments:
            lines = [
                f"*{esc(row.title)}* – {format_when(row.due_at, locale, status.tz)}",
                t(
                    "assignment.status.counts",
                    locale,
                    done=len(row.done),
                    open=len(row.open),
                    overdue=len(row.overdue),
                ),
            ]
            if not row.released:
                lines.append(f"_{t('assignment.status.not_released', locale)}_")
            if with_names and row.overdue:
                lines.append(f"{t('assignment.status.who_overdue', locale)}: {_names(row.overdue)}")
            if with_names and row.open and row.released:
                lines.append(f"{t('assignment.status.who_open', locale)}: {_names(row.open)}")
            blocks.append(section("\n".join(lines)))
    return blocks[:50]


@rendered
def build_open_list(items: list[OpenAssignment], *, locale: str) -> Blocks:
    """A participant's open assignments, each with "Mark as done" and "Write a reflection"."""
    blocks: Blocks = [_header(t("assignment.open.title", locale))]
    if not items:
        blocks.append(section(t("assignment.open.none", locale)))
        return blocks
    for item in items[:15]:
        a = item.assignment
        text = t(
            "assignment.open.item",
            locale,
            title=esc(a.title),
            due=format_when(a.due_at, locale, item.tz),
        )
        if item.overdue:
            text += f" – *{t('assignment.open.overdue', locale)}*"
        if a.url:
            text += f"\n<{a.url}|{t('assignment.post.link', locale)}>"
        blocks.append(section(text))
        blocks.append(
            {
                "type": "actions",
                "block_id": f"assignment:{a.id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "assignment_done",
                        "text": {"type": "plain_text", "text": t("assignment.button.done", locale)},
                        "value": str(a.id),
                        "style": "primary",
                    },
                    {
                        "type": "button",
                        "action_id": "assignment_reflect",
                        "text": {
                            "type": "plain_text",
                            "text": t("assignment.button.reflect", locale),
                        },
                        "value": str(a.id),
                    },
                ],
            }
        )
    return blocks


@rendered
def build_silent_managers(silent: list[SilentManager], *, locale: str, tz: str) -> Blocks:
    """Escalated nudges for staff, each with "Resend" and "Mark handled"."""
    blocks: Blocks = [_header(t("nudge.staff.title", locale))]
    if not silent:
        blocks.append(section(t("nudge.staff.none", locale)))
        return blocks
    never = t("nudge.never", locale)
    for s in silent[:20]:
        blocks.append(
            section(
                t(
                    "nudge.staff.item",
                    locale,
                    manager=esc(s.manager_name),
                    contact=esc(s.manager_contact),
                    title=esc(s.nudge_title),
                    participant=esc(s.participant_name),
                    sent=format_when(s.sent_at, locale, tz) if s.sent_at else never,
                    reminded=format_when(s.reminded_at, locale, tz) if s.reminded_at else never,
                )
            )
        )
        blocks.append(
            {
                "type": "actions",
                "block_id": f"silent:{s.nudge_answer_id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "nudge_resend",
                        "text": {"type": "plain_text", "text": t("nudge.staff.resend", locale)},
                        "value": str(s.nudge_answer_id),
                    },
                    {
                        "type": "button",
                        "action_id": "nudge_handled",
                        "text": {"type": "plain_text", "text": t("nudge.staff.handled", locale)},
                        "value": str(s.nudge_answer_id),
                    },
                ],
            }
        )
    return blocks


@rendered
def build_manager_section(overview: ManagerOverview, *, locale: str) -> Blocks:
    """A line manager's Home: their participants and the questions waiting for an answer."""
    blocks: Blocks = [_header(t("nudge.manager.title", locale))]
    blocks.append(section(", ".join(esc(n) for n in overview.participants) or "—"))
    blocks.append(section(f"*{t('nudge.manager.open', locale)}*"))
    if not overview.waiting:
        blocks.append(_context(t("nudge.manager.none", locale)))
        return blocks
    for row in overview.waiting[:15]:
        answer_id = row.answer.id
        blocks.append(section(f"*{esc(row.nudge.title)}* – {esc(row.participant_name)}"))
        blocks.append(
            {
                "type": "actions",
                "block_id": f"nudge:{answer_id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": f"nudge_answer_{answer}",
                        "text": {"type": "plain_text", "text": answer_label(answer, locale)[:75]},
                        "value": f"{answer_id}:{answer}",
                        **({"style": "primary"} if answer == "done" else {}),
                    }
                    for answer in ("done", "later", "cannot")
                ],
            }
        )
    return blocks


@rendered
def replace_answered(blocks: Blocks, block_id: str | None, text: str) -> Blocks:
    """The message's blocks with the answered participant's buttons replaced by `text`."""
    out = copy.deepcopy(blocks)
    for i, block in enumerate(out):
        if block.get("type") == "actions" and block_id and block.get("block_id") == block_id:
            out[i] = {
                "type": "context",
                "block_id": block_id,
                "elements": [{"type": "mrkdwn", "text": clip(f"✅ {text}", 3000)}],
            }
    return out


@rendered
def build_involvement(
    figures: list[NudgeFigures], *, cohort_name: str, locale: str, tz: str
) -> Blocks:
    """Per nudge: how many managers answered, how many said "Done", median time to answer."""
    blocks: Blocks = [_header(t("nudge.figures.title", locale, name=cohort_name))]
    if not figures:
        blocks.append(section(t("nudge.figures.none", locale)))
    shown = 20
    for f in figures[:shown]:
        blocks.append(section(figure_line(f, locale=locale, tz=tz, title=esc(f.title))))
    if len(figures) > shown:
        blocks.append(section(t("nudge.figures.more", locale, n=len(figures) - shown)))
    return blocks


MAX_ESCALATED_SHOWN = 8  # a section and a button row each
MAX_LINES_SHOWN = 10  # overdue and pending cases, as lines of one section


def _case_actions(case: ManagerCase, locale: str) -> dict[str, Any]:
    return {
        "type": "actions",
        "block_id": f"silent:{case.nudge_answer_id}",
        "elements": [
            {
                "type": "button",
                "action_id": "nudge_resend",
                "text": {"type": "plain_text", "text": t("nudge.staff.resend", locale)},
                "value": str(case.nudge_answer_id),
            },
            {
                "type": "button",
                "action_id": "nudge_handled",
                "text": {"type": "plain_text", "text": t("nudge.staff.handled", locale)},
                "value": str(case.nudge_answer_id),
            },
        ],
    }


@rendered
def build_escalated(
    cases: list[ManagerCase],
    *,
    cohort_id: int,
    locale: str,
    tz: str,
    limit: int = MAX_ESCALATED_SHOWN,
) -> Blocks:
    """Escalated managers with "Resend" and "Mark handled"; the rest counted, with the list."""
    blocks: Blocks = [_header(t("nudge.staff.title", locale))]
    if not cases:
        blocks.append(section(t("nudge.staff.none", locale)))
        return blocks
    for case in cases[:limit]:
        blocks.append(section(manager_case_text(case, locale, tz)))
        blocks.append(_case_actions(case, locale))
    if len(cases) > limit:
        blocks.append(_context(more_text(limit, len(cases), locale)))
        button = open_button("managers", str(cohort_id), len(cases), locale)
        blocks.append({"type": "actions", "elements": [build_button(button)]})
    return blocks


@rendered
def build_followup(followup: ManagerFollowup, *, locale: str, tz: str) -> Blocks:
    """`/cohort managers`: counts by state, failed deliveries said as such, who to act on.

    Escalated cases come with buttons, overdue and pending ones as lines; whatever does not fit
    is counted and the whole list is a button away.
    """
    counts = " · ".join(
        t(
            "lists.managers.count",
            locale,
            label=t(f"lists.managers.label.{state}", locale),
            n=followup.count(state),
            managers=followup.managers(state),
        )
        for state in FOLLOWUP_STATES
    )
    blocks: Blocks = [
        _header(t("lists.managers.title", locale)),
        section(f"{counts}\n{t('lists.managers.counts_note', locale)}"),
    ]
    failed = followup.failed
    if failed:
        lines = [t("lists.managers.failed_title", locale, n=len(failed))]
        lines += [
            "• "
            + t(
                "lists.managers.failed_line",
                locale,
                manager=c.manager_name,
                contact=c.manager_contact,
                transport=c.transport or "?",
                error=c.error or "?",
            )
            for c in failed[:MAX_LINES_SHOWN]
        ]
        if len(failed) > MAX_LINES_SHOWN:
            lines.append(more_text(MAX_LINES_SHOWN, len(failed), locale))
        blocks.append(section("\n".join(lines)))
    shown = 0
    escalated = followup.of("escalated")
    for case in escalated[:MAX_ESCALATED_SHOWN]:
        blocks.append(section(manager_case_text(case, locale, tz)))
        blocks.append(_case_actions(case, locale))
        shown += 1
    for state in ("overdue", "pending"):
        cases = followup.of(state)
        if not cases:
            continue
        lines = [f"*{t(f'lists.managers.state.{state}', locale)}*"]
        lines += [
            "• " + manager_case_text(c, locale, tz).replace("\n", " · ")
            for c in cases[:MAX_LINES_SHOWN]
        ]
        shown += min(len(cases), MAX_LINES_SHOWN)
        blocks.append(section("\n".join(lines)))
    total = len(followup.cases)
    if not total:
        blocks.append(section(t("lists.managers.none", locale)))
        return blocks
    shown += 0  # planned cases are counted above, listed in the whole list
    note = more_text(shown, total, locale)
    if note:
        blocks.append(_context(note))
    blocks.append(
        {
            "type": "actions",
            "elements": [
                build_button(open_button("managers", str(followup.cohort_id), total, locale))
            ],
        }
    )
    return blocks


MAX_CLASSES_SHOWN = 12  # one section each
MAX_ASSIGNMENTS_PER_CLASS = 20  # lines of one section


@rendered
def build_status_compact(
    statuses: list[ClassStatus], *, cohort_id: int, locale: str, title: str | None = None
) -> Blocks:
    """Staff Home and `/cohort assignments`: one section per class, a line per assignment.

    Every class and assignment is there, or counted with the whole list a button away.
    """
    blocks: Blocks = [_header(title or t("lists.assignments.title", locale))]
    rows = 0
    shown = 0
    for status in statuses[:MAX_CLASSES_SHOWN]:
        lines = [f"*{esc(status.class_name)}*"]
        if not status.has_channel:
            lines.append(f"_{t('assignment.status.no_channel', locale, name=status.class_name)}_")
        if not status.assignments:
            lines.append(t("assignment.status.none", locale))
        for row in status.assignments[:MAX_ASSIGNMENTS_PER_CLASS]:
            line = t(
                "lists.assignments.line",
                locale,
                title=row.title,
                when=format_when(row.due_at, locale, status.tz),
                done=len(row.done),
                open=len(row.open),
                overdue=len(row.overdue),
            )
            if not row.released:
                line += f" _({t('assignment.status.not_released', locale)})_"
            lines.append(line)
        hidden = len(status.assignments) - MAX_ASSIGNMENTS_PER_CLASS
        if hidden > 0:
            lines.append(more_text(MAX_ASSIGNMENTS_PER_CLASS, len(status.assignments), locale))
        rows += len(status.assignments)
        shown += min(len(status.assignments), MAX_ASSIGNMENTS_PER_CLASS)
        blocks.append(section("\n".join(lines)))
    total = sum(len(st.assignments) for st in statuses)
    hidden_classes = len(statuses) - MAX_CLASSES_SHOWN
    if hidden_classes > 0 or shown < total:
        note = t("lists.assignments.more", locale, classes=max(0, hidden_classes))
        blocks.append(_context(f"{more_text(shown, total, locale)} {note}".strip()))
        button = open_button("assignments", str(cohort_id), total, locale)
        blocks.append({"type": "actions", "elements": [build_button(button)]})
    return blocks
