"""The database enforces what the tables declare, on SQLite as on PostgreSQL."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import Enrolment, Person


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(Enrolment(person_id=999_999, cohort_id=999_999))


async def test_emails_are_unique(db: Database) -> None:
    async with db.transaction() as session:
        session.add(Person(email="kari@bergen.kommune.no", name="Kari"))
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(Person(email="kari@bergen.kommune.no", name="Kari igjen"))


async def test_timestamps_come_back_in_utc(db: Database) -> None:
    async with db.transaction() as session:
        person = Person(email="a@b.no", name="A")
        session.add(person)
    async with db.session() as session:
        stored = await session.get(Person, person.id)
        assert stored is not None
        assert stored.created_at.tzinfo is not None
        assert stored.created_at.utcoffset() == UTC.utcoffset(datetime.now(UTC))


async def test_sqlite_runs_in_wal_mode(db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("WAL is SQLite's journal mode; PostgreSQL has its own")
    async with db.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
