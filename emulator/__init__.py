"""A local Slack workspace: Web API subset, signed inbound requests, web UI and an SMTP sink."""

from emulator.config import EmulatorConfig, FaultConfig
from emulator.server import EmulatorHandle, create_emulator_app, start_emulator
from emulator.state import WorkspaceState

__all__ = [
    "EmulatorConfig",
    "EmulatorHandle",
    "FaultConfig",
    "WorkspaceState",
    "create_emulator_app",
    "start_emulator",
]
