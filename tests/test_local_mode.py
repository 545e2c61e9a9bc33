"""`cohortbot run` with no Slack credentials: the local workspace, the demo, the clock.

This is what `make run` does on a fresh machine, run as a real process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from emulator.server import free_port

ROOT = Path(__file__).resolve().parent.parent


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())


def _wait_for(url: str, seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return _get(url)
        except (urllib.error.URLError, ConnectionError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_run_without_slack_starts_the_local_workspace_with_the_demo(tmp_path: Path) -> None:
    bot_port, emulator_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "COHORTBOT_"))}
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'cohortbot.db'}",
            "COHORTBOT_PORT": str(bot_port),
            "COHORTBOT_EMULATOR_PORT": str(emulator_port),
            "PYTHONPATH": str(ROOT),
        }
    )
    cli = [sys.executable, "-c", "from cli import main; main()"]
    subprocess.run([*cli, "db", "upgrade"], env=env, cwd=tmp_path, check=True, timeout=60)
    bot = subprocess.Popen(
        [*cli, "run"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        assert _wait_for(f"http://127.0.0.1:{bot_port}/healthz", 120)["status"] == "ok"
        emulator = f"http://127.0.0.1:{emulator_port}"

        def demo_channels() -> set[str]:
            return {c.get("name") for c in _get(f"{emulator}/_admin/channels")["channels"]}

        # The channels are outbox steps, created one after another once the demo is seeded:
        # wait for all of them, not the first.
        expected = {"lu-demo", "lu-demo-bergen", "lu-demo-trondheim", "lu-demo-tromso"}
        deadline = time.monotonic() + 120
        while not expected <= demo_channels() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert expected <= demo_channels()
        users = _get(f"{emulator}/_admin/users")["users"]
        assert {"staff", "participant", "line manager"} <= {u.get("role") for u in users}

        # A slash command crosses the edge (handlers.edge) to Bolt and its answer comes back.
        staff = next(u["id"] for u in users if u.get("role") == "staff")
        made = urllib.request.Request(
            f"{emulator}/_admin/channels",
            data=json.dumps({"name": "stab-test", "members": [staff]}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(made, timeout=10) as resp:
            channel = json.loads(resp.read())["channel"]["id"]
        command = urllib.request.Request(
            f"{emulator}/ui/send",
            data=json.dumps({"as": staff, "channel": channel, "text": "/cohort hjelp"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(command, timeout=30) as resp:
            assert json.loads(resp.read())["ok"] is True
        inbound = _get(f"{emulator}/_admin/inbound")
        assert [(r["kind"], r["status"]) for r in inbound["requests"]][-1:] == [
            ("command:/cohort", 200)
        ]

        before = _get(f"http://127.0.0.1:{bot_port}/_local/clock")
        request = urllib.request.Request(
            f"http://127.0.0.1:{bot_port}/_local/clock",
            data=json.dumps({"advance_seconds": 86400}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            after = json.loads(resp.read())
        assert after["offset_seconds"] - before["offset_seconds"] == 86400
        assert (tmp_path / "data" / "local-secrets.json").exists()
    finally:
        bot.send_signal(signal.SIGTERM)
        output, _ = bot.communicate(timeout=60)
    text = output.decode()
    assert bot.returncode == 0, text
    assert f"Open the local Slack workspace: http://127.0.0.1:{emulator_port}/ui" in text
    assert "Traceback" not in text
    # The workspace is kept for the next start.
    assert (tmp_path / "data" / "emulator.json").exists()


def test_local_mode_with_teams_makes_the_class_channels_in_the_local_graph(
    tmp_path: Path,
) -> None:
    """`make run-teams` on a fresh machine: the demo's sync makes a private channel per class
    in the local Graph, owned by the demo's staff member, and its page shows them."""
    bot_port, emulator_port = free_port(), free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "COHORTBOT_", "TEAMS_"))
    }
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'cohortbot.db'}",
            "COHORTBOT_PORT": str(bot_port),
            "COHORTBOT_EMULATOR_PORT": str(emulator_port),
            "COHORTBOT_TEAMS": "dev",
            "PYTHONPATH": str(ROOT),
        }
    )
    cli = [sys.executable, "-c", "from cli import main; main()"]
    subprocess.run([*cli, "db", "upgrade"], env=env, cwd=tmp_path, check=True, timeout=60)
    bot = subprocess.Popen(
        [*cli, "run"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    graph = f"http://127.0.0.1:{emulator_port + 1}"
    try:
        assert _wait_for(f"http://127.0.0.1:{bot_port}/healthz", 120)["status"] == "ok"

        def channels() -> list[dict[str, Any]]:
            teams = _get(f"{graph}/channels.json")["teams"]
            return [c for team in teams.values() for c in team]

        deadline = time.monotonic() + 120
        while len(channels()) < 3 and time.monotonic() < deadline:
            time.sleep(0.5)
        made = channels()
        assert len(made) == 3, made
        assert {c["membershipType"] for c in made} == {"private"}
        assert all([m["roles"] for m in c["members"]] == [["owner"]] for c in made)
        with urllib.request.urlopen(f"{graph}/", timeout=5) as resp:
            page = resp.read().decode()
        assert "Channels made through Graph" in page and made[0]["displayName"] in page
    finally:
        bot.send_signal(signal.SIGTERM)
        output, _ = bot.communicate(timeout=60)
    text = output.decode()
    assert bot.returncode == 0, text
    assert f"What went to Teams (class channels made through Graph): {graph}/" in text
    assert "Traceback" not in text
