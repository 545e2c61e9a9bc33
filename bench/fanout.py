"""Delivery-engine benchmarks (results in docs/benchmarks.md, "Delivery engine").

    python -m bench.fanout                      # all three on SQLite (+ PostgreSQL if it answers)
    python -m bench.fanout fanout --recipients 2000 --target-seconds 30
    python -m bench.fanout two-processes --postgres-url postgresql://127.0.0.1:5432/test
    python -m bench.fanout tick --pending 100000

fanout: one DM to N people through the emulator (Web API over real HTTP) with Slack's limit
    shape scaled so the run takes about `--target-seconds`, 2 % injected 429s and 1 % 5xx. The
    engine runs in its own process (bench.dispatch_worker) so its memory is its own. Then the
    baseline a developer writes first: a loop over AsyncWebClient.chat_postMessage with
    AsyncRateLimitErrorRetryHandler, against the same emulator, limits and faults.
two-processes: two dispatcher processes on one PostgreSQL database send N deliveries together.
tick: a tick that finds nothing due among 100,000 pending future deliveries.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEXT = "Hei! Husk samlingen i morgen kl. 09.00."
DEFAULT_PG = os.environ.get("COHORTBOT_TEST_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")

# The emulator's limit shape (Slack's published one): 600 posts a minute per workspace with a
# burst of 60, one a second per channel with a burst of 4.
WORKSPACE_PER_MINUTE = 600
WORKSPACE_BURST = 60
CHANNEL_PER_SECOND = 1.0
CHANNEL_BURST = 4


# --- databases -----------------------------------------------------------------------------


def fresh_sqlite() -> str:
    path = Path(tempfile.mkdtemp(prefix="cohortbot-bench-")) / "bench.db"
    return f"sqlite:///{path}"


def postgres_answers(url: str) -> bool:
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=3).close()
        return True
    except Exception:
        return False


def fresh_postgres(base_url: str) -> str:
    import psycopg

    name = f"cohortbot_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return base_url.rsplit("/", 1)[0] + "/" + name


def drop_postgres(url: str, base_url: str) -> None:
    import psycopg

    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def migrated(url: str) -> str:
    from storage.migrate import upgrade

    upgrade(url)
    return url


async def enqueue_dms(url: str, targets: list[str], *, send_at: datetime, prefix: str) -> None:
    """Insert the fan-out's deliveries in one transaction (as a broadcast would)."""
    from sqlalchemy import insert

    from bot.notifier import OutgoingMessage
    from storage.db import Database
    from storage.models import Delivery

    message = OutgoingMessage(text=TEXT, title="Påminnelse").to_json()
    now = datetime.now(UTC)
    rows = [
        {
            "dedupe_key": f"{prefix}:{t}",
            "transport": "slack",
            "kind": "announcement",
            "target": t,
            "message": message,
            "send_at": send_at,
            "urgent": True,
            "state": "pending",
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        for t in targets
    ]
    db = Database(url)
    async with db.transaction() as session:
        for i in range(0, len(rows), 5000):
            await session.execute(insert(Delivery), rows[i : i + 5000])
    await db.dispose()


async def outbox_counts(url: str) -> dict[str, int]:
    from storage.db import Database
    from storage.queries.deliveries import count_deliveries_by_state

    db = Database(url)
    async with db.session() as session:
        counts = await count_deliveries_by_state(session=session)
    await db.dispose()
    return counts


# --- the emulator and workers --------------------------------------------------------------


async def start_emulator(
    *, scale: float, limits: bool, faults: bool, seed: int = 7, drop_after: float = 0.0
) -> Any:
    from emulator.config import FaultConfig
    from emulator.server import start_emulator as start

    handle = await start(
        rate_limits=limits,
        rate_scale=scale,
        post_message_workspace_per_minute=WORKSPACE_PER_MINUTE,
        post_message_workspace_burst=WORKSPACE_BURST,
        post_message_per_channel_per_second=CHANNEL_PER_SECOND,
        post_message_channel_burst=CHANNEL_BURST,
        smtp_port=None,
    )
    if faults:
        handle.emulator.set_faults(
            FaultConfig(
                ratelimited_share=0.02,
                server_error_share=0.01,
                drop_after_share=drop_after,
                seed=seed,
                methods=frozenset({"chat.postMessage"}),
            )
        )
    return handle


def seed_users(handle: Any, count: int) -> list[str]:
    users = [f"U{i:08d}" for i in range(count)]
    for uid in users:
        if uid not in handle.state.users:
            handle.state.add_user(uid.lower(), user_id=uid)
    return users


async def run_workers(
    url: str, api_url: str, token: str, *, processes: int, scale: float, interval: float
) -> list[dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    stats_dir = Path(tempfile.mkdtemp(prefix="cohortbot-bench-stats-"))
    procs = []
    for n in range(processes):
        procs.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.dispatch_worker",
                "--database-url",
                url,
                "--api-url",
                api_url,
                "--token",
                token,
                "--process-id",
                f"bench{n}",
                "--scale",
                str(scale / processes),  # the workspace's rate, shared between the processes
                "--workspace-per-minute",
                str(WORKSPACE_PER_MINUTE),
                "--workspace-burst",
                str(WORKSPACE_BURST // processes),
                "--channel-per-second",
                str(CHANNEL_PER_SECOND * processes),
                "--channel-burst",
                str(CHANNEL_BURST),
                "--interval",
                str(interval),
                "--exit-when-done",
                "--stats",
                str(stats_dir / f"{n}.json"),
                env=env,
                cwd=ROOT,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
        )
    for proc in procs:
        _, err = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"worker failed: {err.decode()[-2000:]}")
    return [json.loads((stats_dir / f"{n}.json").read_text()) for n in range(processes)]


def summarise_calls(handle: Any, users: list[str]) -> dict[str, Any]:
    calls = handle.calls.calls("chat.postMessage")
    ok = [c for c in calls if c.ok]
    per_target = Counter(c.args.get("channel") for c in ok)
    delivered = sum(1 for u in users if per_target[u] > 0)
    first = min(c.at for c in calls)
    last = max(c.at for c in ok)
    errors = Counter(c.error for c in calls if not c.ok)
    per_second = Counter(int(c.at - first) for c in ok)
    return {
        "ok_per_second": [per_second.get(i, 0) for i in range(int(last - first) + 1)],
        "send_window_s": round(last - first, 2),
        "api_calls": len(calls),
        "delivered": delivered,
        "lost": len(users) - delivered,
        "duplicated": sum(n - 1 for n in per_target.values() if n > 1),
        "calls_per_delivered": round(len(calls) / max(1, delivered), 4),
        "injected_faults": dict(Counter(c.fault for c in calls if c.fault)),
        "errors": dict(errors),
    }


# --- fan-out -------------------------------------------------------------------------------


async def bench_fanout(args: argparse.Namespace) -> dict[str, Any]:
    n = args.recipients
    rate_per_s_at_scale_1 = WORKSPACE_PER_MINUTE / 60
    scale = (n - WORKSPACE_BURST) / (args.target_seconds * rate_per_s_at_scale_1)
    minimum = (n - WORKSPACE_BURST) / (rate_per_s_at_scale_1 * scale)
    handle = await start_emulator(scale=scale, limits=True, faults=True, drop_after=args.drop_after)
    result: dict[str, Any] = {
        "recipients": n,
        "rate_scale": round(scale, 3),
        "limit": f"{WORKSPACE_PER_MINUTE * scale:.0f}/min workspace (burst {WORKSPACE_BURST}), "
        f"{CHANNEL_PER_SECOND * scale:.2f}/s per channel (burst {CHANNEL_BURST})",
        "minimum_s": round(minimum, 2),
    }
    base = args.database_url
    if base and base.startswith(("postgresql:", "postgres:")):
        url = migrated(fresh_postgres(base))  # a fresh database beside the one given
    else:
        url = migrated(base or fresh_sqlite())
    try:
        users = seed_users(handle, n)
        await enqueue_dms(url, users, send_at=datetime.now(UTC), prefix="fanout")
        started = time.monotonic()
        [worker] = await run_workers(
            url, handle.api_url, handle.bot_token, processes=1, scale=scale, interval=args.interval
        )
        engine = summarise_calls(handle, users)
        engine["process_wall_s"] = round(time.monotonic() - started, 2)
        engine["ratio_to_minimum"] = round(engine["send_window_s"] / minimum, 3)
        engine["peak_rss_mib"] = round(worker["peak_rss_kib"] / 1024, 1)
        engine["outbox"] = await outbox_counts(url)
        engine["worker"] = worker
        result["engine"] = engine

        if not args.skip_baseline:
            result["baseline"] = await baseline(handle, users, minimum)
    finally:
        await handle.stop()
        if url != base and base and base.startswith(("postgresql:", "postgres:")):
            drop_postgres(url, base)
    return result


async def baseline(handle: Any, users: list[str], minimum: float) -> dict[str, Any]:
    """What a developer writes first: a loop with slack_sdk's rate-limit retry handler."""
    from slack_sdk.errors import SlackApiError
    from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
    from slack_sdk.web.async_client import AsyncWebClient

    from emulator.config import FaultConfig

    handle.emulator.limiter.reset()
    handle.calls.reset()
    faults = handle.config.faults
    handle.emulator.set_faults(FaultConfig(**{**faults.__dict__}))  # same seed, same draws
    client = AsyncWebClient(token=handle.bot_token, base_url=handle.api_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    exceptions: Counter[str] = Counter()
    started = time.monotonic()
    for user in users:
        try:
            await client.chat_postMessage(channel=user, text=TEXT)
        except SlackApiError as exc:
            exceptions[str(exc.response.get("error"))] += 1
    wall = time.monotonic() - started
    summary = summarise_calls(handle, users)
    summary["process_wall_s"] = round(wall, 2)
    summary["ratio_to_minimum"] = round(summary["send_window_s"] / minimum, 3)
    summary["exceptions_raised"] = dict(exceptions)
    return summary


# --- two processes on PostgreSQL ------------------------------------------------------------


async def bench_two_processes(args: argparse.Namespace) -> dict[str, Any]:
    if not postgres_answers(args.postgres_url):
        return {"skipped": f"PostgreSQL at {args.postgres_url} does not answer"}
    n = args.recipients
    # Limits off here: the point is the claim, not the pacing. Faults stay on.
    handle = await start_emulator(scale=1.0, limits=False, faults=True, seed=11)
    url = migrated(fresh_postgres(args.postgres_url))
    try:
        users = seed_users(handle, n)
        await enqueue_dms(url, users, send_at=datetime.now(UTC), prefix="two")
        started = time.monotonic()
        workers = await run_workers(
            url, handle.api_url, handle.bot_token, processes=2, scale=1000.0, interval=args.interval
        )
        summary = summarise_calls(handle, users)
        summary["process_wall_s"] = round(time.monotonic() - started, 2)
        summary["sent_by_process"] = [w["sent"] for w in workers]
        summary["lost_claims"] = sum(w["lost_claims"] for w in workers)
        summary["outbox"] = await outbox_counts(url)
        return summary
    finally:
        await handle.stop()
        drop_postgres(url, args.postgres_url)


# --- tick overhead -------------------------------------------------------------------------


async def tick_overhead(url: str, pending: int, ticks: int) -> dict[str, Any]:
    from bot.clock import SystemClock
    from bot.delivery import Dispatcher
    from bot.notifier import RecordingNotifier
    from bot.settings import Settings
    from storage.db import Database

    future = datetime.now(UTC) + timedelta(days=30)
    targets = [f"U{i:08d}" for i in range(pending)]
    await enqueue_dms(url, targets, send_at=future, prefix="future")
    db = Database(url)
    dispatcher = Dispatcher(
        db, {"slack": RecordingNotifier()}, SystemClock(), None, Settings(database_url=url), "tick"
    )
    for _ in range(5):  # warm the pool and the statement cache
        await dispatcher.tick()
    times = []
    for _ in range(ticks):
        t0 = time.perf_counter()
        stats = await dispatcher.tick()
        times.append((time.perf_counter() - t0) * 1000)
        assert stats.claimed == 0
    await db.dispose()
    times.sort()
    return {
        "pending_future": pending,
        "ticks": ticks,
        "min_ms": round(times[0], 2),
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
        "max_ms": round(times[-1], 2),
    }


async def bench_tick(args: argparse.Namespace) -> dict[str, Any]:
    result = {"sqlite": await tick_overhead(migrated(fresh_sqlite()), args.pending, args.ticks)}
    if postgres_answers(args.postgres_url):
        url = migrated(fresh_postgres(args.postgres_url))
        try:
            result["postgresql"] = await tick_overhead(url, args.pending, args.ticks)
        finally:
            drop_postgres(url, args.postgres_url)
    return result


# --- entry point ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.fanout",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "which",
        nargs="*",
        metavar="BENCH",
        help="fanout, two-processes and/or tick (default: all three)",
    )
    p.add_argument("--recipients", type=int, default=2000)
    p.add_argument("--target-seconds", type=float, default=30.0)
    p.add_argument("--interval", type=float, default=1.0, help="dispatch tick interval (s)")
    p.add_argument(
        "--database-url",
        help="fan-out database: a SQLite URL, or a PostgreSQL server URL to create a fresh "
        "database beside (default: a fresh SQLite file)",
    )
    p.add_argument("--postgres-url", default=DEFAULT_PG)
    p.add_argument("--pending", type=int, default=100_000)
    p.add_argument("--ticks", type=int, default=200)
    p.add_argument("--skip-baseline", action="store_true")
    p.add_argument(
        "--drop-after",
        type=float,
        default=0.0,
        help="also drop this share of connections after the post was handled (lost answers)",
    )
    p.add_argument("--json", type=Path, help="also write the results here")
    args = p.parse_args(argv)
    args.which = args.which or ["fanout", "two-processes", "tick"]
    unknown = set(args.which) - {"fanout", "two-processes", "tick"}
    if unknown:
        p.error(f"unknown benchmark {', '.join(sorted(unknown))}")
    return args


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    if "fanout" in args.which:
        results["fanout"] = await bench_fanout(args)
        print(json.dumps({"fanout": results["fanout"]}, indent=2), flush=True)
    if "two-processes" in args.which:
        results["two_processes"] = await bench_two_processes(args)
        print(json.dumps({"two_processes": results["two_processes"]}, indent=2), flush=True)
    if "tick" in args.which:
        results["tick"] = await bench_tick(args)
        print(json.dumps({"tick": results["tick"]}, indent=2), flush=True)
    return results


def main(argv: list[str] | None = None) -> None:
    import logging

    logging.basicConfig(level=logging.WARNING)
    args = parse_args(argv)
    results = asyncio.run(main_async(args))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
