"""Run a piece of database-and-CPU work off the bot's event loop: on a loop of its own in a
worker thread, or in a process of its own.

The annual report interleaves queries with seconds of pure-Python disclosure control (a linear
programme per table) before the rendering that already runs in a thread. On the bot's loop that
stalled every click's confirmation for as long as the report took (measured by
bench/whole_bot.py: 9–16 s). On a second loop in a thread the bot's loop only shares the GIL
with it — still up to 2.7 s at a time while the solver or the renderer held it — so the report
runs in a spawned process (`transaction_in_process`).

The bot keeps one such process warm (`ProcessWorker`, started with the bot): spawning one per
report cost the machine a second of interpreter start and imports at the moment a report was
asked for — while a burst of clicks was being acked on the same two cores — and the worker runs
at a lower CPU priority (`nice`), so when the cores are short the loop that acks goes first.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import multiprocessing
import os
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import Database

T = TypeVar("T")
logger = logging.getLogger(__name__)
# Below the bot's own priority: on a busy machine the scheduler runs the event loop first.
WORKER_NICE = 10
# Imported when the worker starts, not when the first report is asked for.
WARM_MODULES = (
    "bot.report",
    "bot.report.render",
    "bot.report.charts",
    "bot.report.xlsx",
    "bot.results",
    "storage.db",
)


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


def _start_child(nice: int, modules: Sequence[str]) -> None:
    if nice:
        try:
            os.nice(nice)
        except OSError:  # not allowed here: run at the bot's priority
            pass
    for name in modules:
        importlib.import_module(name)


def _pid() -> int:
    return os.getpid()


class ProcessWorker:
    """One warm, spawned, lower-priority process for the bot's CPU-heavy work (reports,
    charts, XLSX), so the event loop that acks clicks shares neither the GIL nor, when the
    cores are short, its CPU priority with it.

    Work runs one piece at a time in the order asked (reports are rare). If the process dies
    (killed, out of memory) the work in it raises `BrokenProcessPool` — its transaction never
    committed — and the next piece starts a fresh process.
    """

    def __init__(self, *, nice: int = WORKER_NICE, warm: Sequence[str] = WARM_MODULES) -> None:
        self.nice = nice
        self.warm = tuple(warm)
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Spawn the process now (its imports run in it, off this loop)."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_child,
                initargs=(self.nice, self.warm),
            )
            self._pool.submit(_pid)  # the pool spawns lazily: make it spawn and warm up now

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Return `fn(*args)` computed in the worker (`fn` module-level, `args` picklable)."""
        self.start()
        pool = self._pool
        assert pool is not None
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
        except BrokenProcessPool:
            logger.warning("The worker process died; the next piece of work starts a new one")
            if self._pool is pool:
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
            raise

    async def pid(self) -> int:
        """The worker process's id (for operations and tests)."""
        return await self.run(_pid)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


async def off_loop(worker: ProcessWorker | None, fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in the warm worker when there is one, else in a thread (tests, CLI)."""
    if worker is not None:
        return await worker.run(fn, *args)
    return await asyncio.to_thread(fn, *args)


async def transaction_in_process(
    db: Database,
    work: Callable[..., Awaitable[T]],
    *args: Any,
    worker: ProcessWorker | None = None,
) -> T:
    """Return `await work(session, *args)` inside one transaction, run in a process of its own.

    For CPU-heavy work that a thread does not take off the loop: the report's solver and
    rendering hold the GIL for up to seconds at a time (bench.whole_bot saw /healthz wait
    2.7 s with the report in a worker thread). `work` must be a module-level function and
    `args` picklable; the child opens its own engine on `db`'s URL. In `worker` (the bot's
    warm one) when given, else in a process spawned for it that exits after.
    An in-memory SQLite database cannot be opened twice: there `work` runs on this loop.
    """
    if _in_memory(db.url):
        async with db.transaction() as session:
            return await work(session, *args)
    if worker is not None:
        return await worker.run(_transaction_in_child, db.url, work, args)
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    try:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool, _transaction_in_child, db.url, work, args)
    finally:
        pool.shutdown(wait=False)
