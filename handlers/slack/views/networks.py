"""Modal submissions: the directory profile, and the two-step announcement (compose, confirm)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import broadcasts, networks
from bot.broadcasts import Audience
from bot.limits import PROFILE_LIMITS, too_long
from bot.messages import t
from bot.networks import InvalidRequest
from bot.people import NotAllowed
from bot.runtime import Runtime
from bot.text import short
from handlers.slack.blocks.networks import (
    VIEW_ANNOUNCE,
    VIEW_ANNOUNCE_CONFIRM,
    VIEW_PROFILE,
    build_announce_confirm,
)
from handlers.slack.context import actor_for

logger = logging.getLogger(__name__)


def _value(state: dict[str, Any], block_id: str) -> Any:
    """The submitted value of input block `block_id` (action id "value"), whatever its type."""
    element = (state.get(block_id) or {}).get("value") or {}
    kind = element.get("type")
    if kind == "plain_text_input":
        return (element.get("value") or "").strip()
    if kind in ("radio_buttons", "static_select"):
        return (element.get("selected_option") or {}).get("value")
    if kind in ("checkboxes", "multi_static_select"):
        return [o.get("value") for o in element.get("selected_options") or []]
    if kind == "datepicker":
        return element.get("selected_date")
    if kind == "timepicker":
        return element.get("selected_time")
    return element.get("value")


class FormErrors(Exception):
    """The form cannot be read: block id -> message key."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Announcement:
    """The compose modal, read into plain values."""

    audience: Audience
    text: str
    mode: str
    urgent: bool
    send_at: datetime | None  # None: now
    picked_day: date | None = None


def _send_at(day: str | None, clock: str | None, zone: ZoneInfo, now: datetime) -> datetime | None:
    """Read the date and time pickers as wall time in `zone`; a time alone means today."""
    if not day and not clock:
        return None
    if not clock:
        raise FormErrors({"when_time": "broadcast.error.no_time"})
    when_day = date.fromisoformat(day) if day else now.astimezone(zone).date()
    local = datetime.combine(when_day, time.fromisoformat(clock), tzinfo=zone)
    return local.astimezone(UTC)


def parse_announcement(view: dict[str, Any], *, zone: ZoneInfo, now: datetime) -> Announcement:
    """Read the compose modal; raise FormErrors for a date without a time."""
    state = (view.get("state") or {}).get("values") or {}
    audience = Audience.parse(
        _value(state, "audience") or "",
        counties=tuple(_value(state, "counties") or ()),
        service_areas=tuple(_value(state, "service_areas") or ()),
        roles=tuple(_value(state, "roles") or ()),
    )
    day = _value(state, "when_date")
    return Announcement(
        audience,
        _value(state, "text") or "",
        _value(state, "mode") or "dm",
        "urgent" in (_value(state, "urgent") or []),
        _send_at(day, _value(state, "when_time"), zone, now),
        date.fromisoformat(day) if day else None,
    )


def _problem_blocks(
    problems: dict[str, str], form: Announcement, zone: ZoneInfo, now: datetime
) -> dict[str, str]:
    """Put each problem on the block that caused it: a past day on the date, else the time."""
    blocks: dict[str, str] = {}
    for name, key in problems.items():
        if name == "when":
            past_day = form.picked_day is not None and form.picked_day < now.astimezone(zone).date()
            name = "when_date" if past_day else "when_time"
        blocks[name] = key
    return blocks


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Listen for the profile and announcement modals."""

    @app.view(VIEW_PROFILE)
    async def profile_saved(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        user_id = str(body.get("user", {}).get("id", ""))
        state = (body.get("view", {}).get("state") or {}).get("values") or {}
        fields: dict[str, str | None] = {}
        for name in ("project_title", "topics", "bio"):
            value = _value(state, name)
            fields[name] = value if isinstance(value, str) and value else None
        over = too_long(fields, PROFILE_LIMITS)
        if over:
            # The modal limits these in the browser; a forged submission is refused here,
            # field by field, and nothing is saved.
            actor = await actor_for(runtime, user_id)
            await ack(
                response_action="errors",
                errors={k: t("limits.too_long", actor.locale, n=n) for k, n in over.items()},
            )
            return
        await ack()
        actor = await actor_for(runtime, user_id)
        if actor.person_id is None:
            return
        async with runtime.db.transaction() as session:
            await networks.update_profile(
                session,
                person_id=actor.person_id,
                now=runtime.clock.now(),
                findable="yes" in (_value(state, "findable") or []),
                project_title=fields["project_title"],
                topics=fields["topics"],
                bio=fields["bio"],
            )
        from handlers.slack.home import publish_home

        await publish_home(runtime, client, user_id)

    @app.view(VIEW_ANNOUNCE)
    async def announce_preview(ack: AsyncAck, body: dict[str, Any]) -> None:
        # Resolving the audience is a few indexed queries: well inside the 3-second ack.
        actor = await actor_for(runtime, str(body.get("user", {}).get("id", "")))
        locale, zone, now = actor.locale, runtime.settings.zone, runtime.clock.now()

        async def refuse(errors: dict[str, str]) -> None:
            await ack(response_action="errors", errors={b: t(k, locale) for b, k in errors.items()})

        try:
            form = parse_announcement(body.get("view", {}), zone=zone, now=now)
            problems = broadcasts.check(
                form.audience, text=form.text, mode=form.mode, send_at=form.send_at, now=now
            )
            if problems:
                await refuse(_problem_blocks(problems, form, zone, now))
                return
            async with runtime.db.session() as session:
                preview = await broadcasts.preview(
                    session, actor=actor, audience=form.audience, mode=form.mode
                )
                audience_text = await broadcasts.audience_label(session, form.audience, locale)
        except FormErrors as exc:
            await refuse(exc.errors)
            return
        except NotAllowed:
            await refuse({"audience": "error.not_allowed"})
            return
        except InvalidRequest as exc:
            await ack(response_action="errors", errors={"audience": short(str(exc), 150)})
            return
        if not preview.recipients:
            await refuse({"audience": "broadcast.error.nobody"})
            return
        view = build_announce_confirm(
            audience=form.audience,
            text=form.text,
            mode=form.mode,
            urgent=form.urgent,
            send_at=int(form.send_at.timestamp()) if form.send_at else None,
            preview=preview,
            locale=locale,
            facts=broadcasts.preview_lines(
                preview,
                audience_text=audience_text,
                mode=form.mode,
                send_at=form.send_at,
                urgent=form.urgent,
                email_configured="email" in runtime.notifiers,
                locale=locale,
                tz=runtime.settings.timezone,
            ),
        )
        await ack(response_action="update", view=view)

    @app.view(VIEW_ANNOUNCE_CONFIRM)
    async def announce_send(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user_id = str(body.get("user", {}).get("id", ""))
        actor = await actor_for(runtime, user_id)
        view = body.get("view", {})
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
            spec = meta["audience"]
            audience = Audience(
                scope=spec["scope"],
                cohort=spec.get("cohort"),
                klass=spec.get("klass"),
                counties=tuple(spec.get("counties") or ()),
                service_areas=tuple(spec.get("service_areas") or ()),
                roles=tuple(spec.get("roles") or ()),
            )
            # Long texts do not fit the metadata; the preview's last block holds them whole.
            text = meta.get("text") or view["blocks"][-1]["text"]["text"]
            now = runtime.clock.now()
            when = datetime.fromtimestamp(meta["send_at"], UTC) if meta.get("send_at") else now
            async with runtime.db.transaction() as session:
                sent = await broadcasts.send(
                    session,
                    runtime.settings,
                    actor=actor,
                    audience=audience,
                    text=text,
                    mode=meta.get("mode", "dm"),
                    send_at=max(when, now),
                    urgent=bool(meta.get("urgent")),
                    now=now,
                )
        except NotAllowed:
            await client.chat_postMessage(
                channel=user_id, text=t("error.not_allowed", actor.locale)
            )
            return
        except (InvalidRequest, KeyError, ValueError, TypeError) as exc:
            # Only the domain's own explanation reaches a person, never Python's exception text.
            logger.warning("Failed to send an announcement (%s)", type(exc).__name__)
            text = t("error.generic", actor.locale)
            if type(exc) is InvalidRequest:
                text = t("error.refused", actor.locale, reason=short(str(exc), 200))
            await client.chat_postMessage(channel=user_id, text=text)
            return
        await client.chat_postMessage(
            channel=user_id,
            text=t("broadcast.queued", actor.locale, id=sent.id, count=sent.recipient_count),
        )
