"""The bulk insert the planner and the import use (`storage.queries.bulk.insert_rows`: COPY on
PostgreSQL, a driver-level executemany on SQLite) stores exactly what SQLAlchemy's own INSERT
stores, and keeps the conflict rule."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text

from storage.db import Database
from storage.models import Delivery, DeliveryState
from storage.queries.bulk import insert_rows

TABLE: Any = getattr(Delivery, "__table__")  # noqa: B009
NOW = datetime(2026, 10, 25, 0, 59, 59, 123456, tzinfo=UTC)  # the night winter time starts


def _rows(prefix: str) -> list[dict[str, Any]]:
    shared = {"text": "Påminnelse", "sections": [{"text": "<æ>", "buttons": []}], "meta": {}}
    out = []
    for i in range(7):
        out.append(
            {
                "dedupe_key": f"{prefix}:{i}",
                "transport": "email" if i % 2 else "slack",
                "kind": "assignment_reminder",
                "target": f"deltaker{i}@kommune.no",
                # Rows 0-3 share one message object (as the planner's do), the rest their own.
                "message": shared if i < 4 else {"text": f"melding {i}", "meta": {"n": i}},
                # Across the DST change, with and without microseconds.
                "send_at": NOW.replace(microsecond=0 if i % 2 else NOW.microsecond)
                + timedelta(hours=i % 3),
                "person_id": None,
                "source": "assignment:1",
                "urgent": i == 5,
                "error": "held: email" if i % 2 else None,
                "state": DeliveryState.PENDING,
                "attempts": 0,
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
    return out


async def _stored(db: Database, prefix: str) -> list[tuple[Any, ...]]:
    names = [c.key for c in TABLE.columns if c.key not in ("id", "dedupe_key")]
    async with db.session() as session:
        conn = await session.connection()
        result = await conn.execute(
            text(
                f"SELECT {', '.join(names)} FROM delivery WHERE dedupe_key LIKE :p "
                "ORDER BY dedupe_key"
            ),
            {"p": f"{prefix}:%"},
        )
        # The raw stored values (no type processing): text as the database holds it.
        return [tuple(row) for row in result.all()]


async def test_insert_rows_stores_what_sqlalchemy_stores(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(insert(TABLE), _rows("core"))
    async with db.transaction() as session:
        await insert_rows(session=session, table=TABLE, rows=_rows("bulk"), conflict=["dedupe_key"])
    core, bulk = await _stored(db, "core"), await _stored(db, "bulk")
    assert len(bulk) == 7
    assert bulk == core
    async with db.session() as session:
        read = (await session.execute(text("SELECT send_at FROM delivery"))).all()
    assert len(read) == 14


async def test_insert_rows_fills_defaults_and_leaves_existing_keys_alone(db: Database) -> None:
    first = _rows("k")[:3]
    async with db.transaction() as session:
        await insert_rows(session=session, table=TABLE, rows=first, conflict=["dedupe_key"])
    again = _rows("k")
    for row in again:
        row["target"] = "changed@kommune.no"
        for name in ("state", "attempts", "urgent", "created_at", "updated_at", "error"):
            row.pop(name)  # scalar defaults, factories, NULL
    async with db.transaction() as session:
        # Twice in one transaction: the second batch must not bring the first one's rows back.
        await insert_rows(session=session, table=TABLE, rows=again[:5], conflict=["dedupe_key"])
        await insert_rows(session=session, table=TABLE, rows=again, conflict=["dedupe_key"])
    async with db.session() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT dedupe_key, target, state, attempts, error, created_at "
                    "FROM delivery ORDER BY dedupe_key"
                )
            )
        ).all()
    assert [r[0] for r in rows] == [f"k:{i}" for i in range(7)]
    assert [r[1] for r in rows[:3]] == [f"deltaker{i}@kommune.no" for i in range(3)]
    assert {r[1] for r in rows[3:]} == {"changed@kommune.no"}
    assert {(r[2], r[3], r[4]) for r in rows[3:]} == {("pending", 0, None)}
    assert all(r[5] is not None for r in rows)


async def test_insert_rows_rolls_back_with_its_transaction(db: Database) -> None:
    class Stop(Exception):
        pass

    try:
        async with db.transaction() as session:
            await insert_rows(session=session, table=TABLE, rows=_rows("gone"))
            raise Stop
    except Stop:
        pass
    assert await _stored(db, "gone") == []
    async with db.transaction() as session:  # the scratch table (PostgreSQL) comes back
        await insert_rows(session=session, table=TABLE, rows=_rows("back"))
    assert len(await _stored(db, "back")) == 7
