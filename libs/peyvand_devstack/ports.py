"""TCP port helpers: pick a free loopback port, probe one, wait for one to open."""

from __future__ import annotations

import random
import socket
import time
from pathlib import Path

# Ports handed to servers we start are chosen below the kernel's ephemeral range: a port taken
# with bind(0) comes from that range, and between choosing it and the server binding it any
# outgoing connection on the machine (pymongo, gRPC, AMQP clients of a running test) may be
# given it as its local port. Below the range only an explicit bind can take it.
LOWEST = 10000
_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_random = random.SystemRandom()


def ephemeral_range() -> tuple[int, int]:
    """The kernel's range for local ports of outgoing connections (Linux default 32768–60999)."""
    try:
        low, high = (int(part) for part in _RANGE_FILE.read_text().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_port() -> int:
    """A port free on 127.0.0.1 right now, below the ephemeral range (it may be taken again later)."""
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 right now, below the ephemeral range (all held
    open at once while choosing, so none repeats); falls back to bind(0) if that range is full."""
    socks: list[socket.socket] = []
    low = LOWEST
    high = max(low + 1, min(ephemeral_range()[0], 65536))
    try:
        attempts = 0
        while len(socks) < count:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            attempts += 1
            port = _random.randrange(low, high) if attempts <= 50 * count else 0
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:  # in use (a server, a socket in TIME_WAIT): try another
                sock.close()
                continue
            socks.append(sock)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for sock in socks:
            sock.close()


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True if something accepts a TCP connection on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout: float) -> None:
    """Block until ``host:port`` accepts connections; raise TimeoutError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port, timeout=min(0.5, max(0.05, deadline - time.monotonic()))):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing accepted connections on {host}:{port} within {timeout:.1f} s")
