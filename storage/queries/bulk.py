"""Bulk reads and writes of plain rows, for imports that touch tens of thousands of rows.

The ORM builds, tracks and flushes one object per row; for a 20,000-row import that is most of
the time. These helpers read columns into dicts and write with one statement per batch
(executemany), checking every string against its column's size first (`storage.lengths`), as
the ORM's flush does.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.lengths import check_values

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
    await insert_rows(session=session, table=table_of(model), rows=rows, conflict=conflict or ())


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


class _DriverInsert:
    """An INSERT of every column of a table but its generated id, compiled once per dialect,
    and the per-column conversion to what the driver takes (the column types' own bind
    processors: what SQLAlchemy would send)."""

    def __init__(self, table: Any, dialect: Any, conflict: tuple[str, ...]) -> None:
        auto = table.autoincrement_column
        self.table = table
        self.columns = [c for c in table.columns if c is not auto]
        self.conflict = conflict
        self.defaults: dict[str, Any] = {}
        self.factories: dict[str, Any] = {}
        for c in self.columns:
            if c.default is not None and c.default.is_scalar:
                self.defaults[c.key] = c.default.arg
            elif c.default is not None and c.default.is_callable:
                self.factories[c.key] = c.default.arg  # SQLAlchemy's wrapper: arg(context)
        stmt: Any = (pg_insert if dialect.name == "postgresql" else sqlite_insert)(table)
        if conflict:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict))
        compiled = stmt.compile(dialect=dialect, column_keys=[c.key for c in self.columns])
        self.sql = str(compiled)
        self.positional = bool(compiled.positional)
        order = compiled.positiontup if self.positional else list(compiled.binds)
        by_key = {c.key: c for c in self.columns}
        self.order = [name for name in order or [] if name in by_key]
        if sorted(self.order) != sorted(by_key):
            raise RuntimeError(f"cannot compile a driver-level insert for {table.name}")
        self.processors: dict[str, Any] = {}
        self.memoised: set[str] = set()
        for c in self.columns:
            proc = c.type.dialect_impl(dialect).bind_processor(dialect)
            if proc is not None:
                self.processors[c.key] = proc
                if not isinstance(c.type, JSON):  # times, flags: few distinct values
                    self.memoised.add(c.key)

    def params(self, rows: list[dict[str, Any]], *, positional: bool | None = None) -> list[Any]:
        """The rows as the driver's parameters, in the statement's order (tuples when
        `positional`, else dicts; by default as the statement takes them)."""
        # A factory default (a time stamp, an empty dict) is taken once per batch.
        base = {n: self.defaults.get(n) for n in self.order}
        base.update({name: make(None) for name, make in self.factories.items()})
        names = self.order
        pick: Any = itemgetter(*names) if len(names) > 1 else (lambda d: (d[names[0]],))
        # Each distinct value is converted once: times and flags by value; a JSON value by
        # identity (the planner gives thousands of rows the same message object, and `rows`
        # keeps every one alive, so no identity is reused within the call).
        converted: list[tuple[int, Any, dict[Any, Any], bool]] = [
            (i, self.processors[n], {}, n in self.memoised)
            for i, n in enumerate(self.order)
            if n in self.processors
        ]
        missing = object()
        as_tuple = self.positional if positional is None else positional
        out: list[Any] = []
        for row in rows:
            values = list(pick({**base, **row}))
            for i, proc, memo, by_value in converted:
                value = values[i]
                if value is not None:
                    key = value if by_value else id(value)
                    found = memo.get(key, missing)
                    if found is missing:
                        found = memo[key] = proc(value)
                    values[i] = found
            out.append(tuple(values) if as_tuple else dict(zip(self.order, values, strict=True)))
        return out

    async def copy_in(self, conn: Any, rows: list[dict[str, Any]]) -> None:
        """PostgreSQL: COPY the rows into a temporary table of the same columns (one stream,
        no per-row statement), then one INSERT … SELECT with the conflict rule."""
        names = ", ".join(f'"{n}"' for n in self.order)
        scratch = f'"_copy_{self.table.name}"'
        await conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {scratch} ON COMMIT DELETE ROWS AS "
            f'SELECT {names} FROM "{self.table.name}" WITH NO DATA'
        )
        await conn.exec_driver_sql(f"DELETE FROM {scratch}")  # left by an earlier batch
        values = self.params(rows, positional=True)
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        async with driver.cursor() as cursor:
            async with cursor.copy(f"COPY {scratch} ({names}) FROM STDIN") as copy:
                for row in values:
                    await copy.write_row(row)
        on_conflict = ""
        if self.conflict:
            keys = ", ".join(f'"{n}"' for n in self.conflict)
            on_conflict = f" ON CONFLICT ({keys}) DO NOTHING"
        await conn.exec_driver_sql(
            f'INSERT INTO "{self.table.name}" ({names}) SELECT {names} FROM {scratch}' + on_conflict
        )


_DRIVER_INSERTS: dict[tuple[str, str, tuple[str, ...]], _DriverInsert] = {}


async def insert_rows(
    *,
    session: AsyncSession,
    table: Any,
    rows: list[dict[str, Any]],
    conflict: Collection[str] = (),
) -> None:
    """Insert plain rows without SQLAlchemy's per-row parameter handling (most of a
    100,000-row plan's time): on PostgreSQL one COPY into a scratch table and one
    INSERT … SELECT, on SQLite one executemany of a statement compiled once. Each value goes
    through its column type's own processor (what SQLAlchemy would send; times memoised).

    Columns a row leaves out get their default (a factory's value once per call) or NULL.
    With `conflict` (a unique constraint's columns), a row whose key exists is left alone.
    String lengths are not checked here (`check_rows` does that).
    """
    if not rows:
        return
    conn = await session.connection()
    dialect = conn.dialect
    memo_key = (str(table.name), str(dialect.name), tuple(conflict))
    prepared = _DRIVER_INSERTS.get(memo_key)
    if prepared is None:
        prepared = _DRIVER_INSERTS[memo_key] = _DriverInsert(table, dialect, tuple(conflict))
    if dialect.name == "postgresql":
        await prepared.copy_in(conn, rows)
    else:
        await conn.exec_driver_sql(prepared.sql, prepared.params(rows))
