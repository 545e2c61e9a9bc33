"""`free_port` hands out ports that nothing else can take before the caller binds them.

A fresh clone's PostgreSQL pass once failed with "address already in use": the bot's port came from
a closed `bind(0)` socket, and the kernel handed it to another socket before the bot bound it.
"""

from __future__ import annotations

import socket

from emulator.server import _ephemeral_range, free_port


def test_ports_are_outside_the_kernels_own_range_and_never_repeat() -> None:
    low, high = _ephemeral_range()
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
    assert all(not low <= port <= high for port in ports)


def test_a_port_the_kernel_hands_out_is_never_one_of_ours() -> None:
    ours = {free_port() for _ in range(50)}
    kernels = []
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            kernels.append(sock.getsockname()[1])
    assert ours.isdisjoint(kernels)
