"""`cohortbot assignments --cohort KEY`: the status table in the terminal."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from bot.assignments import mark_done
from cli import app
from storage.db import Database
from tests.utils.assignments import add_assignment, build_programme, oslo


async def _seed(url: str) -> None:
    db = Database(url)
    async with db.transaction() as session:
        p = await build_programme(session)
        a = await add_assignment(
            session, p.cohort, release_at=oslo(2020, 9, 10, 16), due_at=oslo(2020, 9, 25, 23, 59)
        )
        await mark_done(session, a.id, p.kari.id, oslo(2020, 9, 20))
    await db.dispose()


def test_status_table_with_and_without_names(
    cli: CliRunner, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cli as cli_module

    monkeypatch.setattr(cli_module.console, "width", 200)  # no wrapping inside cells
    asyncio.run(_seed(database_url))
    result = cli.invoke(app, ["assignments", "--cohort", "kull-2026h"])
    assert result.exit_code == 0, result.output
    assert "Bergen" in result.output and "Tromsø" in result.output
    assert "Bodø (no channel)" in result.output
    assert "Ola Hansen" not in result.output
    named = cli.invoke(
        app, ["assignments", "--cohort", "kull-2026h", "--class", "bergen", "--names"]
    )
    assert named.exit_code == 0, named.output
    assert "Ola Hansen" in named.output and "Tromsø" not in named.output
    missing = cli.invoke(app, ["assignments", "--cohort", "nope"])
    assert missing.exit_code == 1 and "no cohort with key 'nope'" in missing.output
