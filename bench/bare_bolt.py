"""A bare Bolt app that only acks: the yardstick for the bot's ack times (bench.whole_bot).

    python -m bench.bare_bolt --port 3999 --api-url http://127.0.0.1:3001/api/ \
        --token xoxb-… --signing-secret …

A minimal `slack_bolt` AsyncApp, as a developer starts one: every action, command and view is
acked and nothing else happens. Served by Bolt's own aiohttp server, like the bot's endpoint.
"""

from __future__ import annotations

import argparse
import re
from typing import Any


def build_app(*, token: str, signing_secret: str, api_url: str) -> Any:
    """The bare app: ack everything."""
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    app = AsyncApp(
        client=AsyncWebClient(token=token, base_url=api_url),
        signing_secret=signing_secret,
        process_before_response=False,
    )

    @app.action(re.compile(".*"))
    async def any_action(ack: Any) -> None:
        await ack()

    @app.command(re.compile(".*"))
    async def any_command(ack: Any) -> None:
        await ack()

    return app


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.bare_bolt", description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--api-url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--signing-secret", required=True)
    args = p.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.WARNING)
    app = build_app(token=args.token, signing_secret=args.signing_secret, api_url=args.api_url)
    app.start(port=args.port, path="/slack/events", host="127.0.0.1")


if __name__ == "__main__":
    main()
