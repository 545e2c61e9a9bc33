"""Where a person's data lives, and the SQL to export, erase and age it out (issue 16).

`PERSON_COLUMNS` names every column that holds a person id, with its data class and what erasure
does to it. A test walks `SQLModel.metadata`'s foreign keys to `person.id`: a new table that holds
a person id fails it until it has a row here (and so a place in the export and the erasure).
Person ids kept in JSON lists (a match group's members) are in `PERSON_ID_LISTS`.

Erasure also scrubs the person's email, name and Slack id from every text and JSON column of
every table (`scrub_identifiers`), so other people's messages that name them lose the name too.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import JSON, String, Table, Text, case, cast, delete, func, or_, select, update
from sqlmodel import SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Assignment,
    AssignmentProgress,
    AuditEvent,
    Consent,
    Delivery,
    DeliveryState,
    Enrolment,
    MatchGroup,
    MatchRound,
    Network,
    NetworkMembership,
    Person,
    ProcessedEvent,
    Pulse,
    PulseAnswer,
    RiskCase,
)
from storage.queries.audit import list_audit

Erasure = Literal["delete", "null", "pseudonymise"]


@dataclass(frozen=True)
class PersonColumn:
    """A column holding a person id: which data class it belongs to and what erasure does."""

    table: str
    column: str
    data_class: str
    erase: Erasure


# Order matters for the export's readability only; erasure handles each independently.
PERSON_COLUMNS: tuple[PersonColumn, ...] = (
    PersonColumn("enrolment", "person_id", "enrolments", "delete"),
    PersonColumn("line_manager_link", "participant_id", "line_managers", "delete"),
    PersonColumn("line_manager_link", "manager_id", "line_managers", "delete"),
    PersonColumn("assignment_progress", "person_id", "assignments", "delete"),
    PersonColumn("nudge_answer", "participant_id", "nudges_about_them", "delete"),
    PersonColumn("nudge_answer", "manager_id", "nudges_to_them", "delete"),
    PersonColumn("nudge_answer", "handled_by_id", "staff_actions", "null"),
    PersonColumn("pulse", "created_by_id", "staff_actions", "null"),
    PersonColumn("pulse_participation", "person_id", "pulses", "delete"),
    PersonColumn("pulse_answer", "person_id", "pulse_answers", "delete"),
    PersonColumn("network_membership", "person_id", "matching", "delete"),
    PersonColumn("match_block", "person_id", "matching", "delete"),
    PersonColumn("match_block", "blocked_person_id", "matching", "delete"),
    PersonColumn("match_checkin", "person_id", "matching", "delete"),
    PersonColumn("broadcast", "created_by_id", "staff_actions", "null"),
    PersonColumn("delivery", "person_id", "messages", "delete"),
    # A data export about them waiting for its upload step (deleted once it is sent).
    PersonColumn("outbox_file", "person_id", "messages", "delete"),
    PersonColumn("audit_event", "actor_id", "audit", "pseudonymise"),
    PersonColumn("risk_case", "person_id", "risk_cases", "delete"),
    PersonColumn("risk_case", "followed_up_by_id", "staff_actions", "null"),
    PersonColumn("consent", "person_id", "consents", "delete"),
    PersonColumn("person_identity", "person_id", "chat_identities", "delete"),
    PersonColumn("evaluator_proposal", "decided_by_id", "staff_actions", "null"),
    # Their own archive items: erasure deletes them with their files (bot.archive.rights).
    PersonColumn("archive_item", "owner_id", "archive", "delete"),
    PersonColumn("archive_item", "added_by_id", "staff_actions", "null"),
)

# Columns whose values address or identify the person on a platform, beyond `person.email`:
# (table, person column, identifier column). The per-platform identities (the Slack user id, the
# Teams user, Entra object and conversation ids) are here, so the export finds messages sent to
# them and the erasure scrubs them from every text.
IDENTITY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("person_identity", "person_id", "user_id"),
    ("person_identity", "person_id", "aad_object_id"),
    ("person_identity", "person_id", "conversation_id"),
)

# JSON columns holding lists of person ids: (table, column, data class).
PERSON_ID_LISTS: tuple[tuple[str, str, str], ...] = (("match_group", "member_ids", "matching"),)

# Tables holding a person only under a keyed pseudonym (HMAC of pulse and person under the secret
# key): not linkable from the database alone, so not exported; erasure recomputes the pseudonym
# and deletes the rows (`delete_keyed_rows`).
KEYED_PERSON_TABLES: frozenset[str] = frozenset({"pulse_receipt"})

# Tables that hold no person data at all (checked by the completeness test, so a new table has
# to be put either here or in PERSON_COLUMNS on purpose).
NO_PERSON_DATA: frozenset[str] = frozenset(
    {
        "programme",
        "cohort",
        "cohort_class",
        "programme_session",
        "assignment",
        "nudge",
        "pulse_question",
        "network",
        "network_channel",
        "match_round",
        "sending_pause",
        "processed_event",
        "job_claim",
        "pulse_response_count",
        # No person row: the work address of a Directorate evaluator listed in
        # COHORTBOT_EVALUATOR_EMAILS, acting for the customer (docs/privacy.md, docs/evaluator.md).
        "evaluator_link",
        "report_download",  # published figures only, under the suppression rules
        "pulse_reach",  # counts per class and channel, never a person
    }
)

ERASED_MARK = "[slettet]"


def _table(name: str) -> Table:
    table = SQLModel.metadata.tables[name]
    assert isinstance(table, Table)
    return table


def jsonable(value: Any) -> Any:
    """A column value as JSON: times in ISO 8601 (UTC), everything else as it is."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _row_dict(table: Table, row: Any) -> dict[str, Any]:
    mapping = row._mapping
    return {c.name: jsonable(mapping[c]) for c in table.columns}


# --- export ----------------------------------------------------------------------------------


async def rows_with_person(
    *, session: AsyncSession, table: str, column: str, person_id: int
) -> list[dict[str, Any]]:
    """Every row of `table` whose `column` is the person, all columns, as JSON-ready dicts."""
    t = _table(table)
    result = await session.execute(
        select(t).where(t.c[column] == person_id).order_by(*t.primary_key)
    )
    return [_row_dict(t, row) for row in result.all()]


async def rows_with_person_in_list(
    *, session: AsyncSession, table: str, column: str, person_id: int
) -> list[dict[str, Any]]:
    """Rows whose JSON list column holds the person id (filtered in Python: JSON differs per
    database, and these tables are small)."""
    t = _table(table)
    result = await session.execute(select(t).order_by(*t.primary_key))
    return [
        _row_dict(t, row) for row in result.all() if person_id in (row._mapping[t.c[column]] or [])
    ]


async def identifiers_of(*, session: AsyncSession, person: Person) -> list[str]:
    """Every address the person has: email, Slack id, and ids in `IDENTITY_COLUMNS`."""
    found = [person.email] if person.email else []
    for table, column, identifier in IDENTITY_COLUMNS:
        t = _table(table)
        result = await session.execute(select(t.c[identifier]).where(t.c[column] == person.id))
        found.extend(str(v) for v in result.scalars() if v)
    return found


async def deliveries_to(
    *, session: AsyncSession, person_id: int, addresses: Sequence[str]
) -> list[Delivery]:
    """Messages to the person: by person id, or addressed to their Slack id or email."""
    conditions = [col(Delivery.person_id) == person_id]
    if addresses:
        conditions.append(col(Delivery.target).in_(list(addresses)))
        # A Teams target is "<conversation id>|<serviceUrl>" (bot.identities.teams_target).
        conditions += [
            col(Delivery.target).like(f"{_like_escape(a)}|%", escape="\\") for a in addresses
        ]
    result = await session.execute(
        select(Delivery).where(or_(*conditions)).order_by(col(Delivery.id))
    )
    return list(result.scalars())


async def audit_about(*, session: AsyncSession, person_id: int) -> list[AuditEvent]:
    """Audit entries by the person or about them, oldest first (the audit reader's own rule)."""
    return list(reversed(await list_audit(session=session, person_id=person_id)))


async def match_groups_of(
    *, session: AsyncSession, person_id: int
) -> list[tuple[MatchGroup, MatchRound, Network]]:
    """The peer-matching groups the person was put in, with their round and network."""
    result = await session.execute(
        select(MatchGroup, MatchRound, Network)
        .join(MatchRound, col(MatchRound.id) == col(MatchGroup.round_id))
        .join(Network, col(Network.id) == col(MatchRound.network_id))
        .order_by(col(MatchGroup.id))
    )
    return [(g, r, n) for g, r, n in result.all() if person_id in (g.member_ids or [])]


async def person_names(*, session: AsyncSession, person_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    result = await session.execute(
        select(col(Person.id), col(Person.name)).where(col(Person.id).in_(ids))
    )
    return {int(i): str(n) for i, n in result.all()}


# --- erasure ---------------------------------------------------------------------------------


async def erase_person_column(
    *, session: AsyncSession, table: str, column: str, person_id: int, how: Erasure
) -> int:
    """Delete the rows, or clear the reference, for one registered column. Returns rows touched."""
    t = _table(table)
    if how == "delete":
        result = await session.execute(delete(t).where(t.c[column] == person_id))
    else:  # "null"; audit pseudonymisation happens in `pseudonymise_audit`
        result = await session.execute(
            update(t).where(t.c[column] == person_id).values({column: None})
        )
    return int(getattr(result, "rowcount", 0) or 0)


async def remove_from_id_lists(
    *, session: AsyncSession, table: str, column: str, person_id: int
) -> int:
    """Take the person id out of every JSON id list (e.g. match group members)."""
    t = _table(table)
    pk = next(iter(t.primary_key))
    result = await session.execute(select(pk, t.c[column]))
    touched = 0
    for key, ids in result.all():
        if ids and person_id in ids:
            await session.execute(
                update(t).where(pk == key).values({column: [i for i in ids if i != person_id]})
            )
            touched += 1
    return touched


async def receipt_pulse_ids(*, session: AsyncSession) -> list[int]:
    """The pulses with sealed receipts (open anonymous pulses)."""
    t = _table("pulse_receipt")
    result = await session.execute(select(t.c.pulse_id).distinct())
    return [int(i) for i in result.scalars()]


async def delete_receipt(*, session: AsyncSession, pulse_id: int, token: str) -> int:
    t = _table("pulse_receipt")
    result = await session.execute(delete(t).where(t.c.pulse_id == pulse_id, t.c.token == token))
    return int(getattr(result, "rowcount", 0) or 0)


async def delete_deliveries(*, session: AsyncSession, ids: Sequence[int]) -> int:
    if not ids:
        return 0
    result = await session.execute(delete(Delivery).where(col(Delivery.id).in_(list(ids))))
    return int(getattr(result, "rowcount", 0) or 0)


async def pseudonymise_audit(*, session: AsyncSession, person_id: int, pseudonym: str) -> int:
    """Replace the person in audit entries (actor, subject, detail ids) by a pseudonym."""
    touched = 0
    for event in await audit_about(session=session, person_id=person_id):
        if event.actor_id == person_id or event.actor == f"person:{person_id}":
            event.actor_id = None
            event.actor = pseudonym
        if event.subject == f"person:{person_id}":
            event.subject = pseudonym
        detail = dict(event.detail or {})
        if detail.get("person_id") == person_id:
            detail["person_id"] = pseudonym
        for key in ("person_ids", "people"):
            ids = detail.get(key)
            if isinstance(ids, list) and person_id in ids:
                detail[key] = [pseudonym if i == person_id else i for i in ids]
        event.detail = detail
        session.add(event)
        touched += 1
    await session.flush()
    return touched


def _text_columns() -> list[tuple[Table, Any]]:
    """Every string, text and JSON column of every table (where people's words can be)."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String | Text | JSON) or isinstance(
                getattr(column.type, "impl", None), String | Text | JSON
            ):
                found.append((table, column))
    return found


def _needle_forms(needle: str) -> set[str]:
    """The needle as typed, lower- and upper-case, each also as JSON writes it (non-ASCII
    escaped as \\uXXXX). SQLite's LIKE folds only ASCII, hence the case variants."""
    cased = {needle, needle.lower(), needle.upper(), needle.title()}
    # Its longest ASCII word too, which LIKE finds in any case ("NORDMANN" in "KARI ØDEGÅRD
    # NORDMANN"); Python's case-insensitive match then decides.
    ascii_words = [w for w in re.split(r"[^A-Za-z0-9@._-]+", needle) if len(w) >= 4]
    if ascii_words:
        cased.add(max(ascii_words, key=len))
    return cased | {json.dumps(n)[1:-1] for n in cased}


def _scrub(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(ERASED_MARK, value)
    if isinstance(value, dict):
        return {k: _scrub(v, pattern) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, pattern) for v in value]
    return value


async def scrub_identifiers(
    *, session: AsyncSession, needles: Sequence[str], skip: Iterable[tuple[str, str]] = ()
) -> dict[str, int]:
    """Replace every occurrence of the needles (email, name, Slack id) in every text column.

    Rows are found with a case-insensitive LIKE on the column as text, in the plain and the
    JSON-escaped spelling; the replacement is done in Python, so JSON stays well-formed.
    Returns rows changed per table. Pending deliveries that named the person are cancelled.
    """
    needles = [n for n in needles if n and len(n) >= 3]
    if not needles:
        return {}
    pattern = re.compile(
        "|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True)), re.I
    )
    forms = set().union(*(_needle_forms(n) for n in needles))
    skipped = set(skip)
    changed: dict[str, int] = {}
    for table, column in _text_columns():
        if (table.name, column.name) in skipped or not table.primary_key:
            continue
        as_text = cast(column, Text)
        condition = or_(*(as_text.ilike(f"%{_like_escape(f)}%", escape="\\") for f in forms))
        pk_cols = list(table.primary_key)
        result = await session.execute(select(*pk_cols, column).where(condition))
        for row in result.all():
            *keys, value = row
            new = _scrub(value, pattern)
            if new == value:
                continue
            values: dict[str, Any] = {column.name: new}
            if table.name == "delivery" and column.name == "message":
                values["state"] = _cancel_if_pending(table)
            where = [c == k for c, k in zip(pk_cols, keys, strict=True)]
            await session.execute(update(table).where(*where).values(values))
            changed[table.name] = changed.get(table.name, 0) + 1
    return changed


def _cancel_if_pending(table: Table) -> Any:
    """SQL for: a pending message naming an erased person is not sent any more."""
    return case(
        (
            table.c.state.in_([DeliveryState.PENDING, DeliveryState.UNCERTAIN]),
            DeliveryState.CANCELLED,
        ),
        else_=table.c.state,
    )


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def delete_person_row(*, session: AsyncSession, person_id: int) -> None:
    await session.execute(delete(Person).where(col(Person.id) == person_id))


# --- retention -------------------------------------------------------------------------------

DONE_STATES = (DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.CANCELLED)
REDACTED_MESSAGE = {"text": "", "redacted": True}


async def redact_old_messages(*, session: AsyncSession, before: datetime, dry_run: bool) -> int:
    """Message texts and addresses of deliveries finished before `before`: emptied, the row kept
    (its dedupe key stops a re-plan sending the message again)."""
    finished_at = func.coalesce(col(Delivery.sent_at), col(Delivery.updated_at))
    condition = (
        col(Delivery.state).in_(DONE_STATES),
        finished_at < before,
        col(Delivery.target) != "-",
    )
    if dry_run:
        return int(
            (
                await session.execute(select(func.count()).select_from(Delivery).where(*condition))
            ).scalar_one()
        )
    result = await session.execute(
        update(Delivery)
        .where(*condition)
        .values(message=REDACTED_MESSAGE, target="-", error=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def reflections_due_before(
    *, session: AsyncSession, due_before: datetime
) -> list[AssignmentProgress]:
    """Reflections on assignments due before the cut-off (their year's report is delivered)."""
    result = await session.execute(
        select(AssignmentProgress)
        .join(Assignment, col(Assignment.id) == col(AssignmentProgress.assignment_id))
        .where(col(AssignmentProgress.reflection).is_not(None), col(Assignment.due_at) < due_before)
    )
    return list(result.scalars())


async def pulse_texts_closed_before(
    *, session: AsyncSession, closes_before: datetime
) -> list[PulseAnswer]:
    """Free-text pulse answers of pulses that closed before the cut-off."""
    result = await session.execute(
        select(PulseAnswer)
        .join(Pulse, col(Pulse.id) == col(PulseAnswer.pulse_id))
        .where(col(PulseAnswer.text).is_not(None), col(Pulse.closes_at) < closes_before)
    )
    return list(result.scalars())


async def old_audit_events(*, session: AsyncSession, before: datetime, dry_run: bool) -> int:
    condition = col(AuditEvent.at) < before
    if dry_run:
        q = select(func.count()).select_from(AuditEvent).where(condition)
        return int((await session.execute(q)).scalar_one())
    result = await session.execute(delete(AuditEvent).where(condition))
    return int(getattr(result, "rowcount", 0) or 0)


async def old_processed_events(*, session: AsyncSession, before: datetime, dry_run: bool) -> int:
    condition = col(ProcessedEvent.received_at) < before
    if dry_run:
        q = select(func.count()).select_from(ProcessedEvent).where(condition)
        return int((await session.execute(q)).scalar_one())
    result = await session.execute(delete(ProcessedEvent).where(condition))
    return int(getattr(result, "rowcount", 0) or 0)


async def old_risk_cases(*, session: AsyncSession, week_before: str, dry_run: bool) -> int:
    condition = col(RiskCase.week) < week_before
    if dry_run:
        q = select(func.count()).select_from(RiskCase).where(condition)
        return int((await session.execute(q)).scalar_one())
    result = await session.execute(delete(RiskCase).where(condition))
    return int(getattr(result, "rowcount", 0) or 0)


async def alumni_profiles(*, session: AsyncSession) -> list[tuple[Person, list[Enrolment]]]:
    """People with a directory profile (findable or any field filled), with their enrolments."""
    result = await session.execute(
        select(Person).where(
            or_(
                col(Person.findable).is_(True),
                col(Person.project_title).is_not(None),
                col(Person.topics).is_not(None),
                col(Person.bio).is_not(None),
            ),
            col(Person.erased_at).is_(None),
        )
    )
    people = list(result.scalars())
    enrolments: dict[int, list[Enrolment]] = {}
    if people:
        rows = await session.execute(
            select(Enrolment).where(col(Enrolment.person_id).in_([p.id for p in people]))
        )
        for e in rows.scalars():
            enrolments.setdefault(e.person_id, []).append(e)
    return [(p, enrolments.get(p.id or 0, [])) for p in people]


async def last_activity(*, session: AsyncSession, person_id: int) -> datetime | None:
    """The newest sign of life: profile edit, consent, network join or peer check-in."""
    from storage.models import MatchCheckin

    candidates: list[datetime | None] = []
    for stmt in (
        select(func.max(col(Person.updated_at))).where(col(Person.id) == person_id),
        select(func.max(col(Consent.at))).where(col(Consent.person_id) == person_id),
        select(func.max(col(NetworkMembership.joined_at))).where(
            col(NetworkMembership.person_id) == person_id
        ),
        select(func.max(col(MatchCheckin.answered_at))).where(
            col(MatchCheckin.person_id) == person_id
        ),
    ):
        candidates.append((await session.execute(stmt)).scalar_one_or_none())
    from storage.types import UTCDateTime

    decoder = UTCDateTime()
    dialect = session.get_bind().dialect
    values = [
        decoder.process_result_value(
            datetime.fromisoformat(c) if isinstance(c, str) else c, dialect
        )
        for c in candidates
        if c is not None
    ]
    return max((v for v in values if v is not None), default=None)


async def erased_stubs(*, session: AsyncSession) -> list[tuple[Person, list[Enrolment]]]:
    """Pseudonymous rows left by an erasure (kept for a report), with their enrolments."""
    result = await session.execute(select(Person).where(col(Person.erased_at).is_not(None)))
    people = list(result.scalars())
    out = []
    for person in people:
        rows = await session.execute(select(Enrolment).where(col(Enrolment.person_id) == person.id))
        out.append((person, list(rows.scalars())))
    return out


# --- consents --------------------------------------------------------------------------------


async def add_consent(*, session: AsyncSession, consent: Consent) -> Consent:
    session.add(consent)
    await session.flush()
    return consent


async def consents_of(*, session: AsyncSession, person_id: int) -> list[Consent]:
    result = await session.execute(
        select(Consent)
        .where(col(Consent.person_id) == person_id)
        .order_by(col(Consent.at), col(Consent.id))
    )
    return list(result.scalars())


async def current_consent(
    *, session: AsyncSession, person_id: int, kind: str, scope: str = ""
) -> Consent | None:
    result = await session.execute(
        select(Consent)
        .where(
            col(Consent.person_id) == person_id,
            col(Consent.kind) == kind,
            col(Consent.scope) == scope,
        )
        .order_by(col(Consent.at).desc(), col(Consent.id).desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def get_person(*, session: AsyncSession, person_id: int) -> Person | None:
    return await session.get(Person, person_id)


async def enrolments_of(*, session: AsyncSession, person_id: int) -> list[Enrolment]:
    result = await session.execute(
        select(Enrolment).where(col(Enrolment.person_id) == person_id).order_by(col(Enrolment.id))
    )
    return list(result.scalars())


async def save(*, session: AsyncSession, rows: Iterable[SQLModel]) -> None:
    session.add_all(list(rows))
    await session.flush()


async def people_without_notice(*, session: AsyncSession, limit: int) -> list[Person]:
    """People not yet sent the privacy notice (erased stubs excluded), oldest first."""
    result = await session.execute(
        select(Person)
        .where(col(Person.privacy_notice_at).is_(None), col(Person.erased_at).is_(None))
        .order_by(col(Person.id))
        .limit(limit)
    )
    return list(result.scalars())
