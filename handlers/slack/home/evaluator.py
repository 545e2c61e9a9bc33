"""App Home sections of the evaluator role: the Directorate's aggregates, and for staff the
questions it proposed, waiting for Accept / Reject."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.evaluator.proposals import count, proposals
from bot.evaluator.results import evaluator_results
from bot.people import Actor
from bot.runtime import Runtime
from handlers.slack.blocks.evaluator import (
    MAX_PROPOSALS_SHOWN,
    Blocks,
    ProposalLine,
    build_evaluator_results,
    build_proposals_home,
)
from handlers.slack.home.registry import home_section


@home_section("evaluator.proposals", roles={"staff"}, order=48)
async def waiting_proposals(runtime: Runtime, actor: Actor) -> Blocks:
    """Proposals waiting for a decision, each saying which pulse it would go into now."""
    async with runtime.db.session() as session:
        items = await proposals(session, now=runtime.clock.now(), states=["proposed"])
        total = await count(session, states=["proposed"])
    lines = [
        ProposalLine(v.id, v.kind, v.text, v.choices, v.target.title if v.target else None)  # type: ignore[arg-type]
        for v in items[:MAX_PROPOSALS_SHOWN]
    ]
    return build_proposals_home(lines, more=total - len(lines), locale=actor.locale)


@home_section("evaluator.results", roles={"evaluator"}, order=5)
async def results_for_evaluator(runtime: Runtime, actor: Actor) -> Blocks:
    """The closed pulses' aggregates under the published suppression; no person ever."""
    async with runtime.db.session() as session:
        results = await evaluator_results(
            session, settings=runtime.settings, now=runtime.clock.now(), locale=actor.locale
        )
    return build_evaluator_results(results, locale=actor.locale)


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the sections register themselves on import."""
