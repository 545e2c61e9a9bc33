"""`/cohort pulse` (creation modal), `/cohort results PULSE` (with a chart), `/cohort report
[YEAR] [html|xlsx|csv]` (the annual report uploaded to the staff member's DM) and
`/cohort followup CASE NOTE` (a dropout-digest case followed up)."""

from __future__ import annotations

import logging
from functools import partial

from slack_bolt.async_app import AsyncApp

from bot import audit, steps
from bot.messages import esc, t
from bot.pulses import audience_options, find_pulse, recent_pulses
from bot.report import REPORT_FORMATS, annual_report_in_child
from bot.results import pulse_results, results_chart_png, results_text
from bot.runtime import Runtime
from bot.worker_loop import off_loop, transaction_in_process
from handlers.slack.blocks.pulse import build_pulse_modal, build_results_blocks
from handlers.slack.commands.registry import CommandContext, subcommand

logger = logging.getLogger(__name__)


@subcommand("pulse", staff_only=True, aliases=("puls",))
async def pulse_command(ctx: CommandContext) -> None:
    async with ctx.runtime.db.session() as session:
        cohort_id, audiences = await audience_options(session, locale=ctx.actor.locale)
    if not ctx.trigger_id:
        await ctx.reply.ephemeral(t("error.generic", ctx.actor.locale))
        return
    await ctx.client.views_open(
        trigger_id=ctx.trigger_id,
        view=build_pulse_modal(locale=ctx.actor.locale, audiences=audiences, cohort_id=cohort_id),
    )


async def _which_pulse(ctx: CommandContext, ref: str) -> str:
    """Not found, or no pulse named: say how to ask, and list the latest pulses to pick from."""
    locale = ctx.actor.locale
    lines = [t("pulse.results.not_found", locale, ref=ref) if ref else ""]
    lines[0] += (" " if ref else "") + t("pulse.results.usage", locale)
    async with ctx.runtime.db.session() as session:
        pulses = await recent_pulses(session)
    if pulses:
        lines.append(t("pulse.results.recent", locale))
        lines += [f"• `{p.id}` {esc(p.title)}" for p in pulses]
    return "\n".join(lines)


@subcommand("results", aliases=("resultater",))
async def results_command(ctx: CommandContext) -> None:
    locale, runtime = ctx.actor.locale, ctx.runtime
    if not ctx.actor.is_staff:
        # The Directorate's evaluators get the aggregates only (bot.evaluator); others nothing.
        await _evaluator_results(ctx)
        return
    ref = ctx.args.strip()
    async with runtime.db.transaction() as session:
        pulse = await find_pulse(session, ref=ref) if ref else None
        results = (
            await pulse_results(session, pulse.id, settings=runtime.settings)
            if pulse and pulse.id
            else None
        )
        if results is not None:
            await audit.record(
                session,
                actor_id=ctx.actor.person_id,
                action="pulse.results",
                subject=f"pulse:{results.pulse.id}",
            )
    if results is None:
        await ctx.reply.ephemeral(await _which_pulse(ctx, ref))
        return
    await ctx.reply.ephemeral(
        results_text(results, locale=locale), build_results_blocks(results, locale=locale)
    )
    try:
        # matplotlib is CPU work: off the event loop, so other clicks are acked meanwhile.
        chart = await off_loop(runtime.worker, partial(results_chart_png, locale=locale), results)
    except Exception:
        logger.exception("Failed to draw the results chart for pulse %s", results.pulse.id)
        return
    # The upload is an outbox step: it goes after this commit, with the outbox's retries.
    async with runtime.db.transaction() as session:
        await steps.upload_file(
            session,
            runtime.settings,
            target=ctx.actor.slack_user_id or ctx.reply.user_id,
            content=chart,
            filename=f"puls-{results.pulse.key}.png",
            title=t("pulse.results.title", locale, title=results.pulse.title),
            now=runtime.clock.now(),
            person_id=ctx.actor.person_id,
            source=f"pulse:{results.pulse.id}",
        )


@subcommand("report", staff_only=True, aliases=("rapport",))
async def report_command(ctx: CommandContext) -> None:
    locale, runtime = ctx.actor.locale, ctx.runtime
    now = runtime.clock.now()
    today = now.astimezone(runtime.settings.zone)
    # The report is due 1 March for the year before: until then, default to last year.
    year, fmt = (today.year - 1 if today.month <= 2 else today.year), "html"
    for word in ctx.args.split():
        if word.isdigit() and len(word) == 4:
            year = int(word)
        elif word.lower() in REPORT_FORMATS:
            fmt = word.lower()
    # Queries, disclosure control and rendering take seconds of CPU: in a process of its own,
    # so the loop that acks clicks is not held (not even through the GIL).
    data = await transaction_in_process(
        runtime.db,
        annual_report_in_child,
        year,
        fmt,
        runtime.settings,
        now,
        f"person:{ctx.actor.person_id}",
        ctx.actor.person_id,
        locale,
        worker=runtime.worker,
    )
    # Uploaded by the outbox after this commit, with its retries.
    async with runtime.db.transaction() as session:
        await steps.upload_file(
            session,
            runtime.settings,
            target=ctx.actor.slack_user_id or ctx.reply.user_id,
            content=data,
            filename=f"arsrapport-{year}.{fmt}",
            title=t("report.title", locale, year=year),
            now=now,
            person_id=ctx.actor.person_id,
            source=f"report:{year}",
        )


@subcommand("followup", staff_only=True, aliases=("fulgtopp",))
async def followup_command(ctx: CommandContext) -> None:
    """`/cohort followup CASE NOTE`: mark a dropout-digest case followed up, with a note."""
    from bot.risk import CaseNotFound, mark_followed_up
    from handlers.slack.actions.risk import show_followed_up

    locale = ctx.actor.locale
    case_ref, _, note = ctx.args.strip().partition(" ")
    case_ref = case_ref.removeprefix("#")
    if not case_ref:
        await ctx.reply.ephemeral(t("risk.case.usage", locale))
        return
    if not case_ref.isdigit() or ctx.actor.person_id is None:
        await ctx.reply.ephemeral(t("risk.case.unknown", locale, case=case_ref[:20]))
        return
    try:
        async with ctx.runtime.db.transaction() as session:
            await mark_followed_up(
                session, int(case_ref), ctx.actor.person_id, note, now=ctx.runtime.clock.now()
            )
    except CaseNotFound:
        await ctx.reply.ephemeral(t("risk.case.unknown", locale, case=case_ref))
        return
    name = ctx.actor.person.name if ctx.actor.person else ""
    await show_followed_up(ctx.runtime, ctx.client, int(case_ref), by=name, except_user=None)
    await ctx.reply.ephemeral(t("risk.case.marked", locale, case=case_ref, name=name))


@subcommand("cases", staff_only=True, aliases=("saker",))
async def cases_command(ctx: CommandContext) -> None:
    """`/cohort cases [WEEK]`: every risk case of the week (default the latest), page by page."""
    from bot.staff_lists import UnknownList, list_ref
    from handlers.slack.actions.staff_lists import list_view

    week = ctx.args.strip()
    if not ctx.trigger_id:
        await ctx.reply.ephemeral(t("error.generic", ctx.actor.locale))
        return
    try:
        view = await list_view(ctx.runtime, ctx.actor.slack_user_id, list_ref("risk", week))
    except UnknownList:
        view = None
    if view is None:
        await ctx.reply.ephemeral(t("lists.unknown", ctx.actor.locale))
        return
    await ctx.client.views_open(trigger_id=ctx.trigger_id, view=view)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the subcommands register themselves on import."""


async def _evaluator_results(ctx: CommandContext) -> None:
    from bot.evaluator.results import evaluator_results
    from handlers.slack.blocks.evaluator import build_evaluator_results

    locale, runtime = ctx.actor.locale, ctx.runtime
    if not ctx.actor.is_evaluator:
        await ctx.reply.ephemeral(t("error.not_allowed", locale))
        return
    async with runtime.db.session() as session:
        results = await evaluator_results(
            session, settings=runtime.settings, now=runtime.clock.now(), locale=locale
        )
    await ctx.reply.ephemeral(
        t("evaluator.results.title", locale), build_evaluator_results(results, locale=locale)
    )
