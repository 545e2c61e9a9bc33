"""One `Retry-After` reader for Slack, Teams and Graph answers."""

from __future__ import annotations

from multidict import CIMultiDict

from handlers.retry_after import retry_after
from handlers.slack.webclient import retry_after_seconds


def test_retry_after_reads_every_platforms_headers() -> None:
    assert retry_after(CIMultiDict({"Retry-After": "7"})) == 7.0  # aiohttp (Teams, Graph)
    assert retry_after({"retry-after": "3"}) == 3.0  # slack_sdk's plain dict
    assert retry_after({"Retry-After": "-5"}) == 0.0
    assert retry_after({"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}) is None
    assert retry_after({}) is None and retry_after(None) is None
    assert retry_after_seconds({}, default=1.5) == 1.5  # Slack's reader keeps its default
