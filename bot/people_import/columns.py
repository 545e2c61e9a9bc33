"""The file's columns and the errors an import reports."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from storage.models import EnrolmentStatus

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
