"""Checking the rows: one checker per column; every bad row reported, nothing written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.enrolment_status import (
    WITHDRAWAL_REASONS,
    StatusError,
    parse_credits,
    parse_reason,
    parse_result,
    parse_status,
)
from bot.people_import.columns import (
    EMAIL,
    LOCALES,
    MAX_LENGTHS,
    PROFILE_COLUMNS,
    SLACK_ID,
    STATUSES,
    ImportRejected,
    RowError,
)
from bot.people_import.read import Table
from bot.text import short
from storage.emails import canonical_email
from storage.models import CohortClass, EnrolmentStatus


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
    email = canonical_email(values.get("email", ""))
    if not email:
        problems.append("email is empty")
    elif not EMAIL.match(email) or len(email) > 320:
        problems.append(f"'{short(values['email'])}' is not an email address")
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
        problems.append(f"unknown class '{short(class_ref)}'; expected one of: {known_classes}")
    elif len(matches) > 1:
        problems.append(
            f"class '{short(class_ref)}' matches {', '.join(sorted(matches))}; use the class key"
        )
    else:
        return next(iter(matches))
    return ""


def _check_line_manager(
    values: dict[str, str], email: str, problems: list[str]
) -> tuple[str | None, str | None]:
    manager_email = canonical_email(values.get("line_manager_email", "")) or None
    manager_name = values.get("line_manager_name", "").strip() or None
    if manager_email and not EMAIL.match(manager_email):
        problems.append(
            f"line_manager_email '{short(values['line_manager_email'])}' is not an email address"
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
        problems.append(f"unknown locale '{short(locale_raw)}'; expected nb, nn, no or en")
        return None
    return LOCALES[code]


def _check_slack_id(
    values: dict[str, str], row: int, first_slack_row: dict[str, int], problems: list[str]
) -> str | None:
    slack_id = values.get("slack_user_id", "").strip() or None
    if slack_id:
        if not SLACK_ID.match(slack_id):
            problems.append(f"'{short(slack_id)}' is not a Slack user id (like U012ABCDEF)")
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
        problems.append(
            f"unknown status '{short(status_raw)}'; expected one of: {', '.join(STATUSES)}"
        )
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
            problems.append(f"status_date '{short(date_raw)}' is not a date like 2026-03-31")
        if not values.get("status", "").strip():
            problems.append("status_date is given but status is empty")
    reason: str | None = None
    reason_raw = values.get("withdrawal_reason", "").strip()
    if reason_raw:
        try:
            reason = parse_reason(reason_raw)
        except StatusError:
            problems.append(
                f"unknown withdrawal_reason '{short(reason_raw)}'; expected one of: "
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
            problems.append(f"exam_result '{short(result_raw)}' is not passed or failed")
    return status_date, reason, exam_result


def _check_credits(values: dict[str, str], problems: list[str]) -> float | None:
    credits_raw = values.get("credits", "").strip()
    if not credits_raw:
        return None
    try:
        return parse_credits(credits_raw)
    except StatusError:
        problems.append(f"credits '{short(credits_raw)}' is not a number from 0 to 60")
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
