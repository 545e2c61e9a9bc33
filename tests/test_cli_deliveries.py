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


async def _seed_unreachable(url: str) -> None:
    from tests.utils.factories import create_class, create_cohort, create_person, enrol

    db = Database(url)
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    async with db.transaction() as s:
        cohort = await create_cohort(s, name="Kull 2026")
        klass = await create_class(s, cohort=cohort, key="gol", name="Gol")
        on_slack = await create_person(s, name="Ada", email="ada@gol.no", slack_user_id="U1")
        await enrol(s, person=on_slack, cohort=cohort, cls=klass)
        fine = await create_person(s, name="Cecilie", email="cecilie@hol.no", slack_user_id=None)
        await enrol(s, person=fine, cohort=cohort, cls=klass)
        for i in range(3):
            gone = await create_person(
                s, name=f"Eli {i}", email=f"eli{i}@hemsedal.no", slack_user_id=None
            )
            await enrol(s, person=gone, cohort=cohort, cls=klass)
            s.add(
                Delivery(
                    dedupe_key=f"pulse:1:invite:person:{gone.id}",
                    transport="email",
                    kind="pulse_invite",
                    target=f"eli{i}@hemsedal.no",
                    person_id=gone.id,
                    send_at=now,
                    state="failed",
                    error="recipient refused (550)",
                    attempts=1,
                )
            )
        # Cecilie's earlier bounce is cleared by a later email that got through.
        for state, error, minute in (("failed", "SMTP 550: no", 0), ("sent", None, 5)):
            s.add(
                Delivery(
                    dedupe_key=f"c:{minute}",
                    transport="email",
                    kind="announcement",
                    target="cecilie@hol.no",
                    person_id=fine.id,
                    send_at=now,
                    state=state,
                    error=error,
                    updated_at=now.replace(minute=minute),
                )
            )
    await db.dispose()


def test_deliveries_lists_who_cannot_be_reached_and_why_audited_and_never_cut_silently(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    asyncio.run(_seed_unreachable(url))
    env = {"DATABASE_URL": url, "SMTP_URL": "smtp://127.0.0.1:2525", "COLUMNS": "250"}
    result = run_cli(["deliveries"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Cannot be reached (3)" in out
    assert out.count("no chat account, and email bounced (recipient refused (550))") == 3
    section = out.split("Cannot be reached", 1)[1]
    assert "Cecilie" not in section and "Ada" not in section
    cut = run_cli(["deliveries", "--unreachable", "2"], env, tmp_path)
    assert "showing 2 of 3 people who cannot be reached; 1 more" in cut.stdout
    audit = run_cli(["audit"], {"DATABASE_URL": url}, tmp_path)
    assert audit.stdout.count("reach.unreachable.view") == 2
    without_smtp = run_cli(["deliveries"], {"DATABASE_URL": url, "COLUMNS": "250"}, tmp_path)
    assert "Cannot be reached (4)" in without_smtp.stdout  # Cecilie: email is held
    assert "email is not configured (SMTP_URL)" in without_smtp.stdout
