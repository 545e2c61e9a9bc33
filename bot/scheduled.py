"""The scheduled jobs' work, each piece claimed so that any number of processes does it once.

`schedules/` ticks these; the claims are in `bot.claims`. Keys:
- ("matching_round", "network:{id}", due time): one round per network per due time;
- ("cohort_completion", "cohort:{id}", "completed"): a cohort is completed once;
- ("risk_digest", "staff", ISO week): one digest per week (so one per staff member per week);
- the pulse tick and the nudge follow-ups run under their job's row lock (`claims.serialise`).
"""

from __future__ import annotations

from datetime import datetime

from bot import claims, networks
from bot.networks import RoundResult
from bot.settings import Settings
from storage.db import Database
from storage.queries import networks as nq

JOB_ROUND = "matching_round"
JOB_COMPLETION = "cohort_completion"
JOB_DIGEST = "risk_digest"
JOB_PULSES = "pulse_tick"
JOB_FOLLOWUPS = "nudge_followups"


async def due_matching_rounds(db: Database, *, now: datetime) -> list[tuple[int, datetime]]:
    """(network id, due time) of every network whose round is due."""
    async with db.session() as session:
        return [
            (n.id, n.next_match_at)
            for n in await nq.list_networks_due_for_matching(session=session, now=now)
            if n.id is not None and n.next_match_at is not None
        ]


async def run_round_once(
    db: Database,
    settings: Settings,
    *,
    network_id: int,
    due: datetime,
    now: datetime,
) -> RoundResult | None:
    """Run the network's round due at `due`, unless a process has run it; None if so."""
    async with db.transaction() as session:
        if not await claims.claim_once(
            session,
            job=JOB_ROUND,
            subject=f"network:{network_id}",
            due=claims.due_key(due),
            now=now,
        ):
            return None
        return await networks.run_matching_round(session, settings, network_id=network_id, now=now)


async def complete_cohorts_once(db: Database, settings: Settings, *, now: datetime) -> list[int]:
    """Complete every cohort past its end date, each once and in its own transaction."""
    async with db.session() as session:
        due = [
            c.id
            for c in await nq.list_cohorts_due_for_completion(
                session=session, today=now.astimezone(settings.zone)
            )
            if c.id is not None
        ]
    done = []
    for cohort_id in due:
        async with db.transaction() as session:
            if not await claims.claim_once(
                session,
                job=JOB_COMPLETION,
                subject=f"cohort:{cohort_id}",
                due="completed",
                now=now,
            ):
                continue
            await networks.complete_cohort(session, settings, cohort_id=cohort_id, now=now)
        done.append(cohort_id)
    return done
