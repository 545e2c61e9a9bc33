"""Modal submissions: the directory profile, and the two-step announcement (compose, confirm)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import broadcasts, networks
from bot.broadcasts import Audience
from bot.messages import t
from bot.networks import InvalidRequest
from bot.people import NotAllowed
from bot.runtime import Runtime
from handlers.blocks.networks import (
    VIEW_ANNOUNCE,
    VIEW_ANNOUNCE_CONFIRM,
    VIEW_PROFILE,
    build_announce_confirm,
)
from handlers.context import actor_for

logger = logging.getLogger(__name__)


def _value(state: dict[str, Any], block_id: str) -> Any:
    """The submitted value of input block `block_id` (action id "value"), whatever its type."""
    element = (state.get(block_id) or {}).get("value") or {}
    kind = element.get("type")
    if kind == "plain_text_input":
        return (element.get("value") or "").strip()
    if kind == "radio_buttons":
        return (element.get("selected_option") or {}).get("value")
    if kind == "checkboxes":
        return [o.get("value") for o in element.get("selected_options") or []]
    if kind == "datetimepicker":
        return element.get("selected_date_time")
    return element.get("value")


def _csv(text: str | None) -> tuple[str, ...]:
    return tuple(x.strip() for x in (text or "").split(",") if x.strip())


def parse_announcement(view: dict[str, Any]) -> tuple[Audience, str, str, bool, int | None]:
    """Read the compose modal into (audience, text, mode, urgent, send_at epoch seconds)."""
    state = (view.get("state") or {}).get("values") or {}
    audience = Audience.parse(
        _value(state, "audience") or "",
        counties=_csv(_value(state, "counties")),
        service_areas=_csv(_value(state, "service_areas")),
        roles=_csv(_value(state, "roles")),
    )
    when = _value(state, "when")
    return (
        audience,
        _value(state, "text") or "",
        _value(state, "mode") or "dm",
        "urgent" in (_value(state, "urgent") or []),
        int(when) if when else None,
    )


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Listen for the profile and announcement modals."""

    @app.view(VIEW_PROFILE)
    async def profile_saved(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user_id = str(body.get("user", {}).get("id", ""))
        actor = await actor_for(runtime, user_id)
        if actor.person_id is None:
            return
        state = (body.get("view", {}).get("state") or {}).get("values") or {}
        async with runtime.db.transaction() as session:
            await networks.update_profile(
                session,
                person_id=actor.person_id,
                now=runtime.clock.now(),
                findable="yes" in (_value(state, "findable") or []),
                project_title=_value(state, "project_title") or None,
                topics=_value(state, "topics") or None,
                bio=_value(state, "bio") or None,
            )
        from handlers.home import publish_home

        await publish_home(runtime, client, user_id)

    @app.view(VIEW_ANNOUNCE)
    async def announce_preview(ack: AsyncAck, body: dict[str, Any]) -> None:
        # Resolving the audience is a few indexed queries: well inside the 3-second ack.
        actor = await actor_for(runtime, str(body.get("user", {}).get("id", "")))
        try:
            audience, text, mode, urgent, send_at = parse_announcement(body.get("view", {}))
            if not text:
                raise InvalidRequest(t("broadcast.modal.text", actor.locale))
            async with runtime.db.session() as session:
                preview = await broadcasts.preview(
                    session, actor=actor, audience=audience, mode=mode
                )
        except NotAllowed:
            await ack(
                response_action="errors", errors={"audience": t("error.not_allowed", actor.locale)}
            )
            return
        except InvalidRequest as exc:
            await ack(response_action="errors", errors={"audience": str(exc)[:150]})
            return
        view = build_announce_confirm(
            audience=audience,
            text=text,
            mode=mode,
            urgent=urgent,
            send_at=send_at,
            preview=preview,
            locale=actor.locale,
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
                )
        except NotAllowed:
            await client.chat_postMessage(
                channel=user_id, text=t("error.not_allowed", actor.locale)
            )
            return
        except (InvalidRequest, KeyError, ValueError, TypeError) as exc:
            logger.warning("Failed to send an announcement: %s", exc)
            await client.chat_postMessage(
                channel=user_id, text=f"{t('error.generic', actor.locale)} ({exc})"
            )
            return
        await client.chat_postMessage(
            channel=user_id,
            text=t("broadcast.queued", actor.locale, id=sent.id, count=sent.recipient_count),
        )
