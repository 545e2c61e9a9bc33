"""Block Kit for pulses: the answered-state of a pulse DM, the free-text modal, the pulse creation
modal and the results message. Pure functions, tested by asserting on the structure."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from typing import Any

from bot.messages import esc, t
from bot.pulses import KINDS, QuestionSpec
from bot.results import PulseResults, response_lines
from handlers.slack.blocks.message import clip, section
from handlers.slack.mrkdwn import rendered

Blocks = list[dict[str, Any]]

TEXT_CALLBACK = "pulse_text"
TEXT_BLOCK = "pulse_text_answer"
TEXT_INPUT = "text"
CREATE_CALLBACK = "pulse_create"
ANSWERED_BLOCK_PREFIX = "pulse_answered_"
MAX_BLOCKS = 50
MAX_MODAL_BLOCKS = 100
CLOSE_DAYS = (2, 3, 5, 7, 14)


def _plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


@rendered
def mark_answered(blocks: Blocks, *, action_id: str, text: str, highlight: bool) -> Blocks:
    """Return the DM's blocks with a confirmation under the answered question.

    The buttons stay (answers can be changed until the pulse closes). `highlight` marks the
    clicked button; anonymous pulses pass False so Slack's copy of the message does not keep
    the chosen value.
    """
    out = copy.deepcopy(blocks)
    for i, block in enumerate(out):
        if block.get("type") != "actions":
            continue
        elements = block.get("elements") or []
        if not any(e.get("action_id") == action_id for e in elements):
            continue
        for element in elements:
            element.pop("style", None)
            if highlight and element.get("action_id") == action_id:
                element["style"] = "primary"
        note = {
            "type": "context",
            "block_id": f"{ANSWERED_BLOCK_PREFIX}{i}",
            "elements": [{"type": "mrkdwn", "text": clip(f"✅ {text}", 3000)}],
        }
        following = out[i + 1] if i + 1 < len(out) else None
        if following and str(following.get("block_id", "")).startswith(ANSWERED_BLOCK_PREFIX):
            out[i + 1] = note
        else:
            out.insert(i + 1, note)
        break
    return out[:MAX_BLOCKS]


@rendered
def build_text_modal(
    *, pulse_id: int, question_id: int, question: str, locale: str
) -> dict[str, Any]:
    """The free-text answer modal for one question."""
    return {
        "type": "modal",
        "callback_id": TEXT_CALLBACK,
        "private_metadata": json.dumps({"pulse_id": pulse_id, "question_id": question_id}),
        "title": _plain(t("pulse.text.modal_title", locale), 24),
        "submit": _plain(t("pulse.text.submit", locale), 24),
        "close": _plain("Avbryt" if locale == "nb" else "Cancel", 24),
        "blocks": [
            {
                "type": "input",
                "block_id": TEXT_BLOCK,
                "label": _plain(question, 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": TEXT_INPUT,
                    "multiline": True,
                    "max_length": 3000,
                },
            }
        ],
    }


def parse_text_modal(view: dict[str, Any]) -> tuple[int, int, str] | None:
    """(pulse_id, question_id, text) from a submitted text modal; None if tampered with."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        pulse_id, question_id = int(meta["pulse_id"]), int(meta["question_id"])
    except (ValueError, KeyError, TypeError):
        return None
    values = (view.get("state") or {}).get("values") or {}
    text = ((values.get(TEXT_BLOCK) or {}).get(TEXT_INPUT) or {}).get("value") or ""
    return pulse_id, question_id, str(text)


# --- the creation modal (/cohort pulse) -----------------------------------------------------


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text, 75), "value": value}


@rendered
def build_pulse_modal(
    *, locale: str, audiences: list[tuple[str, str]], cohort_id: int | None
) -> dict[str, Any]:
    """The modal staff use to create a pulse: 1–3 questions, audience, timing, anonymity.

    Args:
        audiences: (label, value) pairs such as ("Hele kullet", "participants"),
            ("Klasse Bergen", "class:bergen"), ("Alumni", "alumni").
    """
    nb = locale == "nb"
    kind_labels = {
        "scale5": "Skala 1–5" if nb else "Scale 1–5",
        "nps": "Anbefaling 0–10" if nb else "Recommendation 0–10",
        "choice": "Ett valg" if nb else "Single choice",
        "text": "Fritekst" if nb else "Free text",
    }
    blocks: Blocks = [
        {
            "type": "input",
            "block_id": "title",
            "label": _plain("Tittel" if nb else "Title"),
            "element": {"type": "plain_text_input", "action_id": "value", "max_length": 200},
        }
    ]
    for n in (1, 2, 3):
        blocks.append(
            {
                "type": "input",
                "block_id": f"q{n}",
                "optional": n > 1,
                "label": _plain(f"Spørsmål {n}" if nb else f"Question {n}"),
                "element": {"type": "plain_text_input", "action_id": "value", "max_length": 500},
            }
        )
        blocks.append(
            {
                "type": "input",
                "block_id": f"q{n}_kind",
                "optional": n > 1,
                "label": _plain(f"Type spørsmål {n}" if nb else f"Kind of question {n}"),
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": [_option(kind_labels[k], k) for k in KINDS],
                    **(
                        {"initial_option": _option(kind_labels["scale5"], "scale5")}
                        if n == 1
                        else {}
                    ),
                },
            }
        )
        blocks.append(
            {
                "type": "input",
                "block_id": f"q{n}_choices",
                "optional": True,
                "label": _plain(
                    "Valg (ett per linje, for «ett valg»)"
                    if nb
                    else "Choices (one a line, for single choice)"
                ),
                "element": {"type": "plain_text_input", "action_id": "value", "multiline": True},
            }
        )
    blocks += [
        {
            "type": "input",
            "block_id": "audience",
            "label": _plain("Hvem spørres" if nb else "Who is asked"),
            "element": {
                "type": "static_select",
                "action_id": "value",
                "options": [_option(label, value) for label, value in audiences[:100]],
                **({"initial_option": _option(*audiences[0])} if audiences else {}),
            },
        },
        {
            "type": "input",
            "block_id": "closes_days",
            "label": _plain("Stenger etter (dager)" if nb else "Closes after (days)"),
            "element": {
                "type": "static_select",
                "action_id": "value",
                "options": [_option(str(d), str(d)) for d in CLOSE_DAYS],
                "initial_option": _option("7", "7"),
            },
        },
        {
            "type": "input",
            "block_id": "anonymous",
            "optional": True,
            "label": _plain("Anonymitet" if nb else "Anonymity"),
            "element": {
                "type": "checkboxes",
                "action_id": "value",
                "options": [_option("Anonym puls" if nb else "Anonymous pulse", "yes")],
                "initial_options": [_option("Anonym puls" if nb else "Anonymous pulse", "yes")],
            },
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": t("pulse.kind.anonymous", locale),
                }
            ],
        },
    ]
    return {
        "type": "modal",
        "callback_id": CREATE_CALLBACK,
        "private_metadata": json.dumps({"cohort_id": cohort_id}),
        "title": _plain("Ny puls" if nb else "New pulse", 24),
        "submit": _plain("Lag puls" if nb else "Create", 24),
        "close": _plain("Avbryt" if nb else "Cancel", 24),
        "blocks": blocks[:MAX_MODAL_BLOCKS],
    }


def _value(values: dict[str, Any], block: str) -> Any:
    element = (values.get(block) or {}).get("value") or {}
    if "selected_option" in element:
        return (element.get("selected_option") or {}).get("value")
    if "selected_options" in element:
        return [o.get("value") for o in element.get("selected_options") or []]
    return element.get("value")


def parse_pulse_modal(
    view: dict[str, Any], *, now: datetime
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """Return (arguments for bot.pulses.create_pulse, errors by block id) from a submitted modal."""
    values = (view.get("state") or {}).get("values") or {}
    errors: dict[str, str] = {}
    try:
        cohort_id = json.loads(view.get("private_metadata") or "{}").get("cohort_id")
    except ValueError:
        cohort_id = None
    questions: list[QuestionSpec] = []
    for n in (1, 2, 3):
        text = (_value(values, f"q{n}") or "").strip()
        kind = _value(values, f"q{n}_kind") or ("scale5" if text else None)
        if not text:
            continue
        if kind not in KINDS:
            errors[f"q{n}_kind"] = "Velg en type"
            continue
        choices = tuple(
            c.strip() for c in (_value(values, f"q{n}_choices") or "").splitlines() if c.strip()
        )
        if kind == "choice" and not 2 <= len(choices) <= 10:
            errors[f"q{n}_choices"] = "2–10 valg, ett per linje"
        if any(len(c) > 75 for c in choices):
            errors[f"q{n}_choices"] = "Hvert valg må få plass på en knapp (75 tegn)"
        questions.append(QuestionSpec(kind, text, choices if kind == "choice" else ()))
    if not questions:
        errors["q1"] = "Skriv minst ett spørsmål"
    title = (_value(values, "title") or "").strip()
    if not title:
        errors["title"] = "Skriv en tittel"
    audience = _value(values, "audience") or "participants"
    try:
        days = int(_value(values, "closes_days") or 7)
    except ValueError:
        days = 7
    if errors:
        return None, errors
    return (
        {
            "title": title,
            "questions": questions,
            "cohort_id": cohort_id,
            "audience": audience,
            "anonymous": "yes" in (_value(values, "anonymous") or []),
            "opens_at": now,
            "closes_at": now + timedelta(days=days),
        },
        {},
    )


# --- results ------------------------------------------------------------------------------


@rendered
def build_results_blocks(results: PulseResults, *, locale: str) -> Blocks:
    """The results message for staff: response rates per class, then each question."""
    k = results.min_group_size
    hidden = t("pulse.results.hidden", locale, k=k)
    blocks: Blocks = [
        {
            "type": "header",
            "text": _plain(t("pulse.results.title", locale, title=results.pulse.title)),
        }
    ]
    blocks.append(section("\n".join(response_lines(results, locale))))
    for qn in results.figures.questions:
        rows = []
        for gid, g in [*qn.groups.items(), ("total", qn.total)]:
            name = esc(results.group_name(gid, locale))
            if g.hidden:
                rows.append(f"*{name}*: {hidden}")
            elif qn.kind == "text":
                rows.append(f"*{name}*: n={g.n}")
            else:
                parts = [f"n={g.n}"]
                if qn.kind in ("scale5", "nps") and g.mean is not None:
                    parts.append(
                        t(
                            "pulse.results.mean",
                            locale,
                            mean=f"{g.mean:.2f}".replace(".", "," if locale == "nb" else "."),
                        )
                    )
                if qn.kind == "nps" and g.nps is not None:
                    parts.append(t("pulse.results.nps", locale, nps=f"{g.nps:g}"))
                if qn.kind == "choice":
                    parts += [
                        f"{esc(lab)}: {g.counts.get(c, 0)}"
                        for c, lab in zip(qn.categories, qn.category_labels, strict=True)
                    ]
                rows.append(f"*{name}*: " + " · ".join(parts))
        text = f"*{qn.position}. {esc(qn.text)}*\n" + "\n".join(rows)
        if qn.id in results.texts:
            shuffled = t("pulse.results.shuffled", locale) if results.pulse.anonymous else ""
            text += "\n" + t("pulse.results.texts", locale, shuffled=shuffled)
            # Free-text answers are people's words: quoted, never markup or a ping.
            text += "\n" + "\n".join(f"> {esc(x)}" for x in results.texts[qn.id])
        elif qn.id in results.hidden_texts:
            text += f"\n_{hidden}_"
        blocks.append(section(text))
    return blocks[:MAX_BLOCKS]
