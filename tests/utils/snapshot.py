"""Everything a database holds, as the adversary of docs/privacy.md reads it: every row of every
table with every column, on PostgreSQL each row's `xmin` too, and every sequence's value."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel import SQLModel

from storage.db import Database


async def snapshot(db: Database) -> dict[str, list[str]]:
    """{table: sorted rows as text} plus "~sequences": {name: value}, for diffing two moments."""
    out: dict[str, list[str]] = {}
    async with db.session() as session:
        dialect = session.bind.dialect.name  # type: ignore[union-attr]
        for table in SQLModel.metadata.sorted_tables:
            system = ", xmin::text AS xmin_, ctid::text AS ctid_" if dialect == "postgresql" else ""
            rows = (await session.execute(text(f'SELECT *{system} FROM "{table.name}"'))).all()
            out[table.name] = sorted(repr(tuple(r)) for r in rows)
        if dialect == "postgresql":
            seq: Any = await session.execute(
                text("SELECT sequencename, last_value FROM pg_sequences ORDER BY sequencename")
            )
        else:
            exists = await session.execute(
                text("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")
            )
            seq = (
                await session.execute(text("SELECT name, seq FROM sqlite_sequence ORDER BY name"))
                if exists.first()
                else []
            )
        out["~sequences"] = [repr(tuple(r)) for r in seq]
    return out


def changed(before: dict[str, list[str]], after: dict[str, list[str]]) -> set[str]:
    """The tables (and "~sequences") whose content differs between two snapshots."""
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
