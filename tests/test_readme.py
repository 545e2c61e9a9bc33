"""The README stays true: its plan example parses, its commands exist, its settings are real."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from bot.plan import parse_plan
from bot.settings import ENV_FIELDS
from cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_plan_example_in_the_readme_is_valid() -> None:
    block = re.search(r"```yaml\n(.*?)```", README, re.S)
    assert block is not None
    plan = parse_plan(block.group(1), source="README.md")
    assert [c.city for c in plan.classes] == ["Bergen", "Trondheim", "Tromsø"]
    assert plan.assignments[0].due_at > plan.assignments[0].release_at


def test_the_two_setup_commands_come_first() -> None:
    first_block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["make run", "make test"]


def test_every_documented_command_exists() -> None:
    runner = CliRunner()
    for command in re.findall(r"^\| `cohortbot ([a-z ]+?)(?: [A-Z\[\-].*?)?`", README, re.M):
        result = runner.invoke(app, [*command.split(), "--help"])
        assert result.exit_code == 0, f"cohortbot {command}: {result.output}"


def test_every_documented_variable_is_a_setting_and_back() -> None:
    documented = set(re.findall(r"^\| `([A-Z_]+)`", README, re.M))
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert documented - set(ENV_FIELDS) == set()
    in_example = set(re.findall(r"^#? ?([A-Z0-9_]+)=", example, re.M))
    assert set(ENV_FIELDS) - in_example == set(), "settings missing from .env.example"
