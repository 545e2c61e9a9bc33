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


# --- the bot's warm worker process -----------------------------------------------------------


def _read(marker: Any) -> str:
    return marker.read_text() if marker.exists() else ""


def _mark(marker: str) -> None:
    import os
    from pathlib import Path

    Path(marker).write_text(str(os.getpid()))


async def _write_then_hang(session: Any, marker: str) -> None:
    """A report that dies half-way: it has written, not committed, and never finishes."""
    session.add(Programme(key="killed", name="Drept midt i rapporten"))
    await session.flush()
    _mark(marker)
    threading.Event().wait()


async def _write(session: Any, key: str) -> int:
    import os

    session.add(Programme(key=key, name="Etterpå"))
    return os.getpid()


async def test_the_warm_worker_is_one_lasting_process_below_the_bots_priority() -> None:
    import os

    from bot.worker_loop import ProcessWorker

    worker = ProcessWorker(nice=5)
    worker.start()
    try:
        first = await worker.pid()
        assert first != os.getpid()
        assert await worker.pid() == first  # kept warm, not spawned per piece of work
        assert await worker.run(os.nice, 0) == min(19, os.nice(0) + 5)
    finally:
        worker.close()


async def test_a_worker_killed_mid_report_commits_nothing_and_the_next_report_runs(
    db: Database, tmp_path: Any
) -> None:
    import os
    import signal
    from concurrent.futures.process import BrokenProcessPool

    from bot.worker_loop import ProcessWorker, transaction_in_process
    from tests.utils.workspace import eventually

    worker = ProcessWorker()
    marker = tmp_path / "pid"
    try:
        task = asyncio.ensure_future(
            transaction_in_process(db, _write_then_hang, str(marker), worker=worker)
        )

        async def half_way() -> bool:
            return bool(_read(marker))

        await eventually(half_way, within=60)
        os.kill(int(_read(marker)), signal.SIGKILL)
        with pytest.raises(BrokenProcessPool):
            await task
        pid = await transaction_in_process(db, _write, "after", worker=worker)
        assert pid != int(_read(marker))  # a fresh process took the next report
    finally:
        worker.close()
    async with db.session() as session:
        keys = {p.key for p in (await session.exec(select(Programme))).all()}
    assert "killed" not in keys and "after" in keys
