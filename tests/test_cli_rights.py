"""`cohortbot person export|erase` and `cohortbot retention run` as staff run them (real processes)."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

from sqlalchemy import update
from sqlmodel import col, select

from bot.settings import Settings
from storage.db import Database
from storage.models import AuditEvent, Cohort, Person
from tests.test_cli_run import COHORTBOT, ROOT, run_cli
from tests.utils.rights import KARI_EMAIL, build_rights_world, find_needles, sqlite_bytes


def env(settings: Settings) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.database_url,
        "COHORTBOT_SECRET_KEY": settings.secret_key or "",
    }


async def _world_reported_long_ago(db: Database, settings: Settings) -> None:
    """The world, with the cohort in 2024: its report is delivered whatever today is."""
    async with db.transaction() as session:
        await build_rights_world(session, settings)
        await session.execute(
            update(Cohort).values(start_date=date(2024, 1, 10), end_date=date(2024, 12, 15))
        )


async def test_export_writes_documented_json_and_is_audited(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    await _world_reported_long_ago(db, settings)
    out = tmp_path / "kari.json"
    result = run_cli(
        ["person", "export", KARI_EMAIL.upper(), "--out", str(out)], env(settings), tmp_path
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["person"]["email"] == KARI_EMAIL
    assert list(data["data_classes"]) == [
        "profile",
        "directory_profile",
        "chat_identities",
        "enrolments",
        "line_managers",
        "assignments",
        "nudges_about_them",
        "nudges_to_them",
        "pulses",
        "pulse_answers",
        "matching",
        "archive",
        "messages",
        "consents",
        "risk_cases",
        "staff_actions",
        "audit",
    ]
    assert "written to" in result.stdout
    async with db.session() as session:
        events = (
            await session.exec(select(AuditEvent).where(col(AuditEvent.action) == "person.export"))
        ).all()
    assert [e.actor for e in events] == ["cli"]
    log = run_cli(["audit", "--person", KARI_EMAIL], env(settings), tmp_path)
    assert log.returncode == 0, log.stderr
    assert "person.export" in log.stdout


async def test_export_of_an_unknown_email_is_one_line_and_writes_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "x.json"
    result = run_cli(
        ["person", "export", "nobody@example.no", "--out", str(out)], env(settings), tmp_path
    )
    assert result.returncode == 1
    assert "no person with email 'nobody@example.no'" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def _erase_answering(
    answer: str, settings: Settings, cwd: Path
) -> subprocess.CompletedProcess[str]:
    full_env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env(settings)}
    return subprocess.run(
        [*COHORTBOT, "person", "erase", KARI_EMAIL],
        env=full_env,
        cwd=cwd,
        input=answer,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_erase_asks_first_and_a_no_changes_nothing(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    await _world_reported_long_ago(db, settings)
    result = _erase_answering("n\n", settings, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "would remove" in result.stdout and "nothing was erased" in result.stdout
    async with db.session() as session:
        assert (
            await session.exec(select(Person).where(col(Person.email) == KARI_EMAIL))
        ).first() is not None


async def test_erase_yes_leaves_nothing_in_the_files(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    await _world_reported_long_ago(db, settings)
    await db.dispose()  # the CLI is the only process with the file open, as in production runs
    result = run_cli(["person", "erase", KARI_EMAIL, "--yes"], env(settings), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "erased; recorded in the audit log as erased:" in result.stdout
    if settings.database_url.startswith("sqlite"):
        assert find_needles(sqlite_bytes(settings.database_url), [KARI_EMAIL, "UKARI"]) == []
    again = run_cli(["person", "erase", KARI_EMAIL, "--yes"], env(settings), tmp_path)
    assert again.returncode == 1 and "no person with email" in again.stderr


async def test_retention_dry_run_counts_per_class_and_changes_nothing(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    await _world_reported_long_ago(db, settings)
    result = run_cli(["retention", "run", "--dry-run"], env(settings), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "dry run: nothing changed" in result.stdout
    for name in ("message_texts", "free_texts", "alumni_profiles", "audit_entries", "erased_stubs"):
        assert f"  {name}: " in result.stdout
    async with db.session() as session:
        from storage.models import AssignmentProgress

        rows = (await session.exec(select(AssignmentProgress))).all()
    assert any(r.reflection for r in rows)
