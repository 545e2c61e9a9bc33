"""COHORTBOT_HOST: loopback by default, logged as it really is; the local clock control only in
local mode and only for callers on this machine."""

from __future__ import annotations

from unittest import mock

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from app import build_runtime, create_web_app, listening_on
from bot.clock import OffsetClock, SystemClock
from bot.settings import Settings, SettingsError, load_settings


def test_the_bot_listens_on_loopback_unless_told_otherwise() -> None:
    assert load_settings({}, env_file=None).host == "127.0.0.1"
    assert load_settings({"COHORTBOT_HOST": "0.0.0.0"}, env_file=None).host == "0.0.0.0"
    with pytest.raises(SettingsError, match="COHORTBOT_HOST"):
        load_settings({"COHORTBOT_HOST": "not a host!"}, env_file=None)


async def test_the_log_says_where_the_bot_really_listens() -> None:
    runner = web.AppRunner(web.Application())
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        said = listening_on(runner)
        port = runner.addresses[0][1]
        assert said == f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
    assert listening_on_all(["0.0.0.0", 3000]) == "all interfaces, port 3000"


def listening_on_all(address: list[object]) -> str:
    fake = mock.Mock(addresses=[tuple(address)])
    return listening_on(fake)


def _request(method: str, remote: str, body: bytes = b"") -> web.Request:
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda key, default=None: (
        (remote, 40000) if key == "peername" else default
    )
    return make_mocked_request(method, "/_local/clock", transport=transport, payload=mock.Mock())


async def _clock_handler(app: web.Application, method: str, remote: str) -> web.StreamResponse:
    request = _request(method, remote)
    match = await app.router.resolve(request)
    assert match.http_exception is None, "the clock route exists in local mode"
    return await match.handler(request)


@pytest.mark.parametrize("remote", ["10.0.0.7", "192.168.1.20", "2001:db8::1", "bogus"])
async def test_the_local_clock_refuses_callers_on_the_network(
    settings: Settings, remote: str
) -> None:
    clock = OffsetClock()
    runtime = build_runtime(settings.model_copy(update={"local_mode": True}), clock=clock)
    app = create_web_app(runtime, None)
    for method in ("GET", "POST"):
        resp = await _clock_handler(app, method, remote)
        assert resp.status == 403
    assert clock.offset.total_seconds() == 0
    await runtime.db.dispose()


async def test_the_local_clock_answers_this_machine(settings: Settings) -> None:
    runtime = build_runtime(settings.model_copy(update={"local_mode": True}), clock=OffsetClock())
    app = create_web_app(runtime, None)
    assert (await _clock_handler(app, "GET", "127.0.0.1")).status == 200
    assert (await _clock_handler(app, "GET", "::1")).status == 200
    await runtime.db.dispose()


async def test_there_is_no_clock_control_outside_local_mode(settings: Settings) -> None:
    runtime = build_runtime(settings, clock=SystemClock())
    app = create_web_app(runtime, None)
    match = await app.router.resolve(_request("GET", "127.0.0.1"))
    assert match.http_exception is not None and match.http_exception.status == 404
    await runtime.db.dispose()
