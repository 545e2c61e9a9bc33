"""`cohortbot run` and `db upgrade` as a person runs them: real processes, one clear line on errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

COHORTBOT = [sys.executable, "-c", "from cli import main; main()"]
ROOT = Path(__file__).resolve().parent.parent


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "COHORTBOT_"))}
    full_env.pop("DATABASE_URL", None)
    full_env.update(env)
    full_env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        COHORTBOT + args, env=full_env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_invalid_setting_is_one_line_without_traceback(tmp_path: Path) -> None:
    result = run_cli(["db", "upgrade"], {"COHORTBOT_PORT": "abc"}, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "COHORTBOT_PORT='abc' is invalid" in lines[0]


def test_run_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = run_cli(["run"], {"DATABASE_URL": url}, tmp_path)
    assert result.returncode == 3
    assert "run `cohortbot db upgrade`" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_then_schema_is_current(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'bot.db'}"
    result = run_cli(["db", "upgrade"], {"DATABASE_URL": url}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "database at revision" in result.stdout
    again = run_cli(["db", "upgrade"], {"DATABASE_URL": url}, tmp_path)
    assert again.returncode == 0


@pytest.mark.parametrize(
    "env", [{"DATABASE_URL": "mysql://nope"}, {"COHORTBOT_TIMEZONE": "Nowhere"}]
)
def test_other_bad_settings(tmp_path: Path, env: dict[str, str]) -> None:
    result = run_cli(["db", "upgrade"], env, tmp_path)
    assert result.returncode == 2
    assert next(iter(env)) in result.stderr


def test_a_taken_port_is_one_clear_line(tmp_path: Path) -> None:
    import socket

    url = f"sqlite:///{tmp_path / 'bot.db'}"
    assert run_cli(["db", "upgrade"], {"DATABASE_URL": url}, tmp_path).returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"DATABASE_URL": url, "COHORTBOT_PORT": "4999", "COHORTBOT_EMULATOR_PORT": str(port)}
        result = run_cli(["run"], env, tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"cannot start the local Slack workspace on port {port}" in result.stderr
    assert "COHORTBOT_EMULATOR_PORT" in result.stderr


def test_a_socket_path_over_the_limit_is_one_clear_line(tmp_path: Path) -> None:
    from emulator.server import free_port

    url = f"sqlite:///{tmp_path / 'bot.db'}"
    assert run_cli(["db", "upgrade"], {"DATABASE_URL": url}, tmp_path).returncode == 0
    long_tmp = tmp_path / ("t" * 120)  # a Unix socket's path holds at most 107 bytes
    long_tmp.mkdir()
    env = {
        "DATABASE_URL": url,
        "COHORTBOT_PORT": str(free_port()),
        "COHORTBOT_EMULATOR_PORT": str(free_port()),
        "TMPDIR": str(long_tmp),
    }
    result = run_cli(["run"], env, tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "cannot open the bot's own socket at" in result.stderr
    assert "set TMPDIR to a short directory" in result.stderr
