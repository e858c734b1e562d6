"""The server's limits on clients, shared by both HTTP protocols `podium serve` may use."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Bounds:
    """The server's limits on clients (`podium serve` options)."""

    header_seconds: float = 10.0  # a request's line and headers, from the connection's start
    keep_alive_seconds: float = 5.0  # idle between two requests on one connection
    max_connections: int = 200  # more are answered 503 at once
    max_head_bytes: int = 16 * 1024  # a request line and headers larger than this: 400
    shutdown_seconds: int = 10  # requests still open when stopping have this long to end


class HeadTimer:
    """The time a connection has to send a request's head, one per connection of either HTTP
    protocol: started when the connection opens and after each response, stopped when the head
    has come. Run out while `waiting()` still holds, it closes the connection (slowloris)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        seconds: float,
        transport: asyncio.BaseTransport,
        waiting: Callable[[], bool],
    ) -> None:
        self._loop, self._seconds = loop, seconds
        self._transport, self._waiting = transport, waiting
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self.stop()
        self._timer = self._loop.call_later(self._seconds, self._late)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _late(self) -> None:
        self._timer = None
        if self._waiting() and not self._transport.is_closing():
            self._transport.close()
