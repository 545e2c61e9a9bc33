"""Planning the waves: an answer row per participant and one combined message per manager."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import delivery
from bot.line_managers.common import KIND_NUDGE, Addressee, addressee_of, manager_key, source_for
from bot.line_managers.compose import nudge_message
from bot.planner_hash import fingerprint, message_json
from bot.settings import Settings
from bot.timing import QuietHours, next_allowed
from storage.models import ERASED_EMAIL_SUFFIX
from storage.queries import deliveries as dq
from storage.queries import nudges as q
from storage.queries.assignments import cancel_by_keys, pending_dedupe_keys


async def plan_nudges(
    session: AsyncSession, *, cohort_id: int, tz: str, settings: Settings, now: datetime
) -> int:
    """Ensure an answer row per participant and one combined message per manager and wave."""
    written = 0
    managed = [
        m
        for m in await q.managed_participants(session=session, cohort_id=cohort_id)
        if m.status in ("active", "admitted")
    ]
    by_participant = {m.participant_id: m for m in managed}
    policy = QuietHours.from_settings(settings)
    addressees: dict[int, Addressee] = {}  # per manager, the same for every nudge
    for nudge in await q.list_nudges(session=session, cohort_id=cohort_id):
        assert nudge.id is not None
        await q.ensure_answer_rows(
            session=session,
            nudge_id=nudge.id,
            managers={m.participant_id: m.manager_id for m in managed},
        )
        groups: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for row in await q.answers_for_nudge(session=session, nudge_id=nudge.id):
            who = by_participant.get(row.participant_id)
            if who is None or row.answer is not None or row.manager_id != who.manager_id:
                continue
            assert row.id is not None
            groups[who.manager_id].append((row.id, who.participant_name))
            if who.manager_id not in addressees:
                addressees[who.manager_id] = await addressee_of(session, who, tz)
        wanted: set[str] = set()
        # Compared with the outbox in one read and written in bulk: only new or changed
        # messages are written (re-planning an unchanged cohort writes nothing).
        existing = await dq.existing_for_sources(session=session, sources=[source_for(nudge.id)])
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for manager_id, participants in groups.items():
            to = addressees[manager_id]
            key = manager_key(nudge.id, manager_id)
            wanted.add(key)
            if to.target.endswith(ERASED_EMAIL_SUFFIX):
                continue  # an erased person's stub: never messaged
            send_at = next_allowed(
                nudge.send_at, audience="line_manager", tz=to.tz or settings.timezone, policy=policy
            )
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
                hashlib.sha256((settings.secret_key or "").encode()).hexdigest(),
            )
            old = existing.get(key)
            if old is not None and (
                old.state != "pending"  # sent, failed or cancelled: left alone
                or (
                    old.plan_hash == plan_hash
                    and old.send_at == send_at
                    and old.target == to.target
                    and old.transport == to.transport
                    and not old.urgent
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
            if old is None:
                inserts.append(values)
            else:
                updates.append(values)
        await dq.insert_deliveries(session=session, rows=inserts, now=now)
        await dq.update_pending_deliveries(session=session, rows=updates, now=now)
        written += len(inserts) + len(updates)
        pending = await pending_dedupe_keys(session=session, source=source_for(nudge.id))
        stale = [
            k
            for k in pending
            if k.startswith(f"nudge:{nudge.id}:manager:") and k not in wanted and k.count(":") == 3
        ]
        await cancel_by_keys(session=session, dedupe_keys=stale, reason="no longer needed", now=now)
    return written
