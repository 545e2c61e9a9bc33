"""Writing: people, enrolments and line-manager links.

An import is worked out first and written afterwards. `plan_import` reads what the database
holds for the file's people (one read per table, plain rows, no ORM objects), compares it with
the file in memory and checks everything (Slack ids held by others, status changes, column
sizes) without writing: a dry run stops there, so it never opens a write transaction.
`write_import` then writes only the rows that differ, with one statement per batch, in
transactions of at most `WRITE_CHUNK` rows, so the running bot is never kept from the database
for long. A write cut off part-way leaves people, enrolments or links that the same import run
again completes (people are found by email; enrolments and links by their unique keys).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.directory import DirectoryUser
from bot.enrolment_status import STATUS_DATE_FIELD, StatusChange, StatusError, apply_change
from bot.messages import normalise_locale
from bot.people_import.columns import ImportRejected, RowError
from bot.people_import.rows import PersonRow
from bot.plan_changes import WRITE_CHUNK
from storage.db import Database
from storage.models import (
    CohortClass,
    Enrolment,
    EnrolmentStatus,
    LineManagerLink,
    Person,
    PersonIdentity,
)
from storage.queries import bulk
from storage.queries import identities as identities_q
from storage.queries import people as q


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    cohort_key: str
    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    managers_created: list[str] = field(default_factory=list)
    managers_updated: list[str] = field(default_factory=list)
    slack_checked: bool = False
    matched: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ignored_columns: tuple[str, ...] = ()
    dry_run: bool = False
    deliveries_planned: int = 0
    # Reached only by email (not on Slack); None when email is configured, so nobody is stuck.
    unreachable_participants: int | None = None
    unreachable_managers: int | None = None

    def counts(self) -> dict[str, int]:
        """The numbers, for the summary and the audit log (no personal data)."""
        return {
            "rows": self.rows,
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "managers_created": len(self.managers_created),
            "managers_updated": len(self.managers_updated),
            "matched_in_slack": len(self.matched),
            "not_found_in_slack": len(self.not_found),
            "deactivated_in_slack": len(self.deactivated),
        }


def _set(row: Any, values: dict[str, Any]) -> list[str]:
    changed = [k for k, v in values.items() if getattr(row, k) != v]
    for k in changed:
        setattr(row, k, values[k])
    return changed


def _wanted_change(enrolment: Any, r: PersonRow, *, created: bool) -> StatusChange | None:
    """What the row's status columns ask to record; None when it is already stored.

    A re-import of the same file changes nothing: an unchanged status keeps the day it was first
    recorded unless the file gives a different `status_date`.
    """
    status = r.status
    if status is not None and not created and status == enrolment.status:
        day = getattr(enrolment, STATUS_DATE_FIELD[EnrolmentStatus(status)])
        same_day = r.status_date is None or r.status_date == day
        same_reason = enrolment.withdrawal_reason == r.withdrawal_reason
        if same_day and same_reason:
            status = None
    credits = r.credits if r.credits is not None and r.credits != enrolment.credits else None
    result = r.exam_result if r.exam_result and r.exam_result != enrolment.exam_result else None
    if status is None and credits is None and result is None:
        return None
    return StatusChange(
        status=status,
        on=r.status_date if status else None,
        reason=r.withdrawal_reason if status else None,
        credits=credits,
        result=result,
    )


class _Slack:
    """Matches people to directory users by email and records the outcome in the report."""

    def __init__(self, users: Sequence[DirectoryUser] | None, report: ImportReport) -> None:
        self.report = report
        self.by_email: dict[str, DirectoryUser] | None = None
        if users is not None:
            report.slack_checked = True
            self.by_email = {}
            for user in users:
                if user.email:
                    # an active account wins over a deactivated one with the same address
                    current = self.by_email.get(user.email)
                    if current is None or (current.deleted and not user.deleted):
                        self.by_email[user.email] = user
            if users and not self.by_email:
                report.notes.append(
                    "Slack returned no email addresses: the app needs the users:read.email scope"
                )

    def user(self, email: str) -> DirectoryUser | None:
        return self.by_email.get(email) if self.by_email is not None else None

    def values(self, email: str, file_locale: str | None) -> dict[str, Any]:
        """Person fields from the directory; records matched, not found or deactivated."""
        if self.by_email is None:
            return {}
        user = self.by_email.get(email)
        if user is None:
            self.report.not_found.append(email)
            return {}
        if user.deleted:
            self.report.deactivated.append(email)
            return {"slack_user_id": user.id, "slack_active": False}
        self.report.matched.append(email)
        values: dict[str, Any] = {"slack_user_id": user.id, "slack_active": True}
        if user.tz:
            values["timezone"] = user.tz
        if file_locale is None and user.locale:
            values["locale"] = normalise_locale(user.locale)
        return values


def _managers_to_create(rows: Sequence[PersonRow]) -> dict[str, str | None]:
    """Line managers who are not participants in the file: email -> the first name given."""
    participant_emails = {r.email for r in rows}
    managers: dict[str, str | None] = {}
    for r in rows:
        if r.line_manager_email and r.line_manager_email not in participant_emails:
            if managers.get(r.line_manager_email) is None:
                managers[r.line_manager_email] = r.line_manager_name
    return managers


async def _slack_ids_held_by_others(
    session: AsyncSession,
    rows: Sequence[PersonRow],
    managers: dict[str, str | None],
    slack: _Slack,
    report: ImportReport,
) -> set[str]:
    """Slack ids someone else already holds: an error for the file's own, a note for Slack's.

    Returns the emails left unlinked; raises ImportRejected for the file's own ids.
    """
    candidates: dict[str, tuple[str, PersonRow | None]] = {}  # email -> (slack id, file row)
    for r in rows:
        user = slack.user(r.email)
        slack_id = r.slack_user_id or (user.id if user else None)
        if slack_id:
            candidates[r.email] = (slack_id, r if r.slack_user_id else None)
    for email in managers:
        user = slack.user(email)
        if user:
            candidates[email] = (user.id, None)
    holders = {
        slack_id: p.email
        for slack_id, p in (
            await q.list_people_by_slack_ids(
                session=session, slack_user_ids=[c[0] for c in candidates.values()]
            )
        ).items()
    }
    blocked: set[str] = set()
    errors: list[RowError] = []
    for email, (slack_id, file_row) in candidates.items():
        holder = holders.get(slack_id)
        if holder is None or holder == email:
            continue
        if file_row is not None:
            errors.append(RowError(file_row.row, f"slack_user_id {slack_id} belongs to {holder}"))
        else:
            blocked.add(email)
            report.notes.append(
                f"{email}: their Slack account is already linked to {holder}; left unlinked"
            )
    if errors:
        raise ImportRejected(errors)
    return blocked


async def _with_slack_identities(session: AsyncSession, people: Iterable[dict[str, Any]]) -> None:
    """Put each person's Slack identity into their row, as the import's `slack_user_id` and
    `slack_active` (one query per 500 people)."""
    people = list(people)
    found = await q.slack_states_of(session=session, person_ids=[p["id"] for p in people])
    for person in people:
        person["slack_user_id"], person["slack_active"] = found.get(person["id"], (None, True))


class _Row:
    """A plain row as attributes (what `apply_change` and `_set` work on), without the ORM."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def values(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ImportPlan:
    """What an import writes, worked out without writing. People not in the database yet have
    a negative stand-in id until they are inserted (`write_import` swaps in the real ones)."""

    report: ImportReport
    cohort_id: int
    now: datetime
    people: dict[str, dict[str, Any]]  # email -> the person's values after the import
    new_people: list[str] = field(default_factory=list)  # emails
    person_updates: dict[str, dict[str, Any]] = field(default_factory=dict)  # email -> changes
    new_enrolments: list[dict[str, Any]] = field(default_factory=list)
    enrolment_updates: list[dict[str, Any]] = field(default_factory=list)  # id + changes
    new_links: list[dict[str, Any]] = field(default_factory=list)
    link_updates: list[dict[str, Any]] = field(default_factory=list)  # id + manager_id
    enrolments: dict[int, dict[str, Any]] = field(default_factory=dict)  # person id -> after
    links: dict[int, int] = field(default_factory=dict)  # participant id -> manager id, after
    # email -> (Slack id, active) for the people whose Slack identity the import sets
    slack_identities: dict[str, tuple[str, bool]] = field(default_factory=dict)
    # notes from the write: Slack ids another import linked to someone else meanwhile
    unlinked: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Rows the write touches."""
        return (
            len(self.new_people)
            + len(self.person_updates)
            + len(self.new_enrolments)
            + len(self.enrolment_updates)
            + len(self.new_links)
            + len(self.link_updates)
        )


@dataclass
class _People:
    """The people an import touches, by email, and what changed for each."""

    people: dict[str, dict[str, Any]]
    blocked: set[str]  # emails whose Slack account someone else holds
    defaults: dict[str, Any]
    changes: dict[str, list[str]] = field(default_factory=dict)
    updates: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_id: int = -1

    def upsert(self, email: str, values: dict[str, Any]) -> None:
        if email in self.blocked:
            values = {k: v for k, v in values.items() if k not in ("slack_user_id", "slack_active")}
        person = self.people.get(email)
        if person is None:
            self.people[email] = {**self.defaults, **values, "email": email, "id": self.next_id}
            self.next_id -= 1
            self.changes[email] = ["created"]
            return
        changed = [k for k, v in values.items() if person.get(k) != v]
        if not changed:
            return
        for k in changed:
            person[k] = values[k]
        if self.changes.get(email, [""])[0] != "created":
            update = self.updates.setdefault(email, {"id": person["id"]})
            update.update({k: values[k] for k in changed})
            update["updated_at"] = self.defaults["updated_at"]
        self.changes.setdefault(email, []).extend(changed)

    def changed(self, email: str, what: str) -> None:
        self.changes.setdefault(email, []).append(what)


def _sync_enrolment(
    r: PersonRow,
    person_id: int,
    enrolment: _Row | None,
    *,
    cohort_id: int,
    class_id: int | None,
    today: date,
    defaults: dict[str, Any],
) -> tuple[_Row, list[str]]:
    """The row's enrolment after the import and the fields that changed ("created" for a new
    one); no change: [].

    Status, credits and exam result follow the same rules as staff recording them by hand
    (bot.enrolment_status); a change that does not hold together raises StatusError.
    """
    created = enrolment is None
    if enrolment is None:
        enrolment = _Row(
            {**defaults, "person_id": person_id, "cohort_id": cohort_id, "class_id": class_id}
        )
        changed = ["created"]
    else:
        changed = _set(enrolment, {"class_id": class_id})
    change = _wanted_change(enrolment, r, created=created)
    if change is not None:
        changed += apply_change(enrolment, change, today=today)
    return enrolment, changed


async def plan_import(
    *,
    session: AsyncSession,
    cohort_id: int,
    rows: Sequence[PersonRow],
    classes: Sequence[CohortClass],
    directory_users: Sequence[DirectoryUser] | None = None,
    today: date,
    report: ImportReport,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> ImportPlan:
    """Work out what importing `rows` into the cohort changes: reads only, writes nothing.

    Blank cells leave what is stored alone, so a file with fewer details never wipes data.
    Raises ImportRejected when the file gives a Slack user id that another person already
    holds or a status change that does not hold together, and ValueTooLong for a value longer
    than its column: all before anything is written.
    """
    report.rows = len(rows)
    class_ids = {c.key: c.id for c in classes}
    slack = _Slack(directory_users, report)
    managers = _managers_to_create(rows)
    emails = [*{r.email for r in rows}, *managers]
    people = {
        p["email"]: p
        for p in await bulk.rows_where_in(
            session=session, model=Person, column="email", values=emails
        )
    }
    await _with_slack_identities(session, people.values())
    enrolments = {
        e["person_id"]: _Row(e)
        for e in await bulk.rows_where(
            session=session, model=Enrolment, column="cohort_id", value=cohort_id
        )
    }
    links = {
        link["participant_id"]: link
        for link in await bulk.rows_where(
            session=session, model=LineManagerLink, column="cohort_id", value=cohort_id
        )
    }
    blocked = await _slack_ids_held_by_others(session, rows, managers, slack, report)

    touched = _People(people, blocked, bulk.defaults(Person, now=now))
    for r in rows:
        values: dict[str, Any] = {"name": r.name, **r.profile}
        if r.locale:
            values["locale"] = r.locale
        values.update(slack.values(r.email, r.locale))
        if r.slack_user_id:
            values["slack_user_id"] = r.slack_user_id
        touched.upsert(r.email, values)
    for email, name in managers.items():
        existing = email in people and touched.changes.get(email, [""])[0] != "created"
        values = {"name": name} if name else {} if existing else {"name": email.split("@")[0]}
        values.update(slack.values(email, None))
        touched.upsert(email, values)
        if email in touched.changes:
            (report.managers_updated if existing else report.managers_created).append(email)

    plan = ImportPlan(report=report, cohort_id=cohort_id, now=now, people=people)
    plan.new_people = [e for e, what in touched.changes.items() if what[0] == "created"]
    plan.person_updates = touched.updates
    for email, what in touched.changes.items():
        person = people[email]
        if person.get("slack_user_id") and (
            what[0] == "created" or {"slack_user_id", "slack_active"} & set(what)
        ):
            plan.slack_identities[email] = (
                person["slack_user_id"],
                bool(person.get("slack_active", True)),
            )
    _plan_enrolments_and_links(plan, rows, touched, enrolments, links, class_ids, today, progress)
    plan.enrolments = {pid: e.values() for pid, e in enrolments.items()}
    for pid, link in links.items():
        plan.links.setdefault(pid, link["manager_id"])
    bulk.check_rows(Person, (people[e] for e in plan.new_people))
    bulk.check_rows(Person, plan.person_updates.values())
    bulk.check_rows(
        PersonIdentity, ({"user_id": slack_id} for slack_id, _ in plan.slack_identities.values())
    )
    bulk.check_rows(Enrolment, plan.new_enrolments)
    bulk.check_rows(Enrolment, plan.enrolment_updates)

    for r in rows:
        done = touched.changes.get(r.email)
        if not done:
            report.unchanged.append(r.email)
        elif done[0] == "created":
            report.created.append(r.email)
        else:
            report.updated.append(r.email)
    return plan


def _plan_enrolments_and_links(
    plan: ImportPlan,
    rows: Sequence[PersonRow],
    touched: _People,
    enrolments: dict[int, _Row],
    links: dict[int, dict[str, Any]],
    class_ids: dict[str, int | None],
    today: date,
    progress: Callable[[int], None] | None,
) -> None:
    people = touched.people
    defaults = bulk.defaults(Enrolment, now=plan.now)
    status_errors: list[RowError] = []
    for r in rows:
        person_id = people[r.email]["id"]
        try:
            enrolment, changed = _sync_enrolment(
                r,
                person_id,
                enrolments.get(person_id),
                cohort_id=plan.cohort_id,
                class_id=class_ids[r.class_key],
                today=today,
                defaults=defaults,
            )
        except StatusError as exc:
            status_errors.append(RowError(r.row, str(exc)))
            changed = []
        else:
            enrolments[person_id] = enrolment
            if changed and changed[0] == "created":
                plan.new_enrolments.append(enrolment.values())
            elif changed:
                plan.enrolment_updates.append(
                    {
                        "id": enrolment.values()["id"],
                        **{k: getattr(enrolment, k) for k in set(changed)},
                    }
                )
        if changed:
            touched.changed(r.email, "enrolment")
        if r.line_manager_email:
            manager_id = people[r.line_manager_email]["id"]
            link = links.get(person_id)
            if link is None:
                plan.new_links.append(
                    {
                        "participant_id": person_id,
                        "manager_id": manager_id,
                        "cohort_id": plan.cohort_id,
                    }
                )
                plan.links[person_id] = manager_id
                touched.changed(r.email, "line_manager")
            elif link["manager_id"] != manager_id:
                plan.link_updates.append({"id": link["id"], "manager_id": manager_id})
                plan.links[person_id] = manager_id
                touched.changed(r.email, "line_manager")
        if progress is not None:
            progress(1)
    if status_errors:
        raise ImportRejected(status_errors)


SLACK_FIELDS = ("slack_user_id", "slack_active")  # the import's; stored as the Slack identity


def _person_columns(values: dict[str, Any], *drop: str) -> dict[str, Any]:
    """A person's values without the Slack identity's fields (and `drop`)."""
    return {k: v for k, v in values.items() if k not in SLACK_FIELDS and k not in drop}


async def write_import(db: Database, plan: ImportPlan, *, chunk: int = WRITE_CHUNK) -> None:
    """Write what `plan_import` worked out, at most `chunk` rows per transaction.

    New people first (a person someone else created meanwhile under the same email is left
    as it is and used), then their ids are read back, then changed people, enrolments and
    links. Each insert leaves a row whose unique key exists alone, so running the same import
    again after a crash completes it and duplicates nothing.
    """
    new = [plan.people[e] for e in plan.new_people]
    for i in range(0, len(new), chunk):
        async with db.transaction() as session:
            await bulk.insert_many(
                session=session,
                model=Person,
                rows=[_person_columns(p, "id") for p in new[i : i + chunk]],
                conflict=["email"],
            )
    real: dict[int, int] = {}
    if new:
        async with db.session() as session:
            found = {
                p["email"]: p["id"]
                for p in await bulk.rows_where_in(
                    session=session, model=Person, column="email", values=plan.new_people
                )
            }
        for person in new:
            real[person["id"]] = found[person["email"]]
            person["id"] = found[person["email"]]

    def ids(row: dict[str, Any], *names: str) -> dict[str, Any]:
        return {**row, **{n: real.get(row[n], row[n]) for n in names}}

    enrolments = [
        {k: v for k, v in ids(e, "person_id").items() if k != "id"} for e in plan.new_enrolments
    ]
    links = [ids(link, "participant_id", "manager_id") for link in plan.new_links]
    link_updates = [ids(link, "manager_id") for link in plan.link_updates]
    person_updates = [_person_columns(u) for u in plan.person_updates.values()]
    steps: list[tuple[str, Any, list[dict[str, Any]], list[str] | None]] = [
        ("update", Person, [u for u in person_updates if set(u) - {"id", "updated_at"}], None),
        ("insert", Enrolment, enrolments, ["person_id", "cohort_id"]),
        ("update", Enrolment, plan.enrolment_updates, None),
        ("insert", LineManagerLink, links, ["participant_id", "cohort_id"]),
        ("update", LineManagerLink, link_updates, None),
    ]
    for how, model, rows, conflict in steps:
        for i in range(0, len(rows), chunk):
            async with db.transaction() as session:
                if how == "insert":
                    await bulk.insert_many(
                        session=session, model=model, rows=rows[i : i + chunk], conflict=conflict
                    )
                else:
                    await bulk.update_many(session=session, model=model, rows=rows[i : i + chunk])
    emails = {plan.people[email]["id"]: email for email in plan.slack_identities}
    slack = sorted((plan.people[email]["id"], ids) for email, ids in plan.slack_identities.items())
    for i in range(0, len(slack), chunk):
        wanted = dict(slack[i : i + chunk])
        while wanted:
            try:
                async with db.transaction() as session:
                    await identities_q.save_identities(
                        session=session, platform="slack", wanted=wanted, now=plan.now
                    )
                break
            except identities_q.IdentityTaken as taken:
                # Another import gave this id to someone else after the plan was checked: as
                # with a directory match someone else holds, the person is left unlinked.
                person_id = next(p for p, (u, _) in wanted.items() if u == taken.user_id)
                del wanted[person_id]
                plan.unlinked.append(
                    f"{emails[person_id]}: Slack id {taken.user_id} was linked to someone else "
                    "by another import meanwhile; left unlinked"
                )
