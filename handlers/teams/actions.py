"""Card clicks: `Action.Execute` (Universal Actions; the invoke answers with the updated card,
so the person sees their answer at once) and the `Action.Submit` fallback (the card is updated
in place, or a confirmation sent). Verbs are the neutral buttons' action ids.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from bot.assignments import AssignmentNotFound, NotParticipant, mark_done, save_reflection
from bot.identities import delivered_message
from bot.line_managers import NotYourNudge, NudgeNotFound, answer_nudge, outcome_text
from bot.messages import format_when, t
from bot.notifier import OutgoingMessage
from bot.people import Actor
from bot.pulses import PulseError, parse_answer_value, record_answer
from bot.runtime import Runtime
from handlers.teams import networks as network_cards
from handlers.teams.cards import CONTENT_TYPE, PULSE_TEXT_VERB, build_card, text_card
from handlers.teams.context import identify, incoming
from handlers.teams.install import card_activity
from handlers.teams.replies import reply_card

logger = logging.getLogger(__name__)

NUDGE = re.compile(r"^nudge_answer_(done|later|cannot)$")
PULSE = re.compile(r"^pulse\.answer\.\d+\.\d+$")
VERBS = (
    re.compile(r"^assignment_done$"),
    re.compile(r"^assignment_reflect$"),
    NUDGE,
    PULSE,
    re.compile(rf"^{re.escape(PULSE_TEXT_VERB)}$"),
    *network_cards.VERBS,
)


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _section(data: dict[str, Any]) -> int | None:
    return _int(data.get("section"))


async def _assignment_done(runtime: Runtime, actor: Actor, data: dict[str, Any]) -> str:
    locale = actor.locale
    assignment_id = _int(data.get("value"))
    if assignment_id is None or actor.person_id is None:
        return t("assignment.unknown", locale)
    try:
        async with runtime.db.transaction() as session:
            result = await mark_done(session, assignment_id, actor.person_id, runtime.clock.now())
    except AssignmentNotFound:
        return t("assignment.unknown", locale)
    except NotParticipant:
        return t("assignment.not_for_you", locale)
    title = result.assignment.title
    if result.newly_done:
        return t("assignment.done.recorded", locale, title=title)
    when = format_when(result.done_at, locale, runtime.settings.timezone)
    return t("assignment.done.already", locale, title=title, when=when)


async def _reflection(runtime: Runtime, actor: Actor, data: dict[str, Any]) -> str:
    locale = actor.locale
    assignment_id = _int(data.get("value"))
    section = _section(data)
    text = str(data.get(f"reflection_{section}") or "").strip()
    shareable = str(data.get(f"shareable_{section}") or "false").lower() == "true"
    if assignment_id is None or actor.person_id is None:
        return t("assignment.unknown", locale)
    if not text:
        return t("assignment.reflection.empty", locale)
    try:
        async with runtime.db.transaction() as session:
            await save_reflection(
                session, assignment_id, actor.person_id, text, shareable, runtime.clock.now()
            )
    except AssignmentNotFound:
        return t("assignment.unknown", locale)
    except NotParticipant:
        return t("assignment.not_for_you", locale)
    except ValueError:
        return t("assignment.reflection.empty", locale)
    return t("assignment.reflection.saved", locale)


async def _nudge(runtime: Runtime, actor: Actor, verb: str, data: dict[str, Any]) -> str:
    locale = actor.locale
    raw_id, _, answer = str(data.get("value") or "").partition(":")
    match = NUDGE.match(verb)
    if not raw_id.isdigit() or match is None or answer != match.group(1):
        return t("error.generic", locale)
    try:
        async with runtime.db.transaction() as session:
            outcome = await answer_nudge(
                session,
                int(raw_id),
                answer,
                "teams",
                runtime.clock.now(),
                settings=runtime.settings,
                by_person_id=actor.person_id,
            )
    except (NotYourNudge, NudgeNotFound):
        return t("nudge.not_yours", locale)
    return outcome_text(outcome, locale)


async def _pulse(runtime: Runtime, actor: Actor, verb: str, data: dict[str, Any]) -> str:
    locale = actor.locale
    value: int | None
    text: str | None = None
    try:
        if verb == PULSE_TEXT_VERB:
            raw_pulse, _, raw_question = str(data.get("value") or "").partition(":")
            pulse_id, question_id = int(raw_pulse), int(raw_question)
            value = None
            text = str(data.get(f"answer_text_{_section(data)}") or "")
        else:
            pulse_id, question_id, value = parse_answer_value(str(data.get("value") or ""))
    except (PulseError, ValueError):
        return t("pulse.answer.invalid", locale)
    assert actor.person_id is not None
    async with runtime.db.transaction() as session:
        outcome = await record_answer(
            session,
            pulse_id,
            actor.person_id,
            question_id,
            value,
            text,
            now=runtime.clock.now(),
            settings=runtime.settings,
            locale=locale,
        )
    # The message never carries the chosen value for an anonymous pulse (see bot.pulses).
    return outcome.message


async def answer(runtime: Runtime, actor: Actor, verb: str, data: dict[str, Any]) -> str:
    """Do what the click asks; the confirmation (or refusal) text in the person's language."""
    if actor.person is None:
        return t("error.unknown_user", actor.locale)
    if verb == "assignment_done":
        return await _assignment_done(runtime, actor, data)
    if verb == "assignment_reflect":
        return await _reflection(runtime, actor, data)
    if NUDGE.match(verb):
        return await _nudge(runtime, actor, verb, data)
    if network_cards.is_network_verb(verb):
        return await network_cards.answer(runtime, actor, verb, data)
    return await _pulse(runtime, actor, verb, data)


async def updated_card(
    runtime: Runtime, actor: Actor, data: dict[str, Any], note: str
) -> dict[str, Any]:
    """The card the person clicked, rebuilt from the outbox with the answer under its question.

    Other questions answered earlier on this card keep an "Answered" mark (which ones travels
    in the card's data, never what was answered).
    """
    key = str(data.get("delivery") or "")
    section = _section(data)
    stored = None
    if key:
        async with runtime.db.session() as session:
            stored = await delivered_message(session, key=key, person_id=actor.person_id)
    if stored is None or section is None:
        return text_card(note)
    try:
        message = OutgoingMessage.from_json(stored)
    except Exception:
        return text_card(note)
    earlier = {i for i in (_int(x) for x in data.get("answered") or []) if i is not None}
    notes = {i: t("teams.answered", actor.locale) for i in earlier if i != section}
    notes[section] = note
    answered = sorted(earlier | {section})
    return build_card(message, notes=notes, carry={"delivery": key, "answered": answered})


def _data(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def register(teams: Any, runtime: Runtime) -> None:
    agent = teams.agent
    from microsoft_agents.activity import AdaptiveCardInvokeResponse

    async def handle(context: Any, verb: str, data: dict[str, Any]) -> dict[str, Any]:
        actor = await identify(runtime, teams.connector, incoming(context.activity))
        note = await answer(runtime, actor, verb, data)
        return await updated_card(runtime, actor, data, note)

    from handlers.teams import announce

    def card_response(card: dict[str, Any]) -> Any:
        return AdaptiveCardInvokeResponse(status_code=HTTPStatus.OK, type=CONTENT_TYPE, value=card)

    async def staff_card(context: Any, verb: str, data: dict[str, Any]) -> dict[str, Any]:
        actor = await identify(runtime, teams.connector, incoming(context.activity))
        if not actor.is_staff:
            return text_card(t("error.not_allowed", actor.locale))
        if verb == announce.PREVIEW_VERB:
            return await announce.on_preview(runtime, actor, data)
        return text_card(await announce.on_send(runtime, actor, data))

    for verb in (announce.PREVIEW_VERB, announce.SEND_VERB):

        @agent.adaptive_card.action_execute(verb)
        async def on_announce(context: Any, _state: Any, data: Any) -> Any:
            chosen = str(context.activity.value.get("action", {}).get("verb", ""))
            return card_response(await staff_card(context, chosen, _data(data)))

        @agent.adaptive_card.action_submit(verb)
        async def on_announce_submit(context: Any, _state: Any, data: Any) -> None:
            values = _data(data)
            card = await staff_card(context, str(values.get("verb", "")), values)
            await reply_card(teams, context.activity, card)

    from handlers.teams import profile

    async def profile_card(context: Any, data: dict[str, Any]) -> dict[str, Any]:
        actor = await identify(runtime, teams.connector, incoming(context.activity))
        if actor.person is None:
            return text_card(t("error.unknown_user", actor.locale))
        return await profile.save_profile(runtime, actor, data)

    @agent.adaptive_card.action_execute(profile.SAVE_VERB)
    async def on_profile(context: Any, _state: Any, data: Any) -> Any:
        return card_response(await profile_card(context, _data(data)))

    @agent.adaptive_card.action_submit(profile.SAVE_VERB)
    async def on_profile_submit(context: Any, _state: Any, data: Any) -> None:
        await reply_card(teams, context.activity, await profile_card(context, _data(data)))

    for pattern in VERBS:

        @agent.adaptive_card.action_execute(pattern)
        async def on_execute(context: Any, _state: Any, data: Any) -> Any:
            verb = str(context.activity.value.get("action", {}).get("verb", ""))
            card = await handle(context, verb, _data(data))
            return AdaptiveCardInvokeResponse(
                status_code=HTTPStatus.OK, type=CONTENT_TYPE, value=card
            )

        @agent.adaptive_card.action_submit(pattern)
        async def on_submit(context: Any, _state: Any, data: Any) -> None:
            values = _data(data)
            card = await handle(context, str(values.get("verb", "")), values)
            reply_to = getattr(context.activity, "reply_to_id", None)
            update = card_activity(card)
            if reply_to:
                update.id = reply_to
                try:
                    await context.update_activity(update)
                    return
                except Exception:
                    logger.warning("Failed to update a Teams card in place; sending a new one")
            await reply_card(teams, context.activity, card)
