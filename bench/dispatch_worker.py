"""A standalone dispatcher process: the delivery engine without the rest of the bot.

Used by the crash-and-restart test and the benchmarks, so they can kill -9 a real process
mid-send and run several processes against one database:

    python -m bench.dispatch_worker --database-url postgresql://127.0.0.1/test \\
        --api-url http://127.0.0.1:3001/api/ --token xoxb-local-emulator-token --exit-when-done

It ticks the dispatcher every `--interval` seconds, like the bot's scheduler job, and with
`--exit-when-done` exits when no delivery is pending, claimed or in flight. With `--stats` it
writes what it did as JSON (sends, Web API calls, peak RSS and traced memory).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import aiohttp

from bot.clock import SystemClock
from bot.delivery import Dispatcher, TickStats, delivery_overview
from bot.ratelimit import RateLimiter, RateLimits
from bot.settings import Settings
from handlers.slack.notifier import SlackNotifier, make_slack_client
from storage.db import Database

OUTSTANDING = ("pending", "claimed", "uncertain")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.dispatch_worker", description=__doc__)
    p.add_argument("--database-url", required=True)
    p.add_argument("--api-url", required=True, help="Slack Web API base URL, ending in /api/")
    p.add_argument("--token", default="xoxb-local-emulator-token")
    p.add_argument("--process-id", default="worker")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--batch", type=int, default=200)
    p.add_argument("--lease", type=int, default=120, help="claim lease in seconds")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between ticks")
    p.add_argument("--scale", type=float, default=1.0, help="multiplies every Slack rate")
    p.add_argument("--workspace-per-minute", type=float, default=600)
    p.add_argument("--workspace-burst", type=int, default=10)
    p.add_argument("--channel-per-second", type=float, default=1.0)
    p.add_argument("--channel-burst", type=int, default=3)
    p.add_argument("--backoff", type=float, default=1.0, help="first retry delay (seconds)")
    p.add_argument("--exit-when-done", action="store_true")
    p.add_argument("--stats", type=Path, help="write a JSON summary here on exit")
    p.add_argument("--trace-memory", action="store_true", help="tracemalloc peak (slower)")
    return p.parse_args(argv)


async def outstanding(db: Database) -> int:
    async with db.session() as session:
        overview = await delivery_overview(session, failures=0)
    return sum(overview.counts.get(s, 0) for s in OUTSTANDING)


async def run(args: argparse.Namespace) -> dict[str, object]:
    settings = Settings(
        database_url=args.database_url,
        slack_api_url=args.api_url,
        dispatch_concurrency=args.concurrency,
        dispatch_batch=args.batch,
        dispatch_lease_seconds=args.lease,
        dispatch_interval_seconds=args.interval,
        dispatch_backoff_seconds=args.backoff,
    )
    limits = RateLimits(
        post_workspace_per_minute=args.workspace_per_minute,
        post_workspace_burst=args.workspace_burst,
        post_channel_per_second=args.channel_per_second,
        post_channel_burst=args.channel_burst,
        scale=args.scale,
    )
    db = Database(args.database_url)
    total = TickStats()
    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=max(16, args.concurrency * 2))
    async with aiohttp.ClientSession(connector=connector) as http:
        client = make_slack_client(token=args.token, base_url=settings.slack_api_url, session=http)
        notifier = SlackNotifier(client, RateLimiter(limits))
        dispatcher = Dispatcher(
            db,
            {"slack": notifier},
            SystemClock(),
            notifier.limiter,
            settings,
            args.process_id,
            linger=True,
        )
        print(f"ready {dispatcher.token}", flush=True)
        while True:
            stats = await dispatcher.tick()
            for name in (
                "claimed",
                "sent",
                "retried",
                "failed",
                "deferred",
                "lost",
                "resent_uncertain",
            ):
                setattr(total, name, getattr(total, name) + getattr(stats, name))
            if args.exit_when_done and not stats.claimed and await outstanding(db) == 0:
                break
            await asyncio.sleep(args.interval)
    await db.dispose()
    return {
        "process_id": args.process_id,
        "seconds": round(time.monotonic() - started, 3),
        "claimed": total.claimed,
        "sent": total.sent,
        "retried": total.retried,
        "failed": total.failed,
        "deferred": total.deferred,
        "lost_claims": total.lost,
        "resent_uncertain": total.resent_uncertain,
        "recovered_without_resend": dispatcher.recovered,
        "api_calls": notifier.calls,
        "limiter_penalties": notifier.limiter.penalties,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "traced_peak_kib": tracemalloc.get_traced_memory()[1] // 1024
        if tracemalloc.is_tracing()
        else None,
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if args.trace_memory:
        tracemalloc.start()
    summary = asyncio.run(run(args))
    if args.stats:
        args.stats.write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
