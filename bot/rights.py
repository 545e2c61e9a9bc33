"""People's rights over their data: a copy of everything (art. 15, 20) and erasure (art. 17).

`export_person` writes every row that holds the person's id (the registry in
`storage.queries.rights`, checked against the schema by a test), the messages sent to them with
their texts, their consents with history and the audit entries about them, grouped by data class.
The format is documented in docs/privacy.md ("Your copy of your data").

`erase_person` deletes or irreversibly anonymises all of it, scrubs their email, name and Slack id
from every other text (line managers' nudges that name them, staff notes), pseudonymises audit
entries, and records the erasure without the erased data. What a legal basis requires keeping
(a result for an annual report not yet delivered) is kept in a stub without name or contact, and
the refusal says why; retention deletes the stub once the report is delivered.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audit
from bot.archive import rights as archive_rights
from bot.archive import store_for
from bot.settings import Settings
from bot.text import short
from storage.emails import canonical_email
from storage.models import ERASED_EMAIL_SUFFIX, Cohort, CohortStatus, Enrolment, Person
from storage.queries import people as people_q
from storage.queries import rights as q
from storage.queries.rights import PERSON_COLUMNS, PERSON_ID_LISTS, jsonable

EXPORT_FORMAT = "cohortbot-person-export"
EXPORT_VERSION = 1

# The person's own row, split into the data classes the export and docs name.
DIRECTORY_FIELDS = ("findable", "project_title", "topics", "bio")
# Kept in a stub for a report not yet delivered: the report's background columns.
REPORT_BACKGROUND_FIELDS = (
    "municipality",
    "county",
    "service_area",
    "workplace",
    "position",
    "gender",
    "education",
    "locale",
)

DATA_CLASS_ORDER = (
    "profile",
    "directory_profile",
    "chat_identities",
    "enrolments",
    "line_managers",
    "assignments",
    "nudges_about_them",
    "nudges_to_them",
    "pulses",
    "pulse_answers",
    "matching",
    "archive",
    "messages",
    "consents",
    "risk_cases",
    "staff_actions",
    "audit",
)

NOT_INCLUDED = (
    "Answers to anonymous pulses: once a pulse closes they are stored without any link to you, "
    "so nobody (the bot included) can find which answers are yours; while it is open they are "
    "sealed under a key, and an erasure deletes them."
)


class UnknownPerson(LookupError):
    """No person with that email."""


def _column_label(table: str, column: str) -> str:
    """`table`, or `table.column` where the table holds the person in more than one column."""
    same = [c for c in PERSON_COLUMNS if c.table == table]
    return table if len(same) == 1 else f"{table}.{column}"


def report_year_delivered(year: int, *, now: datetime, settings: Settings) -> bool:
    """Whether the annual status report for `year` is due (and so delivered) by `now`."""
    month, day = settings.report_due_month_day
    return now.astimezone(settings.zone).date() >= date(year + 1, month, day)


def last_reported_year(*, now: datetime, settings: Settings) -> int:
    """The newest year whose annual report is delivered."""
    local = now.astimezone(settings.zone).date()
    year = local.year - 1
    return year if report_year_delivered(year, now=now, settings=settings) else year - 1


def cohort_last_year(cohort: Cohort, *, now: datetime, settings: Settings) -> int | None:
    """The last year a cohort counts in an annual report; None while it has no end."""
    if cohort.end_date is not None:
        return cohort.end_date.year
    if cohort.completed_at is not None:
        return cohort.completed_at.astimezone(settings.zone).year
    return None if cohort.status != CohortStatus.COMPLETED else now.year


# --- export ----------------------------------------------------------------------------------


async def find_person(session: AsyncSession, email: str) -> Person:
    person = await people_q.get_person_by_email(session=session, email=email)
    if person is None or person.id is None or person.erased_at is not None:
        raise UnknownPerson(short(canonical_email(email), 80))
    return person


async def export_person(
    session: AsyncSession,
    *,
    email: str,
    now: datetime,
    actor: str,
    actor_id: int | None = None,
) -> dict[str, Any]:
    """Everything stored about the person, by data class; the export itself is audited."""
    person = await find_person(session, email)
    assert person.id is not None
    pid = person.id
    classes: dict[str, Any] = {name: {} for name in DATA_CLASS_ORDER}
    me = {k: jsonable(v) for k, v in person.model_dump().items()}
    classes["profile"] = {k: v for k, v in me.items() if k not in DIRECTORY_FIELDS}
    classes["directory_profile"] = {k: me[k] for k in DIRECTORY_FIELDS}
    for pc in PERSON_COLUMNS:
        if pc.data_class in ("messages", "audit", "consents"):
            continue  # below, with more than the id column finds
        rows = await q.rows_with_person(
            session=session, table=pc.table, column=pc.column, person_id=pid
        )
        classes[pc.data_class][_column_label(pc.table, pc.column)] = rows
    for table, _column, data_class in PERSON_ID_LISTS:
        classes[data_class][table] = await _groups(session, pid)
    classes["archive"]["archive_files"] = await archive_rights.export_files(session, pid)
    addresses = await q.identifiers_of(session=session, person=person)
    classes["messages"] = [
        {
            "id": d.id,
            "kind": d.kind,
            "transport": d.transport,
            "to": d.target,
            "state": d.state,
            "send_at": jsonable(d.send_at),
            "sent_at": jsonable(d.sent_at),
            "message": jsonable(d.message),
        }
        for d in await q.deliveries_to(session=session, person_id=pid, addresses=addresses)
    ]
    classes["consents"] = [
        {
            "kind": c.kind,
            "scope": c.scope,
            "granted": c.granted,
            "at": jsonable(c.at),
            "via": c.via,
            "text_version": c.text_version,
            "text": c.text,
        }
        for c in await q.consents_of(session=session, person_id=pid)
    ]
    classes["audit"] = [
        {
            "at": jsonable(e.at),
            "actor": e.actor,
            "action": e.action,
            "subject": e.subject,
            "detail": jsonable(e.detail),
        }
        for e in await q.audit_about(session=session, person_id=pid)
    ]
    await audit.record(
        session,
        actor=actor,
        actor_id=actor_id,
        action="person.export",
        subject=f"person:{pid}",
        detail={"person_id": pid},
    )
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": jsonable(now),
        "person": {"id": pid, "email": person.email, "name": person.name},
        "data_classes": classes,
        "not_included": NOT_INCLUDED,
    }


async def _groups(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    groups = await q.match_groups_of(session=session, person_id=person_id)
    names = await q.person_names(
        session=session, person_ids=[i for g, _, _ in groups for i in g.member_ids]
    )
    return [
        {
            "group_id": g.id,
            "network": n.name,
            "round_started_at": jsonable(r.started_at),
            "round_ends_at": jsonable(r.ends_at),
            "matched_with": [names.get(i, "?") for i in g.member_ids if i != person_id],
        }
        for g, r, n in groups
    ]


# --- erasure ---------------------------------------------------------------------------------


@dataclass
class Refusal:
    """A part of the record a legal basis requires keeping, and why."""

    what: str
    reason: str
    until: str


@dataclass
class ErasureReport:
    pseudonym: str
    counts: dict[str, int] = field(default_factory=dict)
    scrubbed: dict[str, int] = field(default_factory=dict)
    kept: list[Refusal] = field(default_factory=list)
    dry_run: bool = False

    @property
    def stub_kept(self) -> bool:
        return bool(self.kept)


async def _kept_enrolments(
    session: AsyncSession, person_id: int, *, now: datetime, settings: Settings
) -> list[tuple[Enrolment, Refusal]]:
    """Enrolments an annual report not yet delivered still needs (status, credits, result)."""
    from storage.queries.networks import get_cohort

    kept = []
    reported = last_reported_year(now=now, settings=settings)
    for enrolment in await q.enrolments_of(session=session, person_id=person_id):
        cohort = await get_cohort(session=session, cohort_id=enrolment.cohort_id)
        if cohort is None:
            continue
        last = cohort_last_year(cohort, now=now, settings=settings)
        if last is not None and last <= reported:
            continue
        year = last if last is not None else now.astimezone(settings.zone).year
        month, day = settings.report_due_month_day
        kept.append(
            (
                enrolment,
                Refusal(
                    what=f"enrolment in {cohort.name}: status, dates, credits, exam result, withdrawal reason category",
                    reason=(
                        "the annual status report to the funder counts every participant, their "
                        f"background and result; the report for {year} is not delivered yet "
                        "(legal obligation / public task, GDPR art. 6(1)(c) and (e)); kept "
                        "without name, email or Slack id"
                    ),
                    until=date(year + 1, month, day).isoformat(),
                ),
            )
        )
    return kept


async def erase_person(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str,
    now: datetime,
    actor: str,
    actor_id: int | None = None,
    dry_run: bool = False,
) -> ErasureReport:
    """Erase the person everywhere (in the caller's transaction); see the module docstring.

    Run `storage.db.Database.purge_freed_space()` after the commit, so the freed pages of the
    database files (SQLite main file and WAL; PostgreSQL dead tuples) lose the old bytes too.
    """
    person = await find_person(session, email)
    assert person.id is not None
    pid = person.id
    report = ErasureReport(pseudonym=f"erased:{secrets.token_hex(6)}", dry_run=dry_run)
    kept = await _kept_enrolments(session, pid, now=now, settings=settings)
    report.kept = [r for _, r in kept]
    addresses = await q.identifiers_of(session=session, person=person)
    needles = [person.name, *addresses]
    deliveries = await q.deliveries_to(session=session, person_id=pid, addresses=addresses)
    report.counts["messages"] = len(deliveries)
    for pc in PERSON_COLUMNS:
        if pc.data_class in ("messages", "audit"):
            continue
        if pc.table == "enrolment" and kept:
            continue
        rows = await q.rows_with_person(
            session=session, table=pc.table, column=pc.column, person_id=pid
        )
        if rows:
            report.counts[pc.data_class] = report.counts.get(pc.data_class, 0) + len(rows)
    audit_rows = await q.audit_about(session=session, person_id=pid)
    report.counts["audit (pseudonymised)"] = len(audit_rows)
    if dry_run:
        return report

    await q.delete_deliveries(session=session, ids=[d.id for d in deliveries if d.id])
    # Before the registry's plain deletes: the items' index entries and files go with them.
    report.counts["archive items (with files)"] = await archive_rights.erase_items(
        session, store_for(settings), pid
    )
    for pc in PERSON_COLUMNS:
        if pc.data_class in ("messages", "audit") or (pc.table == "enrolment" and kept):
            continue
        await q.erase_person_column(
            session=session, table=pc.table, column=pc.column, person_id=pid, how=pc.erase
        )
    for table, column, _ in PERSON_ID_LISTS:
        report.counts["matching groups"] = await q.remove_from_id_lists(
            session=session, table=table, column=column, person_id=pid
        )
    report.counts["sealed pulse receipts"] = await _delete_receipts(session, settings, pid)
    await q.pseudonymise_audit(session=session, person_id=pid, pseudonym=report.pseudonym)
    if kept:
        _make_stub(person, report.pseudonym, now)
        for enrolment, _ in kept:
            enrolment.alumni_consent = None
            enrolment.alumni_consent_at = None
        await q.save(session=session, rows=[person, *(e for e, _ in kept)])
    else:
        await q.delete_person_row(session=session, person_id=pid)
    session.expunge(person)
    report.scrubbed = await q.scrub_identifiers(session=session, needles=needles)
    if report.scrubbed.get("archive_item"):
        await archive_rights.reindex_scrubbed(session, q.ERASED_MARK)
    await audit.record(
        session,
        actor=actor,
        actor_id=actor_id,
        action="person.erase",
        subject=report.pseudonym,
        detail={
            "counts": report.counts,
            "scrubbed": report.scrubbed,
            "kept": [{"what": r.what, "until": r.until} for r in report.kept],
        },
        flush=True,
    )
    return report


async def _delete_receipts(session: AsyncSession, settings: Settings, person_id: int) -> int:
    """Delete the person's sealed answers to open anonymous pulses (found by their keyed token;
    without the secret key nobody, the bot included, can find them, and they go at close)."""
    if not settings.secret_key:
        return 0
    from bot.sealed import respondent_token

    deleted = 0
    for pulse_id in await q.receipt_pulse_ids(session=session):
        for key in settings.verification_keys:  # and a receipt from before a key rotation
            token = respondent_token(key, pulse_id, person_id)
            deleted += await q.delete_receipt(session=session, pulse_id=pulse_id, token=token)
    return deleted


def _make_stub(person: Person, pseudonym: str, now: datetime) -> None:
    """Strip the person row to what the report needs: no name, contact, profile or free text."""
    person.email = pseudonym.replace(":", "-") + ERASED_EMAIL_SUFFIX
    person.name = "(slettet)"
    person.timezone = None
    person.is_staff = False
    person.findable = False
    person.project_title = None
    person.topics = None
    person.bio = None
    person.privacy_notice_at = None
    person.erased_at = now
    person.updated_at = now


def export_json(data: dict[str, Any]) -> bytes:
    """The export as the file people get: UTF-8 JSON, indented, non-ASCII kept readable."""
    import json

    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode()


def export_filename(data: dict[str, Any], *, now: datetime) -> str:
    return f"cohortbot-data-{data['person']['id']}-{now.date().isoformat()}.json"
