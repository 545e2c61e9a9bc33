"""Import a cohort's participants and their line managers from CSV or XLSX.

All or nothing: every row is checked first, and if any row is bad every bad row is reported
(with its row number as the spreadsheet shows it: the header is row 1) and nothing is written.
Re-importing updates people by email (lower-cased) and never duplicates. When a Slack directory
is given, participants and managers are matched to Slack users by email from one read of the
whole directory. The format is documented in docs/people-import.md.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import planner
from bot.directory import DirectoryUser
from bot.enrolment_status import (
    STATUS_DATE_FIELD,
    WITHDRAWAL_REASONS,
    StatusChange,
    StatusError,
    apply_change,
    parse_credits,
    parse_reason,
    parse_result,
    parse_status,
)
from bot.messages import normalise_locale
from bot.settings import Settings
from storage.db import Database, scratch_copy
from storage.models import (
    CohortClass,
    Enrolment,
    EnrolmentStatus,
    LineManagerLink,
    Person,
)
from storage.queries import people as q
from storage.queries import plan as plan_q
from storage.types import utcnow

REQUIRED_COLUMNS = (
    "email",
    "name",
    "class",
    "municipality",
    "county",
    "service_area",
    "position",
    "gender",
    "education",
    "line_manager_email",
    "line_manager_name",
)
OPTIONAL_COLUMNS = (
    "locale",
    "slack_user_id",
    "status",
    "status_date",
    "withdrawal_reason",
    "credits",
    "exam_result",
    "workplace",
)
PROFILE_COLUMNS = (
    "municipality",
    "county",
    "service_area",
    "position",
    "gender",
    "education",
    "workplace",
)
LOCALES = {"nb": "nb", "nn": "nb", "no": "nb", "en": "en"}
STATUSES = tuple(s.value for s in EnrolmentStatus)
MAX_LENGTHS = {
    "name": 200,
    "municipality": 100,
    "county": 100,
    "service_area": 100,
    "position": 200,
    "gender": 32,
    "education": 200,
    "workplace": 200,
    "line_manager_name": 200,
}
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$")
SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, empty, a column missing)."""


@dataclass(frozen=True, slots=True, order=True)
class RowError:
    row: int  # as the spreadsheet shows it: the header is row 1
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}"


class ImportRejected(Exception):
    """Some rows are bad; nothing was imported. `errors` holds every bad row and why."""

    def __init__(self, errors: Iterable[RowError]) -> None:
        self.errors = tuple(sorted(errors))
        super().__init__(f"{len(self.errors)} bad row(s); nothing was imported")


# --- reading the file ----------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """The file's rows as text, keyed by normalised column name, with their row numbers."""

    columns: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]
    ignored_columns: tuple[str, ...] = ()


def normalise_header(name: str) -> str:
    """' Line manager E-mail ' -> 'line_manager_email'; case, spaces and hyphens do not matter."""
    cleaned = name.replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", cleaned).replace("e_mail", "email")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _table(records: Iterable[Sequence[Any]]) -> Table:
    iterator = iter(records)
    header: list[str] | None = None
    for raw in iterator:
        cells = [_cell(c) for c in raw]
        if any(cells):
            header = [normalise_header(c) for c in cells]
            break
        # a blank line before the header is not worth an error
    if header is None:
        raise ImportFileError(
            "the file is empty: expected a header row with the columns "
            + ", ".join(REQUIRED_COLUMNS)
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportFileError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}: "
            f"the header row needs {', '.join(REQUIRED_COLUMNS)} "
            f"(optional: {', '.join(OPTIONAL_COLUMNS)})"
        )
    duplicated = sorted({c for c in header if c and header.count(c) > 1})
    if duplicated:
        raise ImportFileError(f"the column {', '.join(duplicated)} appears more than once")
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    ignored = tuple(c for c in header if c and c not in known)
    rows: list[tuple[int, dict[str, str]]] = []
    for offset, raw in enumerate(iterator, start=2):
        cells = [_cell(c) for c in raw]
        if not any(cells):
            continue  # Excel leaves blank rows at the end
        values = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header)}
        rows.append((offset, {k: v for k, v in values.items() if k in known}))
    if not rows:
        raise ImportFileError("the file has a header row but no people")
    return Table(
        columns=tuple(c for c in header if c in known), rows=tuple(rows), ignored_columns=ignored
    )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older Excel saves "CSV (semicolon separated)" in Windows-1252, not UTF-8.
        return data.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(data: bytes) -> Table:
    """Read CSV (comma, semicolon or tab; UTF-8 with or without BOM)."""
    text = _decode(data)
    if not text.strip():
        raise ImportFileError(
            "the file is empty: expected a header row with the columns "
            + ", ".join(REQUIRED_COLUMNS)
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    return _table(reader)


def read_xlsx(path: Path) -> Table:
    """Read the first sheet of an XLSX workbook."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ImportFileError(
            f"cannot read {path.name} as an XLSX workbook ({type(exc).__name__})"
        ) from None
    try:
        sheet = workbook.worksheets[0]
        return _table(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()


def read_table(path: Path | str) -> Table:
    """Read a people file: .xlsx by its name, anything else as CSV."""
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"no such file: {path}")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_xlsx(path)
    if path.suffix.lower() == ".xls":
        raise ImportFileError("old .xls workbooks are not supported: save as .xlsx or CSV UTF-8")
    return read_csv(path.read_bytes())


# --- checking the rows ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonRow:
    """One valid row."""

    row: int
    email: str
    name: str
    class_key: str
    profile: dict[str, str]  # non-empty profile cells only
    line_manager_email: str | None
    line_manager_name: str | None
    locale: str | None
    slack_user_id: str | None
    status: str | None
    credits: float | None
    status_date: date | None = None
    withdrawal_reason: str | None = None
    exam_result: str | None = None


def _class_index(classes: Sequence[CohortClass]) -> dict[str, set[str]]:
    index: dict[str, set[str]] = {}
    for c in classes:
        for label in (c.key, c.name, c.city):
            index.setdefault(label.strip().lower(), set()).add(c.key)
    return index


def _check_email(
    values: dict[str, str], row: int, first_row_of: dict[str, int], problems: list[str]
) -> str:
    email = values.get("email", "").strip().lower()
    if not email:
        problems.append("email is empty")
    elif not EMAIL.match(email) or len(email) > 320:
        problems.append(f"'{values['email']}' is not an email address")
    elif email in first_row_of:
        problems.append(f"duplicate email {email} (also on row {first_row_of[email]})")
    else:
        first_row_of[email] = row
    return email


def _check_class(
    values: dict[str, str], index: dict[str, set[str]], known_classes: str, problems: list[str]
) -> str:
    class_ref = values.get("class", "").strip()
    if not class_ref:
        problems.append(f"class is empty; expected one of: {known_classes}")
        return ""
    matches = index.get(class_ref.lower(), set())
    if not matches:
        problems.append(f"unknown class '{class_ref}'; expected one of: {known_classes}")
    elif len(matches) > 1:
        problems.append(
            f"class '{class_ref}' matches {', '.join(sorted(matches))}; use the class key"
        )
    else:
        return next(iter(matches))
    return ""


def _check_line_manager(
    values: dict[str, str], email: str, problems: list[str]
) -> tuple[str | None, str | None]:
    manager_email = values.get("line_manager_email", "").strip().lower() or None
    manager_name = values.get("line_manager_name", "").strip() or None
    if manager_email and not EMAIL.match(manager_email):
        problems.append(
            f"line_manager_email '{values['line_manager_email']}' is not an email address"
        )
    elif manager_email and manager_email == email:
        problems.append("the line manager is the participant themself")
    if manager_name and not manager_email:
        problems.append("line_manager_name is given but line_manager_email is empty")
    return manager_email, manager_name


def _check_locale(values: dict[str, str], problems: list[str]) -> str | None:
    locale_raw = values.get("locale", "").strip()
    if not locale_raw:
        return None
    code = locale_raw.replace("_", "-").split("-")[0].lower()
    if code not in LOCALES:
        problems.append(f"unknown locale '{locale_raw}'; expected nb, nn, no or en")
        return None
    return LOCALES[code]


def _check_slack_id(
    values: dict[str, str], row: int, first_slack_row: dict[str, int], problems: list[str]
) -> str | None:
    slack_id = values.get("slack_user_id", "").strip() or None
    if slack_id:
        if not SLACK_ID.match(slack_id):
            problems.append(f"'{slack_id}' is not a Slack user id (like U012ABCDEF)")
        elif slack_id in first_slack_row:
            problems.append(
                f"duplicate slack_user_id {slack_id} (also on row {first_slack_row[slack_id]})"
            )
        else:
            first_slack_row[slack_id] = row
    return slack_id


def _check_status(values: dict[str, str], problems: list[str]) -> str | None:
    status_raw = values.get("status", "").strip()
    if not status_raw:
        return None
    try:
        return parse_status(status_raw)
    except StatusError:
        problems.append(f"unknown status '{status_raw}'; expected one of: {', '.join(STATUSES)}")
        return None


def _check_status_facts(
    values: dict[str, str], status: str | None, problems: list[str]
) -> tuple[date | None, str | None, str | None]:
    """(status date, withdrawal reason category, exam result) from the optional columns."""
    status_date: date | None = None
    date_raw = values.get("status_date", "").strip()
    if date_raw:
        try:
            status_date = date.fromisoformat(date_raw[:10])
        except ValueError:
            problems.append(f"status_date '{date_raw}' is not a date like 2026-03-31")
        if not values.get("status", "").strip():
            problems.append("status_date is given but status is empty")
    reason: str | None = None
    reason_raw = values.get("withdrawal_reason", "").strip()
    if reason_raw:
        try:
            reason = parse_reason(reason_raw)
        except StatusError:
            problems.append(
                f"unknown withdrawal_reason '{reason_raw}'; expected one of: "
                + ", ".join(WITHDRAWAL_REASONS)
            )
        if status != EnrolmentStatus.WITHDRAWN:
            problems.append("withdrawal_reason is given but status is not withdrawn")
    elif status == EnrolmentStatus.WITHDRAWN:
        reason = "not_stated"
    exam_result: str | None = None
    result_raw = values.get("exam_result", "").strip()
    if result_raw:
        try:
            exam_result = parse_result(result_raw)
        except StatusError:
            problems.append(f"exam_result '{result_raw}' is not passed or failed")
    return status_date, reason, exam_result


def _check_credits(values: dict[str, str], problems: list[str]) -> float | None:
    credits_raw = values.get("credits", "").strip()
    if not credits_raw:
        return None
    try:
        return parse_credits(credits_raw)
    except StatusError:
        problems.append(f"credits '{credits_raw}' is not a number from 0 to 60")
        return None


def validate_rows(table: Table, classes: Sequence[CohortClass]) -> list[PersonRow]:
    """Check every row; raise ImportRejected listing every bad row."""
    errors: list[RowError] = []
    index = _class_index(classes)
    known_classes = (
        ", ".join(f"{c.key} ({c.city})" for c in classes) or "none: apply the plan first"
    )
    first_row_of: dict[str, int] = {}
    first_slack_row: dict[str, int] = {}
    out: list[PersonRow] = []
    for row, values in table.rows:
        problems: list[str] = []
        email = _check_email(values, row, first_row_of, problems)
        name = values.get("name", "").strip()
        if not name:
            problems.append("name is empty")
        class_key = _check_class(values, index, known_classes, problems)
        for column, limit in MAX_LENGTHS.items():
            if len(values.get(column, "")) > limit:
                problems.append(f"{column} is longer than {limit} characters")
        manager_email, manager_name = _check_line_manager(values, email, problems)
        locale = _check_locale(values, problems)
        slack_id = _check_slack_id(values, row, first_slack_row, problems)
        status = _check_status(values, problems)
        status_date, reason, exam_result = _check_status_facts(values, status, problems)
        credits = _check_credits(values, problems)
        if problems:
            errors.extend(RowError(row, p) for p in problems)
            continue
        profile = {c: values[c].strip() for c in PROFILE_COLUMNS if values.get(c, "").strip()}
        out.append(
            PersonRow(
                row=row,
                email=email,
                name=name,
                class_key=class_key,
                profile=profile,
                line_manager_email=manager_email,
                line_manager_name=manager_name,
                locale=locale,
                slack_user_id=slack_id,
                status=status,
                credits=credits,
                status_date=status_date,
                withdrawal_reason=reason,
                exam_result=exam_result,
            )
        )
    if errors:
        raise ImportRejected(errors)
    return out


# --- writing -------------------------------------------------------------------------------


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
        if r.status is None:
            enrolment.started_on = today
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

    now = utcnow()
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


async def run_import(
    db: Database,
    path: Path | str,
    *,
    cohort_ref: str,
    today: date,
    directory_users: Sequence[DirectoryUser] | None = None,
    dry_run: bool = False,
    actor: str = "cli",
    progress: Callable[[int], None] | None = None,
    table: Table | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Read, check and import a people file in one transaction; with `dry_run`, roll back.

    With `settings` and `now`, the planner then schedules what the plan implies for the new
    and changed people (their reminders and their managers' nudges), after the commit in short
    transactions. A dry run writes nothing and does not lock the database: on SQLite it runs on
    a scratch copy (`storage.db.scratch_copy`) and only counts the deliveries.
    Raises ImportFileError (the file or cohort is unusable) or ImportRejected (bad rows).
    """
    table = table or read_table(path)
    target: Database = db
    async with AsyncExitStack() as stack:
        if dry_run:
            target = await stack.enter_async_context(scratch_copy(db))
        report, cohort_id = await _import_in(
            target,
            path,
            table,
            cohort_ref=cohort_ref,
            today=today,
            directory_users=directory_users,
            dry_run=dry_run,
            actor=actor,
            progress=progress,
            settings=settings,
            now=now,
        )
    if not dry_run and settings is not None and now is not None:
        warnings: list[str] = []
        report.deliveries_planned = await planner.replan_cohort(
            db, cohort_id=cohort_id, settings=settings, now=now, warnings=warnings
        )
        report.notes.extend(warnings)
    return report


async def _import_in(
    db: Database,
    path: Path | str,
    table: Table,
    *,
    cohort_ref: str,
    today: date,
    directory_users: Sequence[DirectoryUser] | None,
    dry_run: bool,
    actor: str,
    progress: Callable[[int], None] | None,
    settings: Settings | None,
    now: datetime | None,
) -> tuple[ImportReport, int]:
    async with db.session() as session:
        cohort = await plan_q.find_cohort(session=session, ref=cohort_ref)
        if cohort is None or cohort.id is None:
            known = await plan_q.list_cohort_keys(session=session)
            raise ImportFileError(
                f"no cohort '{cohort_ref}'; expected a cohort key or id"
                + (f" ({', '.join(known)})" if known else ": apply a plan first")
            )
        cohort_id = cohort.id  # kept: a rollback expires the row
        classes = await plan_q.list_classes(session=session, cohort_id=cohort.id)
        rows = validate_rows(table, classes)
        report = ImportReport(
            cohort_key=cohort.key, ignored_columns=table.ignored_columns, dry_run=dry_run
        )
        await import_people(
            session=session,
            cohort_id=cohort.id,
            rows=rows,
            classes=classes,
            directory_users=directory_users,
            today=today,
            report=report,
            progress=progress,
        )
        if dry_run and settings is not None and now is not None:
            warnings: list[str] = []
            changes = await planner.plan_changes(
                session=session, cohort_id=cohort.id, settings=settings, now=now, warnings=warnings
            )
            report.deliveries_planned = changes.written
            report.notes.extend(warnings)
        if settings is not None and not settings.smtp_url:
            (
                report.unreachable_participants,
                report.unreachable_managers,
            ) = await q.count_email_only(session=session, cohort_id=cohort.id)
        await q.record_audit(
            session=session,
            actor=actor,
            action="people.import",
            subject=f"cohort:{cohort.id}",
            detail={"file": Path(path).name, "dry_run": dry_run, **report.counts()},
        )
        if dry_run:
            await session.rollback()
        else:
            await session.commit()
    return report, cohort_id


async def load_cohort_classes(db: Database, cohort_ref: str) -> list[CohortClass] | None:
    """The classes of a cohort by key or id, or None if there is no such cohort."""
    async with db.session() as session:
        cohort = await plan_q.find_cohort(session=session, ref=cohort_ref)
        if cohort is None or cohort.id is None:
            return None
        return await plan_q.list_classes(session=session, cohort_id=cohort.id)
