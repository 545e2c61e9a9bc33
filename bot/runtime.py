"""What handlers and jobs share in one process: settings, database, clock and transports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock, SystemClock
from bot.notifier import Notifier
from bot.precedence import AfterAck, Precedence
from bot.settings import Settings
from bot.worker_loop import ProcessWorker
from storage.db import Database


@dataclass
class Runtime:
    """The process's shared services. Built once in `app.py`; nothing else makes its own."""

    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    # Leases (dispatcher claims) are measured on this clock when set: the real one in local
    # mode, whose `clock` fast-forwards.
    lease_clock: Clock | None = None
    notifiers: dict[str, Notifier] = field(default_factory=dict)
    process_id: str = "bot"
    # Set by app.py: the shared aiohttp.ClientSession (typed loosely: bot/ knows no HTTP client).
    http: Any = None
    # Set by app.py: the UserLookup port (bot.directory) over Slack, to recognise staff.
    user_lookup: Any = None
    # Requests waiting for their ack go before the dispatcher's work (bot.precedence).
    precedence: Precedence = field(default_factory=Precedence)
    # What clicks leave to do after their ack, a few at a time (bot.precedence.AfterAck).
    after_ack: AfterAck = field(init=False)
    # Set by app.py: the warm process for reports and charts (None: spawned per report).
    worker: ProcessWorker | None = None
    # Set when a released pulse's receipts could not yet be scrubbed from the files (bot.pulses).
    scrub_pending: bool = False

    def __post_init__(self) -> None:
        self.after_ack = AfterAck(self.precedence)
