"""`Retry-After`, read one way for every platform's answers (Slack, Teams, Graph)."""

from __future__ import annotations

from typing import Any


def retry_after(headers: Any) -> float | None:
    """The `Retry-After` header in seconds (never negative), or None when absent or unreadable.

    Header names are matched case-insensitively: aiohttp's headers are, slack_sdk's are a plain
    dict. HTTP dates are not used by Slack or the Bot Framework, so they read as None.
    """
    if headers is None:
        return None
    for key, value in dict(headers).items():
        if str(key).lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None
