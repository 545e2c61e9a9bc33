"""Words written to the bot (personal chat, or @mentions in a team): the staff and participant
commands, in bokmål and English. Anything unknown gets a pointer to *help*.

Fully in Teams: help, next ("what's next", Home's content), assignments, results (with the
chart as an image), managers, deliveries, announce (handlers/teams/announce.py), report (a
download link, handlers/teams/report.py), find (the directory, handlers/teams/networks.py),
profile and matching (handlers/teams/profile.py), archive (search, one's own items, the add
form: handlers/teams/archive.py), sync (the class channels, through Graph:
handlers/teams/channels.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

from bot import audit
from bot.assignments import (
    audit_status_read,
    class_keys,
    current_cohort_ids,
    find_class,
    open_for_person,
    status_by_class,
)
from bot.delivery import delivery_overview
from bot.evaluator.results import evaluator_results
from bot.home import next_session_for, open_pulses_for
from bot.line_managers import involvement_overview
from bot.messages import esc, t
from bot.people import Actor
from bot.reach import unreachable_for_staff
from bot.results import results_chart_png
from bot.runtime import Runtime
from bot.staff_reads import read_pulse_results
from bot.worker_loop import off_loop
from handlers.teams.archive import archive_command, archive_file_command
from handlers.teams.cards import chart_image
from handlers.teams.context import command_text, identify, incoming
from handlers.teams.files import shared_file
from handlers.teams.install import send_card
from handlers.teams.networks import find_command
from handlers.teams.profile import matching_command, profile_command
from handlers.teams.report import report_command
from handlers.teams.views import (
    deliveries_message,
    evaluator_results_message,
    help_message,
    managers_message,
    open_assignments_message,
    results_message,
    status_message,
    text_message,
    whats_next_message,
)

logger = logging.getLogger(__name__)

UNREACHABLE_SHOWN = 10  # as Slack's Home; the whole list is `cohortbot deliveries`
Reply = Callable[..., Awaitable[None]]  # (message, extra card elements=())
Command = Callable[[Runtime, Actor, str, Reply], Awaitable[None]]


async def help_command(runtime: Runtime, actor: Actor, args: str, reply: Reply) -> None:
    await reply(help_message(actor))


async def next_command(runtime: Runtime, actor: Actor, args: str, reply: Reply) -> None:
    assert actor.person_id is not None
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        upcoming = await next_session_for(session, person_id=actor.person_id, now=now)
        items = await open_for_person(session, actor.person_id, now)
        pulses = await open_pulses_for(
            session, person_id=actor.person_id, now=now, settings=runtime.settings
        )
    await reply(
        whats_next_message(upcoming, items, pulses, actor.locale, runtime.settings.timezone)
    )


async def assignments_command(runtime: Runtime, actor: Actor, args: str, reply: Reply) -> None:
    assert actor.person_id is not None
    locale, now = actor.locale, runtime.clock.now()
    if not actor.is_staff:
        async with runtime.db.session() as session:
            items = await open_for_person(session, actor.person_id, now)
        await reply(open_assignments_message(items, locale))
        return
    async with runtime.db.transaction() as session:
        if args:
            found = await find_class(session, args)
            if found is None:
                await reply(text_message(t("assignment.unknown_class", locale, ref=args), locale))
                return
            class_id, _cohort_id = found
            statuses = await status_by_class(session, class_id=class_id, now=now)
            await audit_status_read(
                session,
                actor_id=actor.person_id,
                actor=f"person:{actor.person_id}",
                subject=f"class:{class_id}",
                person_ids=[i for st in statuses for i in st.person_ids],
            )
            await reply(status_message(statuses, locale=locale, with_names=True, classes=[]))
            return
        statuses, classes = [], []
        for cohort_id in (await current_cohort_ids(session))[:1]:
            statuses += await status_by_class(session, cohort_id=cohort_id, now=now)
            classes += await class_keys(session, cohort_id)
    await reply(status_message(statuses, locale=locale, with_names=False, classes=classes))


async def results_command(runtime: Runtime, actor: Actor, args: str, reply: Reply) -> None:
    locale = actor.locale
    if not actor.is_staff:
        # The Directorate's evaluators get the aggregates only (bot.evaluator); others nothing.
        await evaluator_results_command(runtime, actor, reply)
        return
    async with runtime.db.transaction() as session:
        results, recent = await read_pulse_results(
            session, ref=args, settings=runtime.settings, staff_person_id=actor.person_id
        )
    if results is not None:
        message = results_message(results, locale=locale)
        # The chart is CPU work: drawn off the event loop.
        png = await off_loop(runtime.worker, partial(results_chart_png, locale=locale), results)
        image = chart_image(png, alt=message.title or "")
        await reply(message, [image] if image else [])
        return
    lines = [(t("pulse.results.not_found", locale, ref=args) + " ") if args else ""]
    word = "results" if locale == "en" else "resultater"
    lines[0] += t("pulse.results.usage", locale).replace("/cohort results", word)
    if recent:
        lines.append(t("pulse.results.recent", locale))
        lines += [f"• {p.id} {esc(p.title)}" for p in recent]
    await reply(text_message("\n".join(lines), locale))


async def evaluator_results_command(runtime: Runtime, actor: Actor, reply: Reply) -> None:
    """`results` for an evaluator: as Slack's `/cohort results` answers them."""
    locale = actor.locale
    if not actor.is_evaluator:
        await reply(text_message(t("error.not_allowed", locale), locale))
        return
    async with runtime.db.session() as session:
        results = await evaluator_results(
            session, settings=runtime.settings, now=runtime.clock.now(), locale=locale
        )
    await reply(evaluator_results_message(results, locale=locale))


async def managers_command(runtime: Runtime, actor: Actor, args: str, reply: Reply) -> None:
    async with runtime.db.transaction() as session:
        overview = await involvement_overview(session, staff_person_id=actor.person_id)
    await reply(managers_message(overview, locale=actor.locale, tz=runtime.settings.timezone))


async def deliveries_command(runtime: Runtime, actor: Actor, args: str, reply: Reply) -> None:
    async with runtime.db.transaction() as session:
        overview = await delivery_overview(session)
        # Failures name people: audited like `/cohort deliveries` in Slack.
        await audit.record_people_read(
            session,
            actor_id=actor.person_id,
            action="deliveries.view",
            subject="teams:deliveries",
            person_ids=[f.person_id for f in overview.failures],
            detail={"failures": len(overview.failures)},
        )
        # Who nothing reaches, as in Slack's Home: the entry names exactly the people shown.
        unreachable, total = await unreachable_for_staff(
            session,
            settings=runtime.settings,
            actor_id=actor.person_id,
            subject="teams:deliveries",
            limit=UNREACHABLE_SHOWN,
        )
    await reply(
        deliveries_message(overview, locale=actor.locale, unreachable=unreachable, total=total)
    )


async def announce_command(runtime: Runtime, actor: Actor, args: str, reply: Reply) -> None:
    from handlers.teams.announce import open_form

    await reply_card_raw(reply, await open_form(runtime, actor))


async def reply_card_raw(reply: Reply, card: dict[str, Any]) -> None:
    """Reply with a ready card (a form), not a neutral message."""
    await reply(None, card=card)


async def sync_command(runtime: Runtime, actor: Actor, args: str, reply: Reply) -> None:
    """Decide the cohort's class channels and their members (made after the commit)."""
    from bot import networks
    from bot.networks.channels import team_channel_lines
    from bot.steps import makes_teams_channels

    locale = actor.locale
    if not args.strip():
        await reply(text_message(t("teams.sync.usage", locale), locale))
        return
    async with runtime.db.transaction() as session:
        cohort = await networks.find_cohort(session, args)
        if cohort is None or cohort.id is None:
            await reply(text_message(t("networks.unknown", locale, ref=esc(args[:80])), locale))
            return
        report = await networks.sync_cohort_channels(
            session, runtime.settings, cohort_id=cohort.id, now=runtime.clock.now(), actor=actor
        )
    if not makes_teams_channels(runtime.settings):
        await reply(text_message(t("teams.sync.no_team", locale), locale))
        return
    lines = team_channel_lines(report, cohort_name=cohort.name, locale=locale)
    await reply(text_message("\n\n".join(lines), locale))


# name -> (handler, staff only, needs a known person)
COMMANDS: dict[str, tuple[Command, bool, bool]] = {
    "help": (help_command, False, False),
    "next": (next_command, False, True),
    "assignments": (assignments_command, False, True),
    "results": (results_command, False, True),  # staff, or evaluators (aggregates only)
    "managers": (managers_command, True, True),
    "deliveries": (deliveries_command, True, True),
    "announce": (announce_command, True, True),
    "find": (find_command, False, True),
    "profile": (profile_command, False, True),
    "matching": (matching_command, False, True),
    "report": (report_command, True, True),
    "archive": (archive_command, False, True),
    "sync": (sync_command, True, True),
}
ALIASES = {
    "hjelp": "help",
    "?": "help",
    "neste": "next",
    "hva nå": "next",
    "hva skjer": "next",
    "what's next": "next",
    "whats next": "next",
    "start": "next",
    "oppgaver": "assignments",
    "resultater": "results",
    "ledere": "managers",
    "utsendelser": "deliveries",
    "kunngjøring": "announce",
    "rapport": "report",
    "synk": "sync",
    "finn": "find",
    "profil": "profile",
    "arkiv": "archive",
    "arkivet": "archive",
}


def parse(text: str) -> tuple[str | None, str]:
    """(command, arguments) of what was written; the command None when unknown."""
    words = text.strip().lstrip("/").removeprefix("cohort ").strip()
    lower = words.lower()
    for phrase in sorted(ALIASES, key=len, reverse=True):
        if lower == phrase or lower.startswith(phrase + " "):
            return ALIASES[phrase], words[len(phrase) :].strip()
    head, _, rest = words.partition(" ")
    name = head.lower()
    return (name if name in COMMANDS else None), rest.strip()


def register(teams: Any, runtime: Runtime) -> None:
    agent = teams.agent

    @agent.activity("message")
    async def on_message(context: Any, _state: Any) -> None:
        activity = context.activity
        text = command_text(activity)
        attached = shared_file(activity)
        if not text and attached is None:
            return  # a card's Action.Submit without a known verb: nothing to say
        where = incoming(activity)
        actor = await identify(runtime, teams.connector, where)
        locale = actor.locale

        async def reply(
            message: Any, extra: Sequence[dict[str, Any]] = (), card: dict[str, Any] | None = None
        ) -> None:
            if card is not None:
                from handlers.teams.replies import reply_card

                await reply_card(teams, context.activity, card)
                return
            await send_card(teams, context, message, extra)

        name, args = parse(text)
        if attached is not None and name in (None, "archive"):
            name, args = "archive", "add"  # a file sent to the bot: for the archive
        if name is None:
            await reply(text_message(t("teams.unknown_command", locale, command=text[:80]), locale))
            return
        handler, staff_only, needs_person = COMMANDS[name]
        if needs_person and actor.person is None:
            await reply(text_message(t("error.unknown_user", locale), locale))
            return
        if staff_only and not actor.is_staff:
            await reply(text_message(t("error.not_allowed", locale), locale))
            return
        if name != "help" and not where.personal:
            # Answers name people or their own work: they go to a personal chat only.
            await reply(text_message(t("teams.personal_only", locale), locale))
            return
        if name == "archive" and attached is not None:
            handler = partial(archive_file_command, file=attached)
        try:
            await handler(runtime, actor, args, reply)
        except Exception:
            logger.exception("Failed to answer the Teams command %s", name)
            await reply(text_message(t("error.generic", locale), locale))
