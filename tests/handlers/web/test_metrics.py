"""GET /metrics on a running bot: the promised cohortbot_ series, with the values that happened."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from prometheus_client.parser import text_string_to_metric_families

from bot.clock import FrozenClock
from bot.runtime import Runtime
from bot.settings import Settings
from emulator.state import WorkspaceState
from schedules import build_scheduler, stop_scheduler
from tests.utils.deliveries import enqueue_many
from tests.utils.workspace import Workspace, eventually, running_workspace


def seed(state: WorkspaceState) -> None:
    state.add_user("kari", real_name="Kari Nordmann", email="kari@example.no", user_id="UKARI")


async def scrape(ws: Workspace) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample on /metrics, keyed by name and sorted labels."""
    async with ws.http.get(f"{ws.bot_url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_count_what_the_bot_did(settings: Settings, clock: FrozenClock) -> None:
    async with running_workspace(settings, clock=clock, seed=seed) as ws:
        # One delivery due an hour ago and not sent yet: a backlog of one, an hour old.
        await enqueue_many(
            ws.runtime.db,
            settings,
            count=1,
            send_at=clock.now() - timedelta(hours=1),
            prefix="late",
            target=lambda _: "UKARI",
        )
        backlog = await scrape(ws)
        assert value(backlog, "cohortbot_deliveries_due") == 1
        assert value(backlog, "cohortbot_delivery_oldest_due_seconds") == 3600
        before = await scrape(ws)

        # Two deliveries to Kari's DM, sent by the dispatcher through the rate limiter.
        await enqueue_many(
            ws.runtime.db, settings, count=2, send_at=clock.now(), target=lambda _: "UKARI"
        )
        await ws.at(clock.now())
        # A slash command: Slack's request is acked over HTTP.
        await ws.command("UKARI", "help")
        # Two jobs, one of which fails.
        ran = asyncio.Event()

        def jobs(scheduler: AsyncIOScheduler, _runtime: Runtime) -> None:
            async def fine() -> None:
                ran.set()

            async def broken() -> None:
                raise RuntimeError("boom")

            scheduler.add_job(fine, id="metrics-ok")
            scheduler.add_job(broken, id="metrics-broken")

        scheduler = build_scheduler(ws.runtime, [jobs])
        scheduler.start()
        await asyncio.wait_for(ran.wait(), timeout=30)

        async def both_jobs_counted() -> bool:
            s = await scrape(ws)
            return (
                value(s, "cohortbot_job_runs_total", job="metrics-ok", outcome="ok") >= 1
                and value(s, "cohortbot_job_runs_total", job="metrics-broken", outcome="error") >= 1
            )

        await eventually(both_jobs_counted, within=30)
        await stop_scheduler(scheduler)
        after = await scrape(ws)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    names = {name.removesuffix("_total") for name, _ in after if name.startswith("cohortbot_")}
    families = {
        n.removesuffix("_bucket")
        .removesuffix("_count")
        .removesuffix("_sum")
        .removesuffix("_created")
        for n in names
    }
    assert len(families) >= 5, families
    assert value(after, "cohortbot_deliveries", state="sent", transport="slack") == 3
    assert value(after, "cohortbot_deliveries_due") == 0
    assert value(after, "cohortbot_delivery_oldest_due_seconds") == 0
    assert value(after, "cohortbot_deliveries", state="pending", transport="slack") == 0
    assert grew("cohortbot_delivery_sends_total", transport="slack", result="sent") == 3
    assert grew("cohortbot_delivery_send_seconds_count", transport="slack") == 3
    assert grew("cohortbot_ratelimit_wait_seconds_count", method="chat.postMessage") >= 2
    assert grew("cohortbot_slack_ack_seconds_count", kind="command") == 1
    assert grew("cohortbot_job_runs_total", job="metrics-broken", outcome="error") == 1
    assert grew("cohortbot_job_seconds_count", job="metrics-ok") == 1


async def test_metrics_name_no_person(settings: Settings, clock: FrozenClock) -> None:
    async with running_workspace(settings, clock=clock, seed=seed) as ws:
        await enqueue_many(
            ws.runtime.db, settings, count=1, send_at=clock.now(), target=lambda _: "UKARI"
        )
        await ws.at(clock.now())
        await ws.command("UKARI", "help")
        async with ws.http.get(f"{ws.bot_url}/metrics") as response:
            text = await response.text()
    for secret in ("UKARI", "kari", "Kari", "@example.no", "Melding"):
        assert secret not in text
