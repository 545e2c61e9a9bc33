"""`cohortbot teams preinstall`: queue Graph installs of the Teams app for people only email
reaches, through Typer's test runner on a real database."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.settings import get_settings
from cli import app

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "plan.yaml"
PEOPLE = ROOT / "tests" / "fixtures" / "people" / "participants.csv"


@pytest.fixture
def cli(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("COHORTBOT_SECRET_KEY", "EZmZocz-IluR-yncXAIz1rv1pWbvlbuhjzLM8XOkk3M")
    return cli


def test_preinstall_needs_the_catalog_id_then_queues_each_person_once(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli.invoke(app, ["plan", "apply", str(EXAMPLE)]).exit_code == 0
    assert cli.invoke(app, ["import", "people", str(PEOPLE), "--cohort", "2026h"]).exit_code == 0
    missing = cli.invoke(app, ["teams", "preinstall"])
    assert missing.exit_code == 1 and "TEAMS_CATALOG_APP_ID is missing" in missing.output
    monkeypatch.setenv("TEAMS_CATALOG_APP_ID", "catalog-app-1")
    monkeypatch.setenv("COHORTBOT_TEAMS", "dev")
    get_settings.cache_clear()
    dry = cli.invoke(app, ["teams", "preinstall", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would be queued (dry run: nothing changed)" in dry.output
    queued = int(dry.output.split("preinstall: ")[1].split()[0])
    assert queued > 0
    first = cli.invoke(app, ["teams", "preinstall"])
    assert f"{queued} queued;" in first.output
    again = cli.invoke(app, ["teams", "preinstall"])
    assert "0 queued;" in again.output and f"{queued} queued before" in again.output
