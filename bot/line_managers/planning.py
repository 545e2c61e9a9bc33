"""Planning the waves: an answer row per participant and one combined message per manager."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import delivery
from bot.identities import teams_identities
from bot.line_managers.common import (
    KIND_NUDGE,
    Addressee,
    addressee_for,
    manager_key,
    source_for,
)
from bot.line_managers.compose import nudge_message
from bot.plan_changes import NOT_NEEDED, PlanChanges, restorable, write_changes
from bot.planner_hash import fingerprint, message_json
from bot.settings import Settings
from bot.timing import QuietHours, next_allowed
from storage.models import ERASED_EMAIL_SUFFIX
from storage.queries import deliveries as dq
from storage.queries import nudges as q


async def answer_row_changes(
    session: AsyncSession, *, cohort_id: int, nudge_ids: Collection[int] | None = None
) -> list[tuple[int, list[dict[str, Any]], list[dict[str, Any]]]]:
    """Per nudge of the cohort (or of `nudge_ids`), the answer rows to add and the unanswered
    rows whose manager changed: (nudge id, new rows, moved rows). Reads only; an unchanged
    cohort gets []."""
    managers = {m.participant_id: m.manager_id for m in await _managed(session, cohort_id)}
    out = []
    for nudge in await q.list_nudges(session=session, cohort_id=cohort_id):
        assert nudge.id is not None
        if nudge_ids is not None and nudge.id not in nudge_ids:
            continue
        new, moved = await q.answer_row_changes(
            session=session, nudge_id=nudge.id, managers=managers
        )
        if new or moved:
            out.append((nudge.id, new, moved))
    return out


async def nudge_changes(
    session: AsyncSession,
    *,
    cohort_id: int,
    tz: str,
    settings: Settings,
    nudge_ids: Collection[int] | None = None,
    now: datetime | None = None,
) -> PlanChanges:
    """The manager messages the cohort's nudges imply, compared with the outbox. Reads only.

    With `now`, a message re-planning cancelled (its participants had withdrawn) whose time is
    still ahead is put back when it is wanted again; without it, cancelled rows stay as they are.

    One combined message per manager and wave for the participants whose answer row is still
    open; only new or changed messages are rendered (a message whose fingerprint, time, target
    and transport match the stored one is left alone). Answer rows must exist already
    (`answer_row_changes`, then `q.write_answer_rows`). With `nudge_ids`, only those nudges.
    """
    changes = PlanChanges()
    managed = await _managed(session, cohort_id)
    by_participant = {m.participant_id: m for m in managed}
    manager_ids = sorted({m.manager_id for m in managed})
    teams = await teams_identities(session, manager_ids)
    addressees: dict[int, Addressee] = {}  # per manager, the same for every nudge
    for m in managed:
        if m.manager_id not in addressees:
            addressees[m.manager_id] = addressee_for(m, tz, teams.get(m.manager_id))
    policy = QuietHours.from_settings(settings)
    secret = hashlib.sha256((settings.secret_key or "").encode()).hexdigest()
    nudges = [
        n
        for n in await q.list_nudges(session=session, cohort_id=cohort_id)
        if nudge_ids is None or n.id in nudge_ids
    ]
    existing = await dq.existing_for_sources(
        session=session, sources=[source_for(n.id) for n in nudges if n.id is not None]
    )
    pending_by_source: dict[str, list[str]] = {}
    for k, row in sorted(existing.items()):
        if row.state == "pending" and k.count(":") == 3:
            pending_by_source.setdefault(":".join(k.split(":", 2)[:2]), []).append(k)
    send_times: dict[tuple[Any, str], datetime] = {}
    for nudge in nudges:
        assert nudge.id is not None
        groups: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for row_id, participant_id, manager_id, answer in await q.answer_row_keys(
            session=session, nudge_id=nudge.id
        ):
            who = by_participant.get(participant_id)
            if who is None or answer is not None or manager_id != who.manager_id:
                continue
            groups[who.manager_id].append((row_id, who.participant_name))
        wanted: set[str] = set()
        for manager_id, participants in groups.items():
            to = addressees[manager_id]
            key = manager_key(nudge.id, manager_id)
            wanted.add(key)
            if to.target.endswith(ERASED_EMAIL_SUFFIX):
                continue  # an erased person's stub: never messaged
            zone = to.tz or settings.timezone
            send_at = send_times.get((nudge.send_at, zone))
            if send_at is None:
                send_at = send_times[(nudge.send_at, zone)] = next_allowed(
                    nudge.send_at, audience="line_manager", tz=zone, policy=policy
                )
            changes.wanted += 1
            # Everything the message is built from: when it matches the stored one, the
            # message (links, names, texts) is not rendered again.
            plan_hash = fingerprint(
                nudge.id,
                nudge.kind,
                nudge.title,
                nudge.text,
                nudge.send_at,
                nudge.respond_by,
                to,
                participants,
                settings.base_url,
                secret,
            )
            old = existing.get(key)
            back = old is not None and restorable(old, send_at, now)  # the participant is back
            if (
                old is not None
                and not back
                and (
                    old.state
                    != "pending"  # sent, failed or cancelled (not by re-planning): left alone
                    or (
                        old.plan_hash == plan_hash
                        and old.send_at == send_at
                        and old.target == to.target
                        and old.transport == to.transport
                        and not old.urgent
                    )
                )
            ):
                continue
            message = nudge_message(
                nudge, to=to, participants=participants, settings=settings, send_at=nudge.send_at
            )
            values = {
                "dedupe_key": key,
                "transport": to.transport,
                "kind": KIND_NUDGE,
                "target": to.target,
                "message": message_json(message, plan_hash),
                "send_at": send_at,
                "person_id": manager_id,
                "source": source_for(nudge.id),
                "urgent": False,
                "error": delivery.held_note(to.transport, settings),
            }
            (
                changes.inserts if old is None else changes.restores if back else changes.updates
            ).append(values)
        prefix = f"nudge:{nudge.id}:manager:"
        changes.cancels.extend(
            (k, NOT_NEEDED)
            for k in pending_by_source.get(source_for(nudge.id), [])
            if k.startswith(prefix) and k not in wanted
        )
    return changes


async def plan_nudges(
    session: AsyncSession, *, cohort_id: int, tz: str, settings: Settings, now: datetime
) -> int:
    """Ensure an answer row per participant and one combined message per manager and wave,
    in the caller's transaction; rows of the outbox written. (The running bot's planner does
    the same in short transactions: `bot.planner.replan_cohort`.)"""
    for nudge_id, new, moved in await answer_row_changes(session, cohort_id=cohort_id):
        await q.write_answer_rows(session=session, nudge_id=nudge_id, new=new, moved=moved)
    changes = await nudge_changes(session, cohort_id=cohort_id, tz=tz, settings=settings, now=now)
    return await write_changes(session, changes, now=now)


async def _managed(session: AsyncSession, cohort_id: int) -> list[q.ManagedParticipant]:
    """The cohort's participants taking part who have a line manager."""
    return [
        m
        for m in await q.managed_participants(session=session, cohort_id=cohort_id)
        if m.status in ("active", "admitted")
    ]
