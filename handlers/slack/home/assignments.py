"""App Home sections for assignments and line managers."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.assignments import (
    audit_status_read,
    current_cohort_ids,
    open_for_person,
    status_by_class,
)
from bot.line_managers import manager_followup, manager_overview
from bot.people import Actor
from bot.runtime import Runtime
from handlers.slack.blocks.assignments import (
    Blocks,
    build_escalated,
    build_manager_section,
    build_open_list,
    build_status_compact,
)
from handlers.slack.home.registry import home_section


@home_section("assignments.open", roles={"participant"}, order=30)
async def open_assignments(runtime: Runtime, actor: Actor) -> Blocks:
    """The participant's open assignments with their buttons."""
    if actor.person_id is None:
        return []
    async with runtime.db.session() as session:
        items = await open_for_person(session, actor.person_id, runtime.clock.now())
    return build_open_list(items, locale=actor.locale)


@home_section("line_managers.mine", roles={"line_manager"}, order=35)
async def my_participants(runtime: Runtime, actor: Actor) -> Blocks:
    """A line manager's own participants and what waits for their answer."""
    if actor.person_id is None:
        return []
    async with runtime.db.session() as session:
        overview = await manager_overview(session, actor.person_id, runtime.clock.now())
    return build_manager_section(overview, locale=actor.locale)


@home_section("assignments.staff", roles={"staff"}, order=60)
async def staff_assignments(runtime: Runtime, actor: Actor) -> Blocks:
    """Counts per class and assignment for the newest cohort, and escalated line managers."""
    now = runtime.clock.now()
    async with runtime.db.transaction() as session:
        cohorts = (await current_cohort_ids(session))[:1]
        blocks: Blocks = []
        for cohort_id in cohorts:
            statuses = await status_by_class(session, cohort_id=cohort_id, now=now)
            blocks += build_status_compact(statuses, cohort_id=cohort_id, locale=actor.locale)
            escalated = [
                c
                for c in await manager_followup(
                    session, cohort_id, now=now, settings=runtime.settings
                )
                if c.state == "escalated"
            ]
            if escalated:  # names of managers and participants: a read of personal data
                await audit_status_read(
                    session,
                    actor_id=actor.person_id,
                    actor=f"person:{actor.person_id}",
                    subject=f"cohort:{cohort_id}",
                    action="nudges.silent_read",
                    person_ids=[i for c in escalated for i in (c.manager_id, c.participant_id)],
                )
            blocks += build_escalated(
                escalated,
                cohort_id=cohort_id,
                locale=actor.locale,
                tz=runtime.settings.timezone,
                limit=5,
            )
    return blocks


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Nothing to add: the sections register themselves on import."""
