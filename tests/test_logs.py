"""COHORTBOT_LOG_FORMAT=json: one JSON object per line, with ids and without personal data."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from bot.demo import demo_people
from bot.logs import JsonFormatter, configure_logging, redact
from bot.settings import Settings, load_settings
from emulator.server import free_port

ROOT = Path(__file__).resolve().parent.parent


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("bot.delivery", logging.ERROR, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_json_line_has_the_fields_and_the_ids() -> None:
    line = JsonFormatter().format(
        _record("Failed to deliver delivery %s", 42, delivery_id=42, person_ids=[1, 2])
    )
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["level"] == "error" and entry["logger"] == "bot.delivery"
    assert entry["message"] == "Failed to deliver delivery 42"
    assert entry["delivery_id"] == 42 and entry["person_ids"] == [1, 2]
    assert entry["ts"].endswith("+00:00") and entry["process"]


def test_json_lines_keep_no_email_address_token_or_free_text_extra() -> None:
    try:
        raise ValueError("duplicate key for kari.nordmann@bergen.kommune.no")
    except ValueError:
        record = _record(
            "Refused %s with xoxb-123-abc", "ola@example.no", person_name="Kari Nordmann", kind="x"
        )
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    for secret in ("kari.nordmann", "ola@example.no", "xoxb-123", "Kari Nordmann"):
        assert secret not in line
    assert entry["message"] == "Refused [email] with [token]"
    assert entry["error"] == "ValueError" and "[email]" in entry["traceback"]
    assert "person_name" not in entry and entry["kind"] == "x"  # free text out, labels in
    assert redact("Bearer abc.def") == "[token]"


def test_the_setting_is_read_and_checked() -> None:
    assert load_settings({"COHORTBOT_LOG_FORMAT": "JSON"}, env_file=None).log_format == "json"
    assert load_settings({"COHORTBOT_LOG_LEVEL": "debug"}, env_file=None).log_level == "DEBUG"
    with pytest.raises(Exception, match="COHORTBOT_LOG_FORMAT"):
        load_settings({"COHORTBOT_LOG_FORMAT": "xml"}, env_file=None)


def test_configure_logging_leaves_someone_elses_handlers_alone(settings: Settings) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    configure_logging(settings.model_copy(update={"log_format": "json"}))
    assert root.handlers == before  # pytest's own capture handlers stay; none of ours added


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return bytes(resp.read())


def _until(check: Any, seconds: float = 90) -> None:
    """Poll a condition (the bot is another process) with a generous deadline."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if check():
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the bot")
        time.sleep(0.2)


@pytest.mark.slow
def test_local_mode_logs_json_lines_without_personal_data_or_mail_noise(tmp_path: Path) -> None:
    bot_port, emulator_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "COHORTBOT_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'cohortbot.db'}",
            "COHORTBOT_PORT": str(bot_port),
            "COHORTBOT_EMULATOR_PORT": str(emulator_port),
            "COHORTBOT_LOG_FORMAT": "json",
            "PYTHONPATH": str(ROOT),
        }
    )
    cli = [sys.executable, "-c", "from cli import main; main()"]
    subprocess.run([*cli, "db", "upgrade"], env=env, cwd=tmp_path, check=True, timeout=60)
    bot = subprocess.Popen(
        [*cli, "run"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    bot_url, emulator = f"http://127.0.0.1:{bot_port}", f"http://127.0.0.1:{emulator_port}"
    try:
        _until(lambda: json.loads(_get(f"{bot_url}/healthz"))["status"] == "ok")
        _until(lambda: b"lu-demo-bergen" in _get(f"{emulator}/_admin/channels"))
        # A week on: nudges go out, by email to the line managers who are not on Slack.
        request = urllib.request.Request(
            f"{bot_url}/_local/clock",
            data=json.dumps({"advance_seconds": 7 * 86400}).encode(),
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=10).read()
        _until(lambda: json.loads(_get(f"{emulator}/_admin/emails"))["emails"])
        metrics = _get(f"{bot_url}/metrics").decode()
    finally:
        bot.send_signal(signal.SIGTERM)
        _, err = bot.communicate(timeout=60)
    assert bot.returncode == 0, err.decode()[-3000:]
    lines = [line for line in err.decode().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert entries and all({"ts", "level", "logger", "message"} <= set(e) for e in entries)
    assert not [e for e in entries if e["logger"].startswith("mail.")]  # aiosmtpd is quiet
    text = "\n".join(lines)
    for person in demo_people():
        assert person.row["email"] not in text
        assert person.row["name"] not in text
    families = {
        line.split(" ")[2] for line in metrics.splitlines() if line.startswith("# TYPE cohortbot_")
    }
    assert len(families) >= 5, families
