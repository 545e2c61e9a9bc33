"""`cohortbot plan apply` and `cohortbot import people` through Typer's test runner."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from typer.testing import CliRunner

from bot.settings import get_settings
from cli import app

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "plan.yaml"
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def cli(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The shared runner (tests/conftest.py), with a secret key for nudge links."""
    monkeypatch.setenv("COHORTBOT_SECRET_KEY", "EZmZocz-IluR-yncXAIz1rv1pWbvlbuhjzLM8XOkk3M")
    return cli


def test_plan_apply_twice_reports_zero_changes(cli: CliRunner) -> None:
    dry = cli.invoke(app, ["plan", "apply", str(EXAMPLE), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "27 changes would be made (dry run: nothing written)" in dry.output
    first = cli.invoke(app, ["plan", "apply", str(EXAMPLE)])
    assert first.exit_code == 0, first.output
    assert "27 changes made" in first.output
    second = cli.invoke(app, ["plan", "apply", str(EXAMPLE)])
    assert second.exit_code == 0, second.output
    assert "0 changes made" in second.output


def test_plan_apply_changed_date_names_the_field(cli: CliRunner, tmp_path: Path) -> None:
    cli.invoke(app, ["plan", "apply", str(EXAMPLE)])
    edited = tmp_path / "plan.yaml"
    edited.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("2027-01-22 23:59", "2027-01-25 23:59"),
        encoding="utf-8",
    )
    result = cli.invoke(app, ["plan", "apply", str(edited)])
    assert result.exit_code == 0, result.output
    assert "updated assignments a3: due_at" in result.output
    assert "1 change made" in result.output


def test_plan_apply_prints_every_error_and_writes_nothing(cli: CliRunner) -> None:
    bad = FIXTURES / "plans" / "errors.yaml"
    result = cli.invoke(app, ["plan", "apply", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:7: cohort.timezone" in result.output
    assert f"{bad}:54: pulse 'p2'.questions: expected 1 to 3 questions, got 4" in result.output
    assert "10 error(s)" in result.output and "nothing was written" in result.output


def test_import_people_reports_bad_rows_then_imports(cli: CliRunner) -> None:
    assert cli.invoke(app, ["plan", "apply", str(EXAMPLE)]).exit_code == 0
    bad = cli.invoke(
        app, ["import", "people", str(FIXTURES / "people" / "bad_rows.csv"), "--cohort", "2026h"]
    )
    assert bad.exit_code == 1
    assert "bad_rows.csv: row 4: unknown class 'stavanger'" in bad.output
    assert "6 problem(s)" in bad.output and "nothing was imported" in bad.output

    path = str(FIXTURES / "people" / "participants.csv")
    dry = cli.invoke(app, ["import", "people", path, "--cohort", "2026h", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run" in dry.output and "4 created" in dry.output
    first = cli.invoke(app, ["import", "people", path, "--cohort", "2026h"])
    assert "participants: 4 created, 0 updated, 0 unchanged" in first.output
    assert "Slack: not checked" in first.output
    assert "deliveries planned" in first.output
    again = cli.invoke(app, ["import", "people", path, "--cohort", "2026h"])
    assert "participants: 0 created, 0 updated, 4 unchanged" in again.output


def test_import_without_smtp_says_who_cannot_be_reached_and_holds_email(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attacks "email that can't go is said": 4 participants and 3 managers, none on Slack."""
    monkeypatch.delenv("SMTP_URL", raising=False)
    assert cli.invoke(app, ["plan", "apply", str(EXAMPLE)]).exit_code == 0
    path = str(FIXTURES / "people" / "participants.csv")
    result = cli.invoke(app, ["import", "people", path, "--cohort", "2026h"])
    assert result.exit_code == 0, result.output
    assert (
        "email is not configured (no SMTP_URL): 4 participants and 2 line managers not on Slack "
        "cannot be reached; their deliveries are held until SMTP_URL is set"
    ) in " ".join(result.output.split())
    shown = cli.invoke(app, ["deliveries"])
    assert shown.exit_code == 0, shown.output
    planned = int(result.output.split(" deliveries planned")[0].split()[-1])
    assert planned > 0
    assert f"{planned} pending email deliveries are held" in " ".join(shown.output.split())


def test_import_people_missing_column_and_unknown_cohort(cli: CliRunner) -> None:
    missing = cli.invoke(
        app,
        ["import", "people", str(FIXTURES / "people" / "missing_column.csv"), "--cohort", "x"],
    )
    assert missing.exit_code == 1 and "missing column county" in missing.output
    unknown = cli.invoke(
        app,
        ["import", "people", str(FIXTURES / "people" / "participants.csv"), "--cohort", "x"],
    )
    assert unknown.exit_code == 1 and "no cohort 'x'" in unknown.output


@pytest.fixture
def slack_api() -> Iterator[str]:
    """A users.list server in its own thread (the CLI runs its own event loop)."""
    pages = {
        "": json.loads((FIXTURES / "slack" / "users_list_page1.json").read_text()),
        "dXNlcjpVMEc5V0ZYTlo=": json.loads(
            (FIXTURES / "slack" / "users_list_page2.json").read_text()
        ),
    }

    async def users_list(request: web.Request) -> web.Response:
        params = {**request.query, **(await request.post())}
        return web.json_response(pages[str(params.get("cursor", ""))])

    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, object] = {}

    async def start() -> None:
        application = web.Application()
        application.router.add_route("*", "/api/users.list", users_list)
        runner = web.AppRunner(application)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        holder["runner"] = runner
        holder["port"] = runner.addresses[0][1]
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop)
    assert started.wait(10)
    yield f"http://127.0.0.1:{holder['port']}/api/"
    runner = holder["runner"]
    assert isinstance(runner, web.AppRunner)
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def test_import_people_matches_slack_users_when_a_token_is_set(
    cli: CliRunner, slack_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli.invoke(app, ["plan", "apply", str(EXAMPLE)]).exit_code == 0
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "test-secret")
    monkeypatch.setenv("SLACK_API_URL", slack_api)
    get_settings.cache_clear()
    path = str(FIXTURES / "people" / "participants.csv")
    result = cli.invoke(app, ["import", "people", path, "--cohort", "2026h"])
    assert result.exit_code == 0, result.output
    assert "Slack: 3 matched, 2 not found, 1 deactivated" in result.output
    assert "not in Slack: jonas.berg@oslo.kommune.no" in result.output
    assert "deactivated in Slack: ola.hansen@trondheim.kommune.no" in result.output
