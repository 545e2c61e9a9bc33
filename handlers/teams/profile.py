"""`profil` / `profile` and `matching` in Teams: what Slack's App Home offers for networks.

- `profil` opens a card form with the directory profile (findable, project, topics, about
  you), saved with one Action.Execute and redrawn with "saved" under it; choosing to be
  findable is a consent decision, recorded by the domain with the words of the toggle.
- `matching av|på` (`matching off|on`) and `matching pause DATE` turn peer matching off, on,
  or pause it until a day (YYYY-MM-DD or DD.MM.YYYY), in every network the person is in.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from bot import networks
from bot.limits import PROFILE_LIMITS
from bot.messages import format_day, t
from bot.networks import InvalidRequest
from bot.people import Actor
from bot.runtime import Runtime
from handlers.teams.cards import execute_action, text_block
from handlers.teams.text import to_plain

SAVE_VERB = "profile.save"
FIELDS = ("project_title", "topics", "bio")
OFF = ("av", "off", "stopp", "stop")
ON = ("på", "on", "start")
DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$|^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def profile_card(person: Any, locale: str, note: str | None = None) -> dict[str, Any]:
    """The profile form, filled with the person's own words (inputs show them as written)."""
    label = lambda key: to_plain(t(key, locale))  # noqa: E731 - a short local helper
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": label("networks.profile.title"),
            "size": "Large",
            "weight": "Bolder",
            "wrap": True,
            "style": "heading",
        },
        {
            "type": "Input.Toggle",
            "id": "findable",
            "label": label("networks.profile.findable_label"),
            "title": label("networks.profile.findable"),
            "value": "true" if person.findable else "false",
            "valueOn": "true",
            "valueOff": "false",
        },
    ]
    for name in FIELDS:
        body.append(
            {
                "type": "Input.Text",
                "id": name,
                "label": label(f"networks.profile.{name}"),
                "isMultiline": name == "bio",
                "maxLength": PROFILE_LIMITS[name],
                "value": str(getattr(person, name) or "")[: PROFILE_LIMITS[name]],
            }
        )
    action = execute_action(SAVE_VERB, t("networks.profile.save", locale), {})
    action["associatedInputs"] = "Auto"
    body.append({"type": "ActionSet", "actions": [action]})
    if note:
        body.append(text_block(f"✅ {note}", isSubtle=True, spacing="Small"))
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": body,
    }


async def open_profile(runtime: Runtime, actor: Actor) -> dict[str, Any]:
    async with runtime.db.session() as session:
        person = await networks.own_person(session, person_id=actor.known_id)
    if person is None:
        return profile_card_error(actor.locale)
    return profile_card(person, actor.locale)


def profile_card_error(locale: str) -> dict[str, Any]:
    from handlers.teams.cards import text_card

    return text_card(t("error.unknown_user", locale))


async def save_profile(runtime: Runtime, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """Save what the form sent; the form again with "saved" (or why not) under it."""
    if actor.person_id is None:
        return profile_card_error(actor.locale)
    findable = str(data.get("findable") or "false").lower() == "true"
    fields = {name: str(data.get(name) or "") for name in FIELDS}
    note = t("networks.profile.saved", actor.locale)
    person: Any
    try:
        async with runtime.db.transaction() as session:
            person = await networks.update_profile(
                session,
                person_id=actor.person_id,
                now=runtime.clock.now(),
                findable=findable,
                via="teams",
                **fields,
            )
    except InvalidRequest as exc:
        # A forged form (the card's own inputs stop over-long text): nothing was saved.
        note = t("error.refused", actor.locale, reason=str(exc)[:200])
        async with runtime.db.session() as session:
            person = await networks.own_person(session, person_id=actor.person_id)
    if person is None:
        return profile_card_error(actor.locale)
    return profile_card(person, actor.locale, note)


def parse_day(text: str) -> date | None:
    match = DAY.match(text.strip())
    if match is None:
        return None
    try:
        if match.group(1):
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        return date(int(match.group(6)), int(match.group(5)), int(match.group(4)))
    except ValueError:
        return None


async def _matching(runtime: Runtime, actor: Actor, args: str) -> str:
    locale = actor.locale
    word, _, rest = args.strip().lower().partition(" ")
    try:
        if word in OFF or word in ON:
            async with runtime.db.transaction() as session:
                count = await networks.set_matching(
                    session, person_id=actor.known_id, opt_in=word in ON
                )
            if not count:
                return t("teams.matching.none", locale)
            return t("networks.opted_in" if word in ON else "networks.opted_out_teams", locale)
        if word == "pause":
            until = parse_day(rest)
            today = runtime.clock.now().astimezone(runtime.settings.zone).date()
            if until is None or until <= today:
                return t("networks.pause_not_future", locale)
            async with runtime.db.transaction() as session:
                count = await networks.pause_matching(
                    session, person_id=actor.known_id, until=until
                )
            if not count:
                return t("teams.matching.none", locale)
            return t("networks.paused", locale, day=format_day(until, locale))
    except InvalidRequest:
        return t("error.generic", locale)
    return t("teams.matching.usage", locale)


async def matching_command(runtime: Runtime, actor: Actor, args: str, reply: Any) -> None:
    from handlers.teams.views import text_message

    await reply(text_message(await _matching(runtime, actor, args), actor.locale))


async def profile_command(runtime: Runtime, actor: Actor, args: str, reply: Any) -> None:
    await reply(None, card=await open_profile(runtime, actor))
