"""Bulk reads and writes of plain rows, for imports that touch tens of thousands of rows.

The ORM builds, tracks and flushes one object per row; for a 20,000-row import that is most of
the time. These helpers read columns into dicts and write with one statement per batch
(executemany), checking every string against its column's size first (`storage.lengths`), as
the ORM's flush does.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.lengths import check_values
from storage.queries import insert_for

IN_CHUNK = 500  # keep IN (...) lists well under SQLite's and PostgreSQL's parameter limits


def table_of(model: type[SQLModel]) -> Any:
    return getattr(model, "__table__")  # noqa: B009 (SQLModel hides it from mypy)


def defaults(model: type[SQLModel], *, now: datetime) -> dict[str, Any]:
    """A new row's values when nothing is given: the model's defaults, time stamps at `now`."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name == "id":
            continue
        if info.default_factory is not None:
            value = info.default_factory()  # type: ignore[call-arg]
            out[name] = now if isinstance(value, datetime) else value
        elif not info.is_required():
            out[name] = info.default
    return out


async def rows_where_in(
    *,
    session: AsyncSession,
    model: type[SQLModel],
    column: str,
    values: Iterable[Any],
    extra: Any = None,
) -> list[dict[str, Any]]:
    """Every column of the rows whose `column` is one of `values`, as dicts (IN lists of 500)."""
    table = table_of(model)
    wanted = sorted(set(values))
    out: list[dict[str, Any]] = []
    for start in range(0, len(wanted), IN_CHUNK):
        stmt = select(table).where(table.c[column].in_(wanted[start : start + IN_CHUNK]))
        if extra is not None:
            stmt = stmt.where(extra)
        out.extend(dict(row) for row in (await session.execute(stmt)).mappings().all())
    return out


async def rows_where(
    *, session: AsyncSession, model: type[SQLModel], column: str, value: Any
) -> list[dict[str, Any]]:
    """Every column of the rows whose `column` equals `value`, as dicts."""
    table = table_of(model)
    result = await session.execute(select(table).where(table.c[column] == value))
    return [dict(row) for row in result.mappings().all()]


def check_rows(model: type[SQLModel], rows: Iterable[dict[str, Any]]) -> None:
    """Raise ValueTooLong for the first string value longer than its column."""
    for row in rows:
        check_values(model, row)


async def insert_many(
    *,
    session: AsyncSession,
    model: type[SQLModel],
    rows: list[dict[str, Any]],
    conflict: Collection[str] | None = None,
) -> None:
    """Insert `rows` (complete values) in one statement; with `conflict` (the columns of a
    unique constraint), a row whose key exists meanwhile is left alone."""
    if not rows:
        return
    check_rows(model, rows)
    stmt: Any = insert_for(session)(table_of(model))
    if conflict:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict))
    await session.execute(stmt, rows)


async def update_many(
    *, session: AsyncSession, model: type[SQLModel], rows: list[dict[str, Any]]
) -> None:
    """Set the given columns of each row by its `id`: one executemany per set of columns."""
    if not rows:
        return
    check_rows(model, rows)
    table = table_of(model)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        names = tuple(sorted(k for k in row if k != "id"))
        if names:
            groups.setdefault(names, []).append(row)
    conn = await session.connection()
    for names, group in groups.items():
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({n: bindparam(f"b_{n}") for n in names})
        )
        await conn.execute(stmt, [{f"b_{k}": v for k, v in row.items()} for row in group])
