"""`cohortbot deliveries` as staff run it: a real process against a real database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from storage.db import Database
from storage.migrate import upgrade
from storage.models import Delivery, Person, SendingPause
from tests.test_cli_run import run_cli


async def _seed(url: str) -> None:
    db = Database(url)
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    async with db.transaction() as session:
        session.add(Person(id=1, email="kari@example.no", name="Kari Nordmann"))
        session.add(SendingPause(transport="slack", reason="invalid_auth", paused_at=now))
    async with db.transaction() as session:
        session.add(
            Delivery(
                dedupe_key="nudge:1:1",
                transport="slack",
                kind="nudge",
                target="U1",
                person_id=1,
                send_at=now,
                state="failed",
                error="user_not_found",
                attempts=1,
            )
        )
        session.add(
            Delivery(dedupe_key="x", transport="slack", kind="post", target="C1", send_at=now)
        )
    await db.dispose()


def test_deliveries_shows_counts_failures_and_pauses(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    asyncio.run(_seed(url))
    result = run_cli(["deliveries"], {"DATABASE_URL": url}, tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "PAUSED" in out and "invalid_auth" in out
    assert "user_not_found" in out and "Kari Nordmann" in out and "kari@example.no" in out
    resumed = run_cli(["deliveries", "--resume", "slack"], {"DATABASE_URL": url}, tmp_path)
    assert "sending on slack resumed" in resumed.stdout
    assert "PAUSED" not in resumed.stdout
