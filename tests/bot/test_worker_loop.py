"""Work taken off the bot's event loop: its own loop and engine, one committed transaction."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from sqlmodel import select

from bot.worker_loop import transaction_on_worker_loop
from storage.db import Database
from storage.models import Programme


async def test_the_work_runs_on_another_loop_and_its_writes_are_committed(db: Database) -> None:
    seen: dict[str, Any] = {}

    async def work(session: Any) -> str:
        seen["loop"] = asyncio.get_running_loop()
        seen["thread"] = threading.get_ident()
        session.add(Programme(key="worker", name="Laget i en annen tråd"))
        return "done"

    assert await transaction_on_worker_loop(db, work) == "done"
    assert seen["loop"] is not asyncio.get_running_loop()
    assert seen["thread"] != threading.get_ident()
    async with db.session() as session:
        rows = (await session.exec(select(Programme).where(Programme.key == "worker"))).all()
    assert [p.name for p in rows] == ["Laget i en annen tråd"]


async def test_a_failure_rolls_the_work_back_and_reaches_the_caller(db: Database) -> None:
    async def work(session: Any) -> None:
        session.add(Programme(key="half", name="Halvferdig"))
        await session.flush()
        raise RuntimeError("the report failed")

    with pytest.raises(RuntimeError, match="the report failed"):
        await transaction_on_worker_loop(db, work)
    async with db.session() as session:
        assert (await session.exec(select(Programme).where(Programme.key == "half"))).all() == []


async def _add_programme(session: Any, key: str, name: str) -> int:
    """Module-level, so a spawned process can run it."""
    import os

    session.add(Programme(key=key, name=name))
    return os.getpid()


async def test_work_in_a_process_of_its_own_commits_there(db: Database) -> None:
    import os

    from bot.worker_loop import transaction_in_process

    pid = await transaction_in_process(db, _add_programme, "child", "Laget i en egen prosess")
    assert pid != os.getpid()
    async with db.session() as session:
        rows = (await session.exec(select(Programme).where(Programme.key == "child"))).all()
    assert [p.name for p in rows] == ["Laget i en egen prosess"]
