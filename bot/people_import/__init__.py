"""Import a cohort's participants and their line managers from CSV or XLSX.

All or nothing: every row is checked first, and if any row is bad every bad row is reported
(with its row number as the spreadsheet shows it: the header is row 1) and nothing is written.
Re-importing updates people by email (lower-cased) and never duplicates. When a Slack directory
is given, participants and managers are matched to Slack users by email from one read of the
whole directory. The format is documented in docs/people-import.md.

One module per step: `columns` (the file's columns and the errors), `read` (CSV or XLSX into a
table), `rows` (checking every row), `write` (people, enrolments and links), `run` (the whole
import as the CLI and Slack run it). Import from `bot.people_import`.
"""

from bot.people_import.columns import (
    EMAIL,
    LOCALES,
    MAX_LENGTHS,
    OPTIONAL_COLUMNS,
    PROFILE_COLUMNS,
    REQUIRED_COLUMNS,
    SLACK_ID,
    STATUSES,
    ImportFileError,
    ImportRejected,
    RowError,
)
from bot.people_import.read import Table, normalise_header, read_csv, read_table, read_xlsx
from bot.people_import.rows import PersonRow, validate_rows
from bot.people_import.run import load_cohort_classes, run_import
from bot.people_import.write import ImportPlan, ImportReport, plan_import, write_import

__all__ = [
    "EMAIL",
    "LOCALES",
    "MAX_LENGTHS",
    "OPTIONAL_COLUMNS",
    "PROFILE_COLUMNS",
    "REQUIRED_COLUMNS",
    "SLACK_ID",
    "STATUSES",
    "ImportFileError",
    "ImportPlan",
    "ImportRejected",
    "ImportReport",
    "PersonRow",
    "RowError",
    "Table",
    "load_cohort_classes",
    "normalise_header",
    "plan_import",
    "read_csv",
    "read_table",
    "read_xlsx",
    "run_import",
    "validate_rows",
    "write_import",
]
