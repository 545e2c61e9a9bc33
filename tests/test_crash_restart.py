"""Kill -9 a real dispatcher process mid-send, start another, count per recipient.

Every recipient gets the message. Only messages in flight at the kill (at most the concurrency
limit) can arrive twice, and those are recorded as uncertain in the outbox. Before resending
one, the dispatcher asks Slack whether it arrived (message metadata in the conversation's
history), so here nobody gets it twice at all.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.settings import Settings
from storage.db import Database
from storage.queries import deliveries as q
from tests.utils.deliveries import all_deliveries, enqueue_many

emulator_server = pytest.importorskip("emulator.server")

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
RECIPIENTS = 1000
CONCURRENCY = 8


async def start_worker(database_url: str, api_url: str, *extra: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.dispatch_worker",
        "--database-url",
        database_url,
        "--api-url",
        api_url,
        "--concurrency",
        str(CONCURRENCY),
        "--batch",
        "100",
        "--lease",
        # Long enough that no claim runs out while a worker lives, however busy the machine;
        # the test runs the killed worker's leases out itself (see `expire_leases`).
        "600",
        "--interval",
        "0.1",
        *extra,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def expire_leases(db: Database) -> None:
    """Move every claim's lease into the past: time passing, made explicit."""
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE delivery SET lease_until = :past WHERE lease_until IS NOT NULL"),
            {"past": datetime(2000, 1, 1, tzinfo=UTC)},
        )


async def test_kill_mid_send_then_restart(database_url: str, settings: Settings) -> None:
    handle = await emulator_server.start_emulator()
    db = Database(database_url)
    try:
        users = [f"U{i:08d}" for i in range(RECIPIENTS)]
        for uid in users:
            handle.state.add_user(uid.lower(), user_id=uid)
        await enqueue_many(
            db, settings, count=RECIPIENTS, send_at=datetime.now(UTC), target=lambda i: users[i]
        )
        # ~10 s of sending (100 DMs a second), so there is plenty of "middle" to kill in.
        first = await start_worker(
            database_url,
            handle.api_url,
            "--workspace-per-minute",
            "6000",
            "--token",
            handle.bot_token,
        )
        # The emulator holds every post after the first third, so the kill lands mid-send on
        # any machine, however fast or busy: the worker is then waiting on posts in flight.
        hold = handle.emulator.webapi.hold_calls("chat.postMessage", after=RECIPIENTS // 3)
        reached = asyncio.ensure_future(hold.reached.wait())
        exited = asyncio.ensure_future(first.wait())
        await asyncio.wait({reached, exited}, timeout=300, return_when=asyncio.FIRST_COMPLETED)
        assert hold.reached.is_set(), (await first.stderr.read()).decode()  # type: ignore[union-attr]
        first.kill()  # SIGKILL: no cleanup, no outcome writes
        await exited
        reached.cancel()
        hold.release()  # the held posts fail unposted; the next worker sends them
        await expire_leases(db)  # the dead worker's claims, as if its lease had run out
        sent_before_restart = handle.calls.count("chat.postMessage", ok=True)
        assert sent_before_restart < RECIPIENTS, "the worker finished before it was killed"

        second = await start_worker(
            database_url,
            handle.api_url,
            "--workspace-per-minute",
            "60000",
            "--token",
            handle.bot_token,
            "--exit-when-done",
        )
        _out, err = await asyncio.wait_for(second.communicate(), timeout=120)
        assert second.returncode == 0, err.decode()

        per_recipient = Counter(r.channel for r in handle.calls.calls("chat.postMessage", ok=True))
        # The emulator resolves a user id to the DM channel; count by the id we posted to.
        per_target = Counter(
            r.args.get("channel") for r in handle.calls.calls("chat.postMessage", ok=True)
        )
        assert len(per_target) == RECIPIENTS, "somebody never got the message"
        twice = {t for t, n in per_target.items() if n > 1}
        assert not twice, "in-flight messages that had arrived were sent again"
        assert sum(per_recipient.values()) == RECIPIENTS

        rows = await all_deliveries(db)
        assert all(r.state == "sent" for r in rows)
        uncertain = {r.target for r in rows if r.error and r.error.startswith("uncertain:")}
        assert len(uncertain) <= CONCURRENCY
        assert uncertain, "nothing was in flight at the kill; the test proved nothing"
        async with db.session() as session:
            assert await q.count_uncertain_sends(session=session) == len(uncertain)
            # Each was found in the conversation before a resend: none may have come twice.
            dupes, _ = await q.duplicate_figures(session=session)
            assert dupes.deliveries == 0
    finally:
        await db.dispose()
        await handle.stop()
