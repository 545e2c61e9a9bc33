"""`app.shut_down`: at a stop every step runs, in order, even when one before it fails — so a
failing Socket Mode close can no longer leave the edge acking presses into a closing loop."""

from __future__ import annotations

import logging

import pytest

from app import shut_down


async def test_every_step_runs_in_order_though_one_fails(caplog: pytest.LogCaptureFixture) -> None:
    ran: list[str] = []

    async def fails() -> None:
        ran.append("socket mode")
        raise ConnectionError("the websocket was already gone")

    async def edge() -> None:
        ran.append("edge")

    with caplog.at_level(logging.ERROR, logger="app"):
        await shut_down(
            [
                ("the edge", edge),
                ("Socket Mode", fails),
                ("nothing", None),
                ("the report worker", lambda: ran.append("worker")),
            ]
        )
    assert ran == ["edge", "socket mode", "worker"]
    assert [r.getMessage() for r in caplog.records] == [
        "Stopping Socket Mode failed (ConnectionError)"
    ]
