"""Limits on what people can send the bot, enforced on the server whatever a client allows.

Slack's modals and the emulator enforce `max_length` in the browser, but a forged request can
carry anything: every limit here is checked again by the bot, with a clear error, and nothing
is changed. The same numbers are written into the modals and listed in docs/limits.md.
"""

from __future__ import annotations

# /cohort <subcommand> <arguments>: Slack allows 4,000 characters; nothing of ours needs 500.
MAX_COMMAND_TEXT = 500
# The directory profile (the Person columns' sizes; the bio is free text up to this).
PROFILE_LIMITS: dict[str, int] = {
    "project_title": 300,
    "topics": 500,
    "bio": 1000,
    "municipality": 100,
    "county": 100,
    "service_area": 100,
    "workplace": 200,
    "position": 200,
}
# An announcement (Slack's section text), a reflection, a free-text pulse answer (bot.pulses).
MAX_ANNOUNCEMENT = 3000
MAX_REFLECTION = 3000
MAX_FREE_TEXT_ANSWER = 3000


def too_long(fields: dict[str, str | None], limits: dict[str, int]) -> dict[str, int]:
    """The fields whose value is longer than its limit: field -> limit."""
    return {
        name: limits[name]
        for name, value in fields.items()
        if name in limits and value is not None and len(value.strip()) > limits[name]
    }
