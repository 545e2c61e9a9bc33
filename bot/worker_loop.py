"""Run a piece of database-and-CPU work on an event loop of its own, in a worker thread.

The annual report interleaves queries with seconds of pure-Python disclosure control (a linear
programme per table) before the rendering that already runs in a thread. On the bot's loop that
stalled every click's confirmation for as long as the report took (measured by
bench/whole_bot.py: 9–16 s). Here the whole job runs on a second loop with its own engine, so
the bot's loop only shares the GIL with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

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
