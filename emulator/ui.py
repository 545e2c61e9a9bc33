"""The web UI (being written)."""

from __future__ import annotations

from typing import Any

from aiohttp import web


class WorkspaceUI:
    """Serve the workspace UI."""

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator

    def add_routes(self, app: web.Application) -> None:
        """Register UI routes."""
