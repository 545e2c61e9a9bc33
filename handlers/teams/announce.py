"""`kunngjøring` / `announce` in Teams: a card form (audience, text, date and time, urgent), a
preview card saying who it reaches and when, and Send, each step one Action.Execute.

Direct messages only (a channel post needs a Slack channel). The domain (bot.broadcasts)
checks staff, the audience, the text and the time, exactly as for Slack's modal.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from typing import Any

from bot.broadcasts import (
    Audience,
    audience_choices,
    audience_label,
    check,
    preview,
    preview_lines,
    send,
)
from bot.messages import t
from bot.networks import InvalidRequest
from bot.people import Actor, NotAllowed
from bot.runtime import Runtime
from bot.text import formatted
from handlers.teams.cards import execute_action, text_block
from handlers.teams.text import to_plain

logger = logging.getLogger(__name__)

PREVIEW_VERB = "announce.preview"
SEND_VERB = "announce.send"
MAX_CHOICES = 100


def form_card(
    choices: list[tuple[str, str]], locale: str, values: dict[str, Any]
) -> dict[str, Any]:
    """The announcement form: audience, text, date, time, urgent, and Preview."""
    label = lambda key: to_plain(t(key, locale))  # noqa: E731 - a short local helper
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": label("broadcast.modal.title"),
            "size": "Large",
            "weight": "Bolder",
            "wrap": True,
            "style": "heading",
        },
        {
            "type": "Input.ChoiceSet",
            "id": "audience",
            "label": label("broadcast.modal.audience"),
            "style": "compact",
            "isRequired": True,
            "choices": [{"title": title, "value": spec} for spec, title in choices],
            "value": str(values.get("audience") or (choices[0][0] if choices else "")),
        },
        {
            "type": "Input.Text",
            "id": "text",
            "label": label("broadcast.modal.text"),
            "isMultiline": True,
            "maxLength": 3000,
            "isRequired": True,
            "value": str(values.get("text") or ""),
        },
        {
            "type": "Input.Date",
            "id": "date",
            "label": label("broadcast.modal.when"),
            "value": str(values.get("date") or ""),
        },
        {
            "type": "Input.Time",
            "id": "time",
            "label": label("broadcast.modal.when_time"),
            "value": str(values.get("time") or ""),
        },
        {
            "type": "Input.Toggle",
            "id": "urgent",
            "title": label("broadcast.modal.urgent"),
            "value": str(values.get("urgent") or "false"),
            "valueOn": "true",
            "valueOff": "false",
        },
    ]
    if values.get("problem"):
        body.append(text_block(f"⚠ {values['problem']}", color="Attention"))
    action = execute_action(PREVIEW_VERB, t("broadcast.modal.next", locale), {})
    action["associatedInputs"] = "Auto"
    body.append({"type": "ActionSet", "actions": [action]})
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": body,
    }


def preview_card(lines: list[str], locale: str, values: dict[str, Any]) -> dict[str, Any]:
    """Who it reaches and when, the text as it will read, and Send."""
    keep = {k: values.get(k) for k in ("audience", "text", "date", "time", "urgent")}
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": [
            {
                "type": "TextBlock",
                "text": to_plain(t("broadcast.modal.title", locale)),
                "size": "Large",
                "weight": "Bolder",
                "wrap": True,
                "style": "heading",
            },
            text_block("\n".join(lines)),
            # Rendered as recipients will see it: staff's bold and italic, never a link.
            text_block(formatted(str(keep["text"] or "")), isSubtle=True),
            {
                "type": "ActionSet",
                "actions": [
                    execute_action(
                        SEND_VERB,
                        t("broadcast.modal.send", locale),
                        keep,
                        style={"style": "positive"},
                    )
                ],
            },
        ],
    }


def send_at_of(values: dict[str, Any], *, now: datetime, tz: Any) -> datetime | None:
    """The chosen time in the programme's zone; None for "now". ValueError when malformed."""
    raw_date, raw_time = (
        str(values.get("date") or "").strip(),
        str(values.get("time") or "").strip(),
    )
    if not raw_date and not raw_time:
        return None
    day = date.fromisoformat(raw_date) if raw_date else now.astimezone(tz).date()
    clock = time.fromisoformat(raw_time) if raw_time else time(9, 0)
    return datetime.combine(day, clock, tzinfo=tz)


async def open_form(
    runtime: Runtime, actor: Actor, values: dict[str, Any] | None = None
) -> dict[str, Any]:
    async with runtime.db.session() as session:
        offered = await audience_choices(session, actor=actor, limit=MAX_CHOICES)
        choices = [
            (c.spec, await audience_label(session, Audience.parse(c.spec), actor.locale))
            for c in offered.audiences
        ]
    return form_card(choices, actor.locale, values or {})


async def on_preview(runtime: Runtime, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    locale, settings, now = actor.locale, runtime.settings, runtime.clock.now()
    try:
        audience = Audience.parse(str(data.get("audience") or ""))
        send_at = send_at_of(data, now=now, tz=settings.zone)
    except ValueError:
        return await open_form(runtime, actor, {**data, "problem": t("error.generic", locale)})
    problems = check(
        audience, text=str(data.get("text") or ""), mode="dm", send_at=send_at, now=now
    )
    if problems:
        problem = " ".join(t(key, locale) for key in problems.values())
        return await open_form(runtime, actor, {**data, "problem": problem})
    urgent = str(data.get("urgent") or "false").lower() == "true"
    async with runtime.db.session() as session:
        found = await preview(session, actor=actor, audience=audience, mode="dm")
        label = await audience_label(session, audience, locale)
    if not found.recipients:
        return await open_form(
            runtime, actor, {**data, "problem": t("broadcast.error.nobody", locale)}
        )
    lines = preview_lines(
        found,
        audience_text=label,
        mode="dm",
        send_at=send_at,
        urgent=urgent,
        email_configured=bool(settings.smtp_url),
        locale=locale,
        tz=settings.timezone,
    )
    teams = found.by_transport.get("teams", 0)
    if teams:
        lines.append(f"Teams: {teams}")
    return preview_card(lines, locale, data)


async def on_send(runtime: Runtime, actor: Actor, data: dict[str, Any]) -> str:
    locale, settings, now = actor.locale, runtime.settings, runtime.clock.now()
    try:
        audience = Audience.parse(str(data.get("audience") or ""))
        send_at = send_at_of(data, now=now, tz=settings.zone) or now
        async with runtime.db.transaction() as session:
            broadcast = await send(
                session,
                settings,
                actor=actor,
                audience=audience,
                text=str(data.get("text") or ""),
                mode="dm",
                send_at=send_at,
                urgent=str(data.get("urgent") or "false").lower() == "true",
                actor_label=f"person:{actor.person_id}",
                now=now,
            )
            found = await preview(session, actor=actor, audience=audience, mode="dm")
    except NotAllowed:
        return t("error.not_allowed", locale)
    except (InvalidRequest, ValueError) as exc:
        logger.info("Refused an announcement from Teams: %s", exc)
        return t("error.generic", locale)
    return t("broadcast.queued", locale, count=found.count, id=broadcast.id)
