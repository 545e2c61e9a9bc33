"""Every string column's length is enforced on write, on SQLite as on PostgreSQL.

PostgreSQL refuses a value longer than its VARCHAR(n); SQLite stores it. Before each flush the
new and changed rows are checked against their columns, and a value that does not fit stops
the whole transaction with `ValueTooLong` naming the table, column and limit (never the
value): a forged form or an oversized import cell changes nothing, on either database.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session


class ValueTooLong(ValueError):
    """A value longer than its column allows; nothing was written."""

    def __init__(self, table: str, column: str, limit: int) -> None:
        super().__init__(f"{table}.{column} holds at most {limit} characters")
        self.table, self.column, self.limit = table, column, limit


def check_lengths(row: Any) -> None:
    """Raise ValueTooLong if one of `row`'s string values is longer than its column."""
    mapper = inspect(row).mapper
    for column in mapper.columns:
        limit = getattr(column.type, "length", None)  # String(n), and SQLModel's AutoString(n)
        if not isinstance(limit, int) or limit <= 0:
            continue
        value = getattr(row, column.key, None)
        if isinstance(value, str) and len(value) > limit:
            raise ValueTooLong(str(mapper.local_table.name), column.key, int(limit))


_LIMITS: dict[type, tuple[str, dict[str, int]]] = {}


def check_values(model: type, values: dict[str, Any]) -> None:
    """`check_lengths` for a plain row of `model` (a bulk insert or update's values)."""
    known = _LIMITS.get(model)
    if known is None:
        mapper: Any = inspect(model)
        limits = {}
        for column in mapper.columns:
            limit = getattr(column.type, "length", None)
            if isinstance(limit, int) and limit > 0:
                limits[column.key] = limit
        known = _LIMITS[model] = (str(mapper.local_table.name), limits)
    table, limits = known
    for name, limit in limits.items():
        value = values.get(name)
        if isinstance(value, str) and len(value) > limit:
            raise ValueTooLong(table, name, limit)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for row in (*session.new, *session.dirty):
        check_lengths(row)


def install() -> None:
    """Check lengths before every flush of every session (idempotent)."""
    from sqlmodel.orm.session import Session as SQLModelSession

    for cls in (Session, SQLModelSession):  # the async sessions flush through SQLModel's
        if not event.contains(cls, "before_flush", _before_flush):
            event.listen(cls, "before_flush", _before_flush)
