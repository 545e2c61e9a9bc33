"""Run the emulator on its own: `python -m emulator --port 3001 --bot-url ... --signing-secret ...`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from functools import partial

from emulator.config import FaultConfig
from emulator.seed import seed_demo, seed_from_file
from emulator.server import start_emulator
from emulator.state import WorkspaceState


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m emulator", description="A local Slack workspace."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3001)
    parser.add_argument(
        "--bot-url",
        default=None,
        help="the bot's request URL, e.g. http://127.0.0.1:3000/slack/events",
    )
    parser.add_argument("--signing-secret", default="local-signing-secret")
    parser.add_argument("--bot-token", default="xoxb-local-emulator-token")
    parser.add_argument(
        "--smtp-port", type=int, default=2525, help="SMTP sink port (0 = free port, -1 = off)"
    )
    parser.add_argument(
        "--clock-url", default=None, help="the bot's /_local/clock endpoint for fast-forward"
    )
    parser.add_argument(
        "--seed", default="demo", help="'demo', 'none' or a JSON file of users and channels"
    )
    parser.add_argument(
        "--state-file", default=None, help="keep the workspace in this JSON file across restarts"
    )
    parser.add_argument("--rate-limits", action="store_true", help="enforce Slack-like rate limits")
    parser.add_argument(
        "--rate-scale", type=float, default=1.0, help="multiply allowed rates (10 = 10x faster)"
    )
    parser.add_argument("--ack-timeout", type=float, default=3.0)
    parser.add_argument("--fault-429", type=float, default=0.0, help="share of calls answered 429")
    parser.add_argument(
        "--fault-5xx", type=float, default=0.0, help="share of calls answered 500/503"
    )
    parser.add_argument(
        "--fault-drop", type=float, default=0.0, help="share of calls whose connection is dropped"
    )
    parser.add_argument(
        "--fault-drop-after", type=float, default=0.0, help="share of calls handled, then dropped"
    )
    parser.add_argument("--fault-seed", type=int, default=None)
    return parser.parse_args(argv)


def _seed(kind: str, state: WorkspaceState) -> None:
    if kind == "demo":
        seed_demo(state)
    elif kind != "none":
        seed_from_file(state, kind)


async def main(argv: list[str] | None = None) -> None:
    """Start the emulator and serve until interrupted."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # aiosmtpd logs every SMTP command at INFO; its warnings and errors still show.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    handle = await start_emulator(
        args.host,
        args.port,
        args.bot_url,
        args.signing_secret,
        seed=partial(_seed, args.seed),
        bot_token=args.bot_token,
        smtp_port=None if args.smtp_port < 0 else args.smtp_port,
        clock_url=args.clock_url,
        state_file=args.state_file,
        rate_limits=args.rate_limits,
        rate_scale=args.rate_scale,
        ack_timeout=args.ack_timeout,
        faults=FaultConfig(
            ratelimited_share=args.fault_429,
            server_error_share=args.fault_5xx,
            drop_share=args.fault_drop,
            drop_after_share=args.fault_drop_after,
            seed=args.fault_seed,
        ),
    )
    print(f"Slack emulator: open {handle.ui_url}")
    print(f"  SLACK_API_URL={handle.api_url}")
    print(f"  SLACK_BOT_TOKEN={handle.bot_token}")
    print(f"  SLACK_SIGNING_SECRET={handle.config.signing_secret}")
    if handle.smtp_port:
        print(f"  SMTP_URL=smtp://{args.host}:{handle.smtp_port}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await handle.stop()


if __name__ == "__main__":
    asyncio.run(main())
