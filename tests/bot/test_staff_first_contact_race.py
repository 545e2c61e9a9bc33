"""Two first contacts of one staff member at once (a burst of clicks, two bot processes) make one
person: the second insert waits on the unique email, fails, and links the winner's row."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import func, select

from bot.directory import DirectoryUser
from bot.people import recognise_staff
from bot.settings import Settings
from storage.db import Database
from storage.models import Person
from tests.utils.workspace import eventually

NOW = datetime(2026, 9, 1, 8, tzinfo=UTC)
ANNE = DirectoryUser(id="UANNE", email="anne@lederutdanning.no", name="Anne Stab")


async def _recognise(db: Database, settings: Settings) -> Person | None:
    async with db.transaction() as session:
        return await recognise_staff(session=session, settings=settings, user=ANNE, now=NOW)


@pytest.mark.postgres
async def test_two_first_contacts_at_once_make_one_person(
    postgres_url: str, settings: Settings
) -> None:
    settings = settings.model_copy(
        update={"database_url": postgres_url, "staff_emails": ("anne@lederutdanning.no",)}
    )
    db = Database(postgres_url)
    try:
        async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as watch:

            async def second_waits_on_the_email() -> bool:
                cur = await watch.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                row = await cur.fetchone()
                return bool(row and row[0] >= 1)

            async with db.transaction() as first:
                winner = await recognise_staff(session=first, settings=settings, user=ANNE, now=NOW)
                assert winner is not None
                second = asyncio.create_task(_recognise(db, settings))
                await eventually(second_waits_on_the_email)  # its INSERT waits for our commit
            linked = await second
        assert linked is not None and linked.id == winner.id
        async with db.session() as s:
            assert (await s.execute(select(func.count()).select_from(Person))).scalar_one() == 1
    finally:
        await db.dispose()
