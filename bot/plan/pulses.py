"""The pulses section: audiences and questions."""

from __future__ import annotations

import yaml

from bot.plan.fields import _items, _Times, _title, _unique_key
from bot.plan.model import (
    AUDIENCES,
    MAX_CHOICES,
    MAX_QUESTIONS,
    QUESTION_KINDS,
    PulsePlan,
    QuestionPlan,
)
from bot.plan.reader import _Reader


def _pulses(
    reader: _Reader, root: dict[str, yaml.Node], times: _Times, class_keys: set[str]
) -> list[PulsePlan]:
    out: list[PulsePlan] = []
    seen: dict[str, int] = {}
    for node, where in _items(reader, root, "pulses"):
        fields = reader.mapping(
            node,
            where,
            required=("key", "title", "opens", "closes", "questions"),
            optional=("anonymous", "audience", "reminder", "session"),
        )
        if fields is None:
            continue
        key = _unique_key(reader, fields, where, seen, "pulse key")
        title = _title(reader, fields, where)
        anonymous = (
            reader.boolean(fields["anonymous"], f"{where}.anonymous")
            if "anonymous" in fields
            else True
        )
        audience: str | None = "participants"
        if "audience" in fields:
            audience = reader.scalar(fields["audience"], f"{where}.audience", "an audience")
            if audience is not None:
                audience = _audience(
                    reader, fields["audience"], f"{where}.audience", audience, class_keys
                )
        opens = times.when(fields["opens"], f"{where}.opens") if "opens" in fields else None
        closes = times.when(fields["closes"], f"{where}.closes") if "closes" in fields else None
        reminder = (
            times.when(fields["reminder"], f"{where}.reminder") if "reminder" in fields else None
        )
        session_key = (
            times.session_ref(fields["session"], f"{where}.session")
            if "session" in fields
            else None
        )
        questions = (
            _questions(reader, fields["questions"], where) if "questions" in fields else None
        )
        if opens and closes and closes[0] <= opens[0]:
            reader.error(fields["closes"], f"{where}.closes: must be after 'opens'")
            continue
        if opens and closes and reminder and not (opens[0] < reminder[0] < closes[0]):
            reader.error(
                fields["reminder"], f"{where}.reminder: must be after 'opens' and before 'closes'"
            )
            continue
        if None in (key, title, anonymous, audience, opens, closes, questions):
            continue
        assert key and title and audience and opens and closes and questions
        out.append(
            PulsePlan(
                key=key,
                title=title,
                anonymous=bool(anonymous),
                audience=audience,
                opens_at=opens[0],
                closes_at=closes[0],
                reminder_at=reminder[0] if reminder else None,
                session_key=session_key or opens[1],
                questions=questions,
            )
        )
    return out


def _audience(
    reader: _Reader, node: yaml.Node, where: str, value: str, class_keys: set[str]
) -> str | None:
    if value in ("participants", "alumni"):
        return value
    if value.startswith("class:"):
        key = value.removeprefix("class:")
        if key in class_keys:
            return value
        reader.error(
            node,
            f"{where}: reference to unknown class '{key}'; expected one of: "
            + ", ".join(sorted(class_keys)),
        )
        return None
    reader.error(
        node, f"{where}: unknown audience '{value}'; expected one of: {', '.join(AUDIENCES)}"
    )
    return None


def _questions(reader: _Reader, node: yaml.Node, where: str) -> tuple[QuestionPlan, ...] | None:
    items = reader.sequence(node, f"{where}.questions")
    if items is None:
        return None
    if not 1 <= len(items) <= MAX_QUESTIONS:
        reader.error(
            node, f"{where}.questions: expected 1 to {MAX_QUESTIONS} questions, got {len(items)}"
        )
        return None
    out: list[QuestionPlan] = []
    ok = True
    for index, item in enumerate(items, start=1):
        q_where = f"{where}.questions[{index}]"
        fields = reader.mapping(item, q_where, required=("kind", "text"), optional=("choices",))
        if fields is None:
            ok = False
            continue
        kind = (
            reader.scalar(fields["kind"], f"{q_where}.kind", "a question kind")
            if "kind" in fields
            else None
        )
        if kind is not None and kind not in QUESTION_KINDS:
            reader.error(
                fields["kind"],
                f"{q_where}.kind: unknown question kind '{kind}'; expected one of: "
                + ", ".join(QUESTION_KINDS),
            )
            kind = None
        text = (
            reader.text(fields["text"], f"{q_where}.text", max_length=500)
            if "text" in fields
            else None
        )
        choices: tuple[str, ...] = ()
        if "choices" in fields:
            if kind is not None and kind != "choice":
                reader.error(
                    fields["choices"], f"{q_where}.choices: only a 'choice' question has choices"
                )
                ok = False
            else:
                raw = reader.sequence(fields["choices"], f"{q_where}.choices")
                values = [reader.text(c, f"{q_where}.choices", max_length=75) for c in raw or []]
                if raw is None or None in values:
                    ok = False
                elif not 2 <= len(values) <= MAX_CHOICES:
                    reader.error(
                        fields["choices"],
                        f"{q_where}.choices: expected 2 to {MAX_CHOICES} choices, got {len(values)}",
                    )
                    ok = False
                elif len(set(values)) != len(values):
                    reader.error(fields["choices"], f"{q_where}.choices: a choice is given twice")
                    ok = False
                else:
                    choices = tuple(v for v in values if v is not None)
        elif kind == "choice":
            reader.error(
                item, f"{q_where}: a 'choice' question needs 'choices: [..]' (2 to {MAX_CHOICES})"
            )
            ok = False
        if kind is None or text is None:
            ok = False
            continue
        out.append(QuestionPlan(kind, text, choices))
    return tuple(out) if ok else None
