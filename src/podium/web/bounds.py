"""The server's limits on clients, shared by both HTTP protocols `podium serve` may use."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bounds:
    """The server's limits on clients (`podium serve` options)."""

    header_seconds: float = 10.0  # a request's line and headers, from the connection's start
    keep_alive_seconds: float = 5.0  # idle between two requests on one connection
    max_connections: int = 200  # more are answered 503 at once
    max_head_bytes: int = 16 * 1024  # a request line and headers larger than this: 400
    shutdown_seconds: int = 10  # requests still open when stopping have this long to end
