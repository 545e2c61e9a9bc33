"""Log set-up: readable lines by default, one JSON object per line with COHORTBOT_LOG_FORMAT=json.

A JSON line carries the time (UTC, ISO 8601), level, logger, message, the process, and the
ids a record was given as `extra` (`delivery_id`, `job`, …). Log messages name things by id,
never by a person's name or address (STYLE.md); as a second line of defence the JSON lines
blank anything shaped like an email address or a Slack/Bearer token, in the message and in
tracebacks alike.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
from datetime import UTC, datetime
from typing import Any

from bot.settings import Settings, redact_url

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
# `extra` keys kept in JSON lines: ids and other plain labels, never free text.
_ID_KEYS = re.compile(r"^(?:[a-z_]+_id|[a-z_]+_ids|job|transport|kind|state|status|count|method)$")

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_TOKEN = re.compile(r"\b(?:xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|Bearer\s+[A-Za-z0-9._~+/=-]+)")


def redact(text: str) -> str:
    """Blank passwords in URLs, email addresses and tokens."""
    return _TOKEN.sub("[token]", _EMAIL.sub("[email]", redact_url(text)))


class RedactingFilter(logging.Filter):
    """The same second line of defence for text lines: no URL password, address or token."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def __init__(self) -> None:
        super().__init__()
        self.process = f"{socket.gethostname()}:{os.getpid()}"

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
            "process": self.process,
        }
        for key, value in vars(record).items():
            if key in _STANDARD or not _ID_KEYS.match(key):
                continue
            if isinstance(value, bool | int | float) or value is None:
                entry[key] = value
            elif isinstance(value, str):
                entry[key] = redact(value)
            elif isinstance(value, list | tuple) and all(isinstance(v, int) for v in value):
                entry[key] = list(value)
        if record.exc_info:
            entry["error"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            entry["traceback"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(settings: Settings) -> None:
    """Give the root logger a handler in the configured format (as `logging.basicConfig`).

    Like basicConfig, it leaves logging alone when something else (a test runner, an embedding
    program) already gave the root logger handlers; its own earlier handler it replaces.
    """
    configure_log_output(settings.log_format, settings.log_level)


def configure_log_output(log_format: str, log_level: str) -> None:
    """`configure_logging` from the two settings it reads (for the edge's process)."""
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, "cohortbot", False)]
    for old in ours:
        root.removeHandler(old)
    if ours or not root.handlers:
        handler = logging.StreamHandler()
        handler.cohortbot = True  # type: ignore[attr-defined]
        handler.setFormatter(
            JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
        )
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
        root.setLevel(log_level)
    # APScheduler logs every run of the one-second dispatch tick at INFO, and a WARNING each
    # second a long tick is still running (max_instances=1 is the point); missed runs are still
    # logged by its executor.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    # aiosmtpd (the local workspace's mail sink) logs each SMTP command at INFO.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
