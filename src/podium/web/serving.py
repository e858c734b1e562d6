"""How `podium serve` listens: uvicorn with bounds on idle and slow clients.

uvicorn closes a kept-alive connection that stays idle (`timeout_keep_alive`), answers 503
past `limit_concurrency` connections, and caps a request's head (`h11_max_incomplete_event_size`),
but it gives a new connection forever to send its headers: one byte a minute keeps it open
(slowloris), and so does a connection that sends nothing. `HeaderTimeout` closes any
connection whose request line and headers have not all arrived within `header_seconds` of
it opening (or of the previous response, on a kept-alive one). Bodies are bounded by size
(`middleware.BodyLimit`); their pace is left to the proxy in front (docs/deployment.md).
With the `fast` extra the server parses HTTP with httptools under the same bounds
(`httptools_serving.BoundedHttpTools`).
"""

from __future__ import annotations

import asyncio
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from podium.web.bounds import Bounds

if TYPE_CHECKING:
    from podium.web.evaluator import Evaluator

DEFAULT_BOUNDS = Bounds()


class HeaderTimeout(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection slow to send a request's head."""

    header_seconds = Bounds.header_seconds

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._await_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the head has arrived
            self._cancel_head_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._await_head()  # the next request on this connection gets the same time

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.header_seconds, self._head_late)

    def _cancel_head_timer(self) -> None:
        timer = getattr(self, "_head_timer", None)
        if timer is not None:
            timer.cancel()
            self._head_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def protocol(bounds: Bounds, parser: str = "auto") -> type[asyncio.Protocol]:
    """The bounded HTTP/1.1 protocol: httptools (the `fast` extra) when installed and `parser`
    is "auto" or "httptools", else h11."""
    base: type[asyncio.Protocol] = HeaderTimeout
    if parser != "h11":
        try:
            from podium.web.httptools_serving import BoundedHttpTools
        except ModuleNotFoundError as err:
            if err.name != "httptools" or parser == "httptools":
                raise
        else:
            base = BoundedHttpTools
    limits = {"header_seconds": bounds.header_seconds, "max_head_bytes": bounds.max_head_bytes}
    return type(f"Bounded{base.__name__}", (base,), limits)


def server_config(
    app: Any, host: str, port: int, bounds: Bounds = DEFAULT_BOUNDS, parser: str = "auto"
) -> uvicorn.Config:
    """The uvicorn configuration of `podium serve` (the tests' live servers use it too)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol(bounds, parser),
        timeout_keep_alive=max(1, round(bounds.keep_alive_seconds)),
        limit_concurrency=bounds.max_connections,
        h11_max_incomplete_event_size=bounds.max_head_bytes,
        timeout_graceful_shutdown=bounds.shutdown_seconds,
        log_level="warning",
        access_log=False,
    )


class Serving(uvicorn.Server):
    """uvicorn's server, saying what a stop waits for: the first SIGTERM or Ctrl-C lets the
    run in progress finish within the evaluator's grace, a second stops it now (queued
    again). uvicorn alone would skip the app's shutdown on a second Ctrl-C, leaving the run
    to the next start's recovery, and say nothing while it waits."""

    def __init__(self, config: uvicorn.Config, worker: Evaluator | None) -> None:
        super().__init__(config)
        self.worker = worker

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.worker is None:
            super().handle_exit(sig, frame)
        elif not self.should_exit:
            super().handle_exit(sig, frame)
            _say(self.worker.stopping_note())
        else:
            self.worker.stop_now()
            _say("stopping now")


def _say(text: str) -> None:
    """One line from a signal handler: no console, no lock a print may hold."""
    sys.stderr.write(f"podium: {text}\n")
    sys.stderr.flush()
