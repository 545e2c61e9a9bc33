"""One `Retry-After` reader for Slack, Teams and Graph answers."""

from __future__ import annotations

from multidict import CIMultiDict

from handlers.retry_after import RetryBudget, retry_after
from handlers.slack.webclient import retry_after_seconds


def test_retry_after_reads_every_platforms_headers() -> None:
    assert retry_after(CIMultiDict({"Retry-After": "7"})) == 7.0  # aiohttp (Teams, Graph)
    assert retry_after({"retry-after": "3"}) == 3.0  # slack_sdk's plain dict
    assert retry_after({"Retry-After": "-5"}) == 0.0
    assert retry_after({"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}) is None
    assert retry_after({}) is None and retry_after(None) is None
    assert retry_after_seconds({}, default=1.5) == 1.5  # Slack's reader keeps its default


async def test_a_retry_budget_stops_at_its_attempts_or_its_deadline() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    budget = RetryBudget(attempts=3, deadline=10.0, sleep=sleep)
    tries = 0
    while budget.start():
        tries += 1
        if not await budget.wait(2.0):
            break
    assert tries == 3 and slept == [2.0, 2.0]  # no wait after the last attempt

    budget = RetryBudget(attempts=9, deadline=5.0, sleep=sleep)
    slept.clear()
    assert budget.start()
    budget.spend(4.0)  # a rate limiter's wait counts against the deadline
    assert budget.would_pass(1.5) and not await budget.wait(1.5)
    assert slept == [] and budget.waited == 4.0
