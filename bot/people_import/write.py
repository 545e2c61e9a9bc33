"""Writing: people, enrolments and line-manager links, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.directory import DirectoryUser
from bot.enrolment_status import STATUS_DATE_FIELD, StatusChange, StatusError, apply_change
from bot.messages import normalise_locale
from bot.people_import.columns import ImportRejected, RowError
from bot.people_import.rows import PersonRow
from storage.models import CohortClass, Enrolment, EnrolmentStatus, LineManagerLink, Person
from storage.queries import people as q
from storage.types import utcnow


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
        p.slack_user_id: p.email
        for p in await q.list_people_by_slack_ids(
            session=session, slack_user_ids=[c[0] for c in candidates.values()]
        )
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


@dataclass
class _People:
    """The people an import touches, by email, and what changed for each."""

    people: dict[str, Person]
    blocked: set[str]  # emails whose Slack account someone else holds
    now: datetime
    changes: dict[str, list[str]] = field(default_factory=dict)

    def upsert(self, email: str, values: dict[str, Any]) -> None:
        if email in self.blocked:
            values = {k: v for k, v in values.items() if k not in ("slack_user_id", "slack_active")}
        person = self.people.get(email)
        if person is None:
            self.people[email] = Person(email=email, **values)
            self.changes[email] = ["created"]
            return
        changed = _set(person, values)
        if changed:
            person.updated_at = self.now
            self.changes.setdefault(email, []).extend(changed)

    def changed(self, email: str, what: str) -> None:
        self.changes.setdefault(email, []).append(what)


def _sync_enrolment(
    r: PersonRow,
    person_id: int,
    enrolment: Enrolment | None,
    *,
    cohort_id: int,
    class_id: int | None,
    today: date,
) -> Enrolment | None:
    """The enrolment to save for the row (new or changed); None when nothing changed.

    Status, credits and exam result follow the same rules as staff recording them by hand
    (bot.enrolment_status); a change that does not hold together raises StatusError.
    """
    created = enrolment is None
    if enrolment is None:
        enrolment = Enrolment(person_id=person_id, cohort_id=cohort_id, class_id=class_id)
        changed = ["created"]
    else:
        changed = _set(enrolment, {"class_id": class_id})
    change = _wanted_change(enrolment, r, created=created)
    if change is not None:
        changed += apply_change(enrolment, change, today=today)
    return enrolment if changed else None


def _sync_link(
    person_id: int, manager_id: int, link: LineManagerLink | None, *, cohort_id: int
) -> LineManagerLink | None:
    """The line-manager link to save (new or moved to another manager); None when unchanged."""
    if link is None:
        return LineManagerLink(participant_id=person_id, manager_id=manager_id, cohort_id=cohort_id)
    if link.manager_id != manager_id:
        link.manager_id = manager_id
        return link
    return None


async def import_people(
    *,
    session: AsyncSession,
    cohort_id: int,
    rows: Sequence[PersonRow],
    classes: Sequence[CohortClass],
    directory_users: Sequence[DirectoryUser] | None = None,
    today: date,
    report: ImportReport,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Create or update people, enrolments and line-manager links, in the caller's transaction.

    Blank cells leave what is stored alone, so a file with fewer details never wipes data.
    Raises ImportRejected, before writing anything, when the file gives a Slack user id that
    another person already holds.
    """
    report.rows = len(rows)
    class_ids = {c.key: c.id for c in classes}
    slack = _Slack(directory_users, report)
    managers = _managers_to_create(rows)
    people = {
        p.email: p
        for p in await q.list_people_by_emails(
            session=session, emails=[*{r.email for r in rows}, *managers]
        )
    }
    enrolments = {
        e.person_id: e for e in await q.list_enrolments(session=session, cohort_id=cohort_id)
    }
    links = {
        link.participant_id: link
        for link in await q.list_line_manager_links(session=session, cohort_id=cohort_id)
    }
    blocked = await _slack_ids_held_by_others(session, rows, managers, slack, report)

    # updated_at stamps: the caller's clock; the wall clock only when the caller has none.
    now = now or utcnow()
    touched = _People(people, blocked, now)
    for r in rows:
        values: dict[str, Any] = {"name": r.name, **r.profile}
        if r.locale:
            values["locale"] = r.locale
        values.update(slack.values(r.email, r.locale))
        if r.slack_user_id:
            values["slack_user_id"] = r.slack_user_id
        touched.upsert(r.email, values)
    for email, name in managers.items():
        existing = email in people
        values = {"name": name} if name else {} if existing else {"name": email.split("@")[0]}
        values.update(slack.values(email, None))
        touched.upsert(email, values)
        if email in touched.changes:
            (report.managers_updated if existing else report.managers_created).append(email)
    if touched.changes:
        await q.save_rows(session=session, rows=[people[e] for e in touched.changes])

    dirty: list[Any] = []
    status_errors: list[RowError] = []
    for r in rows:
        person = people[r.email]
        assert person.id is not None
        try:
            enrolment = _sync_enrolment(
                r,
                person.id,
                enrolments.get(person.id),
                cohort_id=cohort_id,
                class_id=class_ids[r.class_key],
                today=today,
            )
        except StatusError as exc:
            status_errors.append(RowError(r.row, str(exc)))
            enrolment = None
        if enrolment is not None:
            dirty.append(enrolment)
            touched.changed(r.email, "enrolment")
        if r.line_manager_email:
            manager = people[r.line_manager_email]
            assert manager.id is not None
            link = _sync_link(person.id, manager.id, links.get(person.id), cohort_id=cohort_id)
            if link is not None:
                dirty.append(link)
                touched.changed(r.email, "line_manager")
        if progress is not None:
            progress(1)
    if status_errors:
        raise ImportRejected(status_errors)
    if dirty:
        await q.save_rows(session=session, rows=dirty)

    for r in rows:
        done = touched.changes.get(r.email)
        if not done:
            report.unchanged.append(r.email)
        elif done[0] == "created":
            report.created.append(r.email)
        else:
            report.updated.append(r.email)
    return report
