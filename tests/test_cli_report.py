"""`cohortbot report annual|evaluator|pulse` as staff run them: real processes on the test database."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot.settings import Settings
from storage.db import Database
from storage.models import AuditEvent
from tests.bot.test_report import build_fixture
from tests.test_cli_run import run_cli


def env(settings: Settings) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.database_url,
        "COHORTBOT_SECRET_KEY": settings.secret_key or "",
    }


async def test_annual_report_in_every_format_and_audited(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    await build_fixture(db, settings)
    for fmt in ("html", "xlsx", "csv"):
        out = tmp_path / f"report.{fmt}"
        result = run_cli(
            ["report", "annual", "--year", "2026", "--format", fmt, "--out", str(out)],
            env(settings),
            tmp_path,
        )
        assert result.returncode == 0, result.stderr
        assert out.stat().st_size > 0
    assert "Årsrapport 2026" in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert load_workbook(tmp_path / "report.xlsx").sheetnames[:2] == [
        "Sammendrag",
        "Søkere og deltakere",
    ]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "report.csv").read_text(encoding="utf-8"))))
    assert any(r["measure"] == "applicants" and r["value"] == "13" for r in rows)
    async with db.session() as s:
        events = (
            await s.exec(select(AuditEvent).where(AuditEvent.action == "report.annual"))
        ).all()
    assert len(events) == 3 and all(e.actor == "cli" for e in events)


async def test_bad_format_is_one_clear_line(settings: Settings, tmp_path: Path) -> None:
    result = run_cli(
        ["report", "annual", "--year", "2026", "--format", "pdf", "--out", str(tmp_path / "x")],
        env(settings),
        tmp_path,
    )
    assert result.returncode == 1
    assert "'pdf' is not one of html, xlsx, csv" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2027", "--to", "2025"], "--to 2025 is before --from 2027"),
        (["--from", "2025", "--to", "2027", "--format", "pdf"], "'pdf' is not one of"),
    ],
)
async def test_a_bad_final_report_request_writes_nothing(
    settings: Settings, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "final.html"
    result = run_cli(["report", "final", *args, "--out", str(out)], env(settings), tmp_path)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


async def test_evaluator_export_hides_small_groups(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    ids = await build_fixture(db, settings)
    out = tmp_path / "evaluator.csv"
    result = run_cli(
        ["report", "evaluator", "--year", "2026", "--out", str(out)], env(settings), tmp_path
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    a2 = [
        r
        for r in rows
        if r["pulse"] == ids["pa"].key and r["group"] == "A2 Oslo" and r["question"] == "1"
    ]
    assert a2 and all(r["suppressed"] == "1" and r["value"] == "" for r in a2)
    cohort_mean = [
        r
        for r in rows
        if r["pulse"] == ids["pa"].key and r["group"] == "cohort" and r["measure"] == "mean"
    ]
    assert cohort_mean[0]["value"] == "3.89"
    # Aggregates only: no tokens, no people, no free text.
    text = out.read_text(encoding="utf-8")
    assert "Mer tid til grupper" not in text and "@example.no" not in text


async def test_pulse_results_in_the_terminal(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    ids = await build_fixture(db, settings)
    result = run_cli(["report", "pulse", str(ids["pb"].id)], env(settings), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "5 av 6 har svart" in result.stdout
    assert "NPS 40" in result.stdout
