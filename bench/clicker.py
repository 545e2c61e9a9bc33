"""Send a burst of prepared, signed clicks from a process of its own (bench.whole_bot).

    python -m bench.clicker IN.json OUT.json

IN: {"url", "signing_secret", "spread", "timeout", "clicks": [{"user", "channel", "ts", "body"}]}
with each body the form Slack POSTs for a block_actions payload. Each click is signed when it
is sent (Slack's v0 signature over the current timestamp) and sent at start + spread × i / n,
all concurrently, without aiohttp's limit of 100 connections. OUT: per click the wall time it
was sent, the seconds until the bot answered (its ack) and the status, or the error.

Its own process so the fake's work (serving the bot's Web API calls) does not slow the clicks
down, nor the clicks the fake: the ack times are the bot's.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from emulator.inbound import sign


async def fire(spec: dict[str, Any]) -> list[dict[str, Any]]:
    clicks = spec["clicks"]
    timeout = aiohttp.ClientTimeout(total=float(spec["timeout"]))
    spread = float(spec["spread"])
    out: list[dict[str, Any]] = [{} for _ in clicks]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        began = time.monotonic()

        async def one(i: int, click: dict[str, Any]) -> None:
            await asyncio.sleep(max(0.0, began + spread * i / len(clicks) - time.monotonic()))
            body = click["body"].encode()
            ts = int(time.time())
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": str(ts),
                "X-Slack-Signature": sign(spec["signing_secret"], ts, body),
            }
            record: dict[str, Any] = {"sent_at": time.time()}
            started = time.monotonic()
            try:
                async with http.post(spec["url"], data=body, headers=headers, timeout=timeout) as r:
                    await r.read()
                    record["status"] = r.status
            except TimeoutError:
                record["error"] = "http_timeout"
            except aiohttp.ClientError as exc:
                record["error"] = type(exc).__name__
            record["elapsed"] = time.monotonic() - started
            out[i] = record

        await asyncio.gather(*(one(i, c) for i, c in enumerate(clicks)))
    return out


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    spec = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    Path(args[1]).write_text(json.dumps(asyncio.run(fire(spec))), encoding="utf-8")


if __name__ == "__main__":
    main()
