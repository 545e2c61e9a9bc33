"""The assignments and nudges sections."""

from __future__ import annotations

import yaml

from bot.plan.fields import _items, _minutes_text, _reminders, _Times, _title, _unique_key, _url
from bot.plan.model import NUDGE_KINDS, AssignmentPlan, NudgePlan
from bot.plan.reader import _Reader


def _assignments(
    reader: _Reader, root: dict[str, yaml.Node], times: _Times
) -> list[AssignmentPlan]:
    out: list[AssignmentPlan] = []
    seen: dict[str, int] = {}
    for node, where in _items(reader, root, "assignments"):
        fields = reader.mapping(
            node,
            where,
            required=("key", "title", "release", "due"),
            optional=("description", "url", "line_manager", "reminders", "session"),
        )
        if fields is None:
            continue
        key = _unique_key(reader, fields, where, seen, "assignment key")
        title = _title(reader, fields, where)
        description = (
            reader.text(
                fields["description"], f"{where}.description", max_length=20_000, allow_empty=True
            )
            if "description" in fields
            else ""
        )
        url = _url(reader, fields.get("url"), f"{where}.url")
        release = times.when(fields["release"], f"{where}.release") if "release" in fields else None
        due = times.when(fields["due"], f"{where}.due") if "due" in fields else None
        line_manager = (
            reader.boolean(fields["line_manager"], f"{where}.line_manager")
            if "line_manager" in fields
            else False
        )
        reminders = _reminders(reader, fields.get("reminders"), f"{where}.reminders")
        session_key = (
            times.session_ref(fields["session"], f"{where}.session")
            if "session" in fields
            else None
        )
        if release and due and due[0] <= release[0]:
            reader.error(fields["due"], f"{where}.due: must be after the release ({where}.release)")
            continue
        if release and due and reminders:
            window = (due[0] - release[0]).total_seconds() / 60
            for offset in reminders:
                if offset >= window:
                    reader.error(
                        fields["reminders"],
                        f"{where}.reminders: a reminder {_minutes_text(offset)} before the due "
                        "time falls before the release",
                    )
                    break
        if None in (key, title, description, release, due, line_manager, reminders):
            continue
        assert key and title and release and due and reminders is not None
        out.append(
            AssignmentPlan(
                key=key,
                title=title,
                description=description or "",
                url=url,
                release_at=release[0],
                due_at=due[0],
                line_manager=bool(line_manager),
                reminder_offsets=reminders,
                session_key=session_key or release[1],
            )
        )
    return out


def _nudges(
    reader: _Reader,
    root: dict[str, yaml.Node],
    times: _Times,
    assignment_keys: set[str],
    given_assignment_keys: set[str],
) -> list[NudgePlan]:
    out: list[NudgePlan] = []
    seen: dict[str, int] = {}
    for node, where in _items(reader, root, "nudges"):
        fields = reader.mapping(
            node,
            where,
            required=("key", "kind", "title", "text", "send"),
            optional=("respond_by", "assignment", "session"),
        )
        if fields is None:
            continue
        key = _unique_key(reader, fields, where, seen, "nudge key")
        kind = (
            reader.scalar(fields["kind"], f"{where}.kind", "a nudge kind")
            if "kind" in fields
            else None
        )
        if kind is not None and kind not in NUDGE_KINDS:
            reader.error(
                fields["kind"],
                f"{where}.kind: unknown kind '{kind}'; expected one of: {', '.join(NUDGE_KINDS)}",
            )
            kind = None
        title = _title(reader, fields, where)
        text = (
            reader.text(fields["text"], f"{where}.text", max_length=3000)
            if "text" in fields
            else None
        )
        send = times.when(fields["send"], f"{where}.send") if "send" in fields else None
        respond_by = (
            times.when(fields["respond_by"], f"{where}.respond_by")
            if "respond_by" in fields
            else None
        )
        assignment_key: str | None = None
        if "assignment" in fields:
            assignment_key = reader.scalar(
                fields["assignment"], f"{where}.assignment", "an assignment key"
            )
            if assignment_key is not None and assignment_key not in given_assignment_keys:
                reader.error(
                    fields["assignment"],
                    f"{where}.assignment: reference to unknown assignment '{assignment_key}'; "
                    f"expected one of: {', '.join(sorted(given_assignment_keys)) or 'no assignments'}",
                )
                assignment_key = None
            elif assignment_key not in assignment_keys:
                assignment_key = None  # that assignment has its own errors
        session_key = (
            times.session_ref(fields["session"], f"{where}.session")
            if "session" in fields
            else None
        )
        if kind == "assignment" and "assignment" not in fields:
            reader.error(node, f"{where}: a nudge of kind 'assignment' needs 'assignment: <key>'")
        if kind == "session" and "session" not in fields:
            reader.error(node, f"{where}: a nudge of kind 'session' needs 'session: <number>'")
        if send and respond_by and respond_by[0] <= send[0]:
            reader.error(fields["respond_by"], f"{where}.respond_by: must be after 'send'")
            continue
        if None in (key, kind, title, text, send):
            continue
        if kind == "assignment" and assignment_key is None:
            continue
        if kind == "session" and session_key is None:
            continue
        assert key and kind and title and text and send
        out.append(
            NudgePlan(
                key=key,
                kind=kind,
                title=title,
                text=text,
                send_at=send[0],
                respond_by=respond_by[0] if respond_by else None,
                assignment_key=assignment_key,
                session_key=session_key,
            )
        )
    return out
