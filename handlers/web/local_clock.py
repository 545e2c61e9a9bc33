"""Local mode only: move the bot's clock forward, so a person can watch a month play out.

Only in local mode (the routes do not exist otherwise) and only for callers on this machine
(loopback), even when COHORTBOT_HOST makes the bot listen on other interfaces.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from datetime import timedelta

from aiohttp import web

from bot.clock import OffsetClock
from bot.messages import format_when
from bot.runtime import Runtime

logger = logging.getLogger(__name__)

# Set by app.py to a function that runs every scheduled job now (after the clock moved).
WakeJobs = Callable[[], None]
WAKE_JOBS_KEY: web.AppKey[WakeJobs] = web.AppKey("wake_jobs")
MAX_STEP = timedelta(days=62)


def from_loopback(request: web.Request) -> bool:
    """Whether the caller is this machine (the TCP peer; forwarded-for headers are not trusted)."""
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


def _not_here() -> web.Response:
    logger.warning("Refused the local clock to a caller that is not on this machine")
    return web.json_response({"ok": False, "error": "local_clock_is_loopback_only"}, status=403)


def add_routes(web_app: web.Application, runtime: Runtime) -> None:
    """Add /_local/clock when the bot runs against the local workspace with a movable clock."""
    clock = runtime.clock
    if not runtime.settings.local_mode or not isinstance(clock, OffsetClock):
        return

    def state() -> dict[str, object]:
        now = clock.now()
        return {
            "ok": True,
            "now": now.isoformat(),
            "oslo": format_when(now, "nb"),
            "offset_seconds": int(clock.offset.total_seconds()),
        }

    async def read_clock(request: web.Request) -> web.Response:
        if not from_loopback(request):
            return _not_here()
        return web.json_response(state())

    async def move_clock(request: web.Request) -> web.Response:
        if not from_loopback(request):
            return _not_here()
        try:
            body = await request.json()
            step = timedelta(seconds=int(body["advance_seconds"]))
        except (ValueError, KeyError, TypeError):
            return web.json_response(
                {"ok": False, "error": 'expected JSON {"advance_seconds": N} with N > 0'},
                status=400,
            )
        if step <= timedelta(0) or step > MAX_STEP:
            return web.json_response(
                {
                    "ok": False,
                    "error": f"advance_seconds must be 1..{int(MAX_STEP.total_seconds())}",
                },
                status=400,
            )
        clock.fast_forward(step)
        logger.info("Local clock moved forward by %s to %s", step, clock.now().isoformat())
        wake = request.app.get(WAKE_JOBS_KEY)
        if wake is not None:
            wake()
        return web.json_response(state())

    web_app.router.add_get("/_local/clock", read_clock)
    web_app.router.add_post("/_local/clock", move_clock)
