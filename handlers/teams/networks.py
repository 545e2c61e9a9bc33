"""Networks in Teams: "Did you meet?", alumni consent and matching on/off as card actions, and
the opt-in directory (`finn`/`find`) as a command.

The cards are the neutral messages of `bot.networks` (their buttons' action ids are the
verbs), so a click is answered here and the card is redrawn with the answer under it
(handlers/teams/actions.py). Clicks are applied in turn by the domain (`ANSWER_LOCK`), so a
burst of duplicate invokes records one answer and each invoke gets the same confirmation.

Teams has no bot-made group chats without Microsoft Graph: where Slack opens a DM between two
people, the Teams card offers a deep link (`https://teams.microsoft.com/l/chat/0/0?users=…`)
that opens the chat in the person's own Teams, by the other people's addresses (UPNs).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot import networks
from bot.messages import esc, t
from bot.networks import InvalidRequest, Profile
from bot.notifier import OutgoingMessage, Section
from bot.people import Actor
from bot.runtime import Runtime
from handlers.teams.cards import chat_link

logger = logging.getLogger(__name__)

CHECKIN = re.compile(rf"^{networks.ACTION_CHECKIN}:({'|'.join(networks.CHECKIN_ANSWERS)})$")
CONSENT = re.compile(rf"^{networks.ACTION_CONSENT}:(yes|no)$")
MATCHING = re.compile(rf"^({networks.ACTION_OPT_IN}|{networks.ACTION_OPT_OUT})(:\d+)?$")
VERBS = (CHECKIN, CONSENT, MATCHING)
DIRECTORY_LIMIT = 20


def is_network_verb(verb: str) -> bool:
    return any(p.match(verb) for p in VERBS)


def _value_for(pattern: re.Pattern[str], verb: str, data: dict[str, Any]) -> object:
    """The card's value when it answers what its verb says ("12:yes" for `checkin:yes`), else None."""
    match = pattern.match(verb)
    parsed = networks.split_answer_value(data.get("value"))
    if match is None or parsed is None or parsed[1] != match.group(1):
        return None
    return data.get("value")


async def _checkin(runtime: Runtime, actor: Actor, verb: str, data: dict[str, Any]) -> str:
    key = await networks.answer_checkin_button(
        runtime.db,
        person_id=actor.known_id,
        value=_value_for(CHECKIN, verb, data),
        now=runtime.clock.now(),
    )
    return t(key, actor.locale)


async def _consent(runtime: Runtime, actor: Actor, verb: str, data: dict[str, Any]) -> str:
    key = await networks.answer_consent_button(
        runtime.db,
        runtime.settings,
        person_id=actor.known_id,
        value=_value_for(CONSENT, verb, data),
        now=runtime.clock.now(),
        via="teams",
        once=True,
    )
    return t(key, actor.locale)


async def _matching(runtime: Runtime, actor: Actor, verb: str, data: dict[str, Any]) -> str:
    locale = actor.locale
    match = MATCHING.match(verb)
    value = str(data.get("value") or "")
    if match is None or not value.isdigit():
        return t("error.generic", locale)
    opt_in = match.group(1) == networks.ACTION_OPT_IN
    try:
        async with runtime.db.transaction() as session:
            await networks.set_matching(
                session, person_id=actor.known_id, opt_in=opt_in, network_id=int(value)
            )
    except InvalidRequest:
        return t("error.generic", locale)
    return t("networks.opted_in" if opt_in else "networks.opted_out_teams", locale)


async def answer(runtime: Runtime, actor: Actor, verb: str, data: dict[str, Any]) -> str:
    """Do what a network card's click asks; the confirmation in the person's language."""
    if CHECKIN.match(verb):
        return await _checkin(runtime, actor, verb, data)
    if CONSENT.match(verb):
        return await _consent(runtime, actor, verb, data)
    return await _matching(runtime, actor, verb, data)


# --- the directory ------------------------------------------------------------------------


def _profile_section(profile: Profile) -> Section:
    """The same lines as Slack's directory: everything here is people's own words, marked."""
    place = ", ".join(x for x in (profile.municipality, profile.county) if x)
    lines = [f"*{esc(profile.name)}*" + (f" – {esc(profile.position)}" if profile.position else "")]
    if place or profile.service_area:
        lines.append(" · ".join(esc(x) for x in (place, profile.service_area) if x))
    if profile.project_title:
        lines.append(f"_{esc(profile.project_title)}_")
    if profile.topics:
        lines.append(esc(profile.topics))
    return Section(text="\n".join(lines))


def directory_message(found: list[Profile], words: str, locale: str) -> OutgoingMessage:
    """The directory's answer: each findable person with a link to chat with them in Teams."""
    title = t("networks.directory.title", locale, words=words)
    if not found:
        text = t("networks.directory.none", locale, words=words)
        return OutgoingMessage(
            text=text, title=title, sections=(Section(text=text),), locale=locale
        )
    links = {p.person_id: chat_link([p.email] if p.email else []) for p in found}
    return OutgoingMessage(
        text=title,
        title=title,
        sections=tuple(_profile_section(p) for p in found),
        locale=locale,
        # Rendered as "Send a message" links (cards.build_card), one per section.
        meta={"section_links": [links[p.person_id] for p in found]},
    )


async def find_command(runtime: Runtime, actor: Actor, args: str, reply: Any) -> None:
    """`finn ORD` / `find WORDS`: the opt-in directory, as in Slack's `/cohort find`."""
    from handlers.teams.views import text_message

    locale = actor.locale
    if not args.strip():
        await reply(text_message(t("networks.directory.usage_teams", locale), locale))
        return
    async with runtime.db.transaction() as session:
        found = await networks.search_directory(session, args, actor, limit=DIRECTORY_LIMIT)
    await reply(directory_message(found, args, locale))
