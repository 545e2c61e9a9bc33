"""Slack views listeners: one module per listener, each with `register(app, runtime)`."""

from __future__ import annotations

import sys

from slack_bolt.async_app import AsyncApp

from bot.runtime import Runtime
from handlers.slack.discovery import register_package


def register(app: AsyncApp, runtime: Runtime) -> None:
    """Register every listener module in this package."""
    register_package(sys.modules[__name__], app, runtime)
