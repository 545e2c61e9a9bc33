"""Run a piece of database-and-CPU work off the bot's event loop: on a loop of its own in a
worker thread, or in a process of its own.

The annual report interleaves queries with seconds of pure-Python disclosure control (a linear
programme per table) before the rendering that already runs in a thread. On the bot's loop that
stalled every click's confirmation for as long as the report took (measured by
bench/whole_bot.py: 9–16 s). On a second loop in a thread the bot's loop only shares the GIL
with it — still up to 2.7 s at a time while the solver or the renderer held it — so the report
runs in a spawned process (`transaction_in_process`).
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import Database

T = TypeVar("T")


def _in_memory(url: str) -> bool:
    return url.startswith("sqlite") and (url.rstrip("/").endswith(":") or ":memory:" in url)


async def transaction_on_worker_loop(
    db: Database, work: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    """Return `await work(session)` inside one transaction, run in a worker thread on a loop
    and engine of its own (same database URL as `db`).

    An in-memory SQLite database cannot be opened twice: there `work` runs on this loop.
    """
    if _in_memory(db.url):
        async with db.transaction() as session:
            return await work(session)

    def run() -> T:
        async def main() -> T:
            worker_db = Database(db.url)
            try:
                async with worker_db.transaction() as session:
                    return await work(session)
            finally:
                await worker_db.dispose()

        return asyncio.run(main())

    return await asyncio.to_thread(run)


def _transaction_in_child(url: str, work: Callable[..., Awaitable[T]], args: tuple[Any, ...]) -> T:
    async def main() -> T:
        db = Database(url)
        try:
            async with db.transaction() as session:
                return await work(session, *args)
        finally:
            await db.dispose()

    return asyncio.run(main())


async def transaction_in_process(db: Database, work: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Return `await work(session, *args)` inside one transaction, run in a process of its own.

    For CPU-heavy work that a thread does not take off the loop: the report's solver and
    rendering hold the GIL for up to seconds at a time (bench.whole_bot saw /healthz wait
    2.7 s with the report in a worker thread). `work` must be a module-level function and
    `args` picklable; the child is spawned, opens its own engine on `db`'s URL and exits.
    An in-memory SQLite database cannot be opened twice: there `work` runs on this loop.
    """
    if _in_memory(db.url):
        async with db.transaction() as session:
            return await work(session, *args)
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    try:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool, _transaction_in_child, db.url, work, args)
    finally:
        pool.shutdown(wait=False)
