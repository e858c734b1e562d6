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

from podium.web.bounds import Bounds, HeadTimer

if TYPE_CHECKING:
    from podium.web.evaluator import Evaluator

DEFAULT_BOUNDS = Bounds()


class HeaderTimeout(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection slow to send a request's head."""

    header_seconds = Bounds.header_seconds

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head = HeadTimer(self.loop, self.header_seconds, transport, self._awaits_head)
        self._head.start()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._awaits_head():  # the head has arrived
            self._head.stop()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self._awaits_head():
            self._head.start()  # the next request on this connection gets the same time

    def connection_lost(self, exc: Exception | None) -> None:
        head: HeadTimer | None = getattr(self, "_head", None)
        if head is not None:
            head.stop()
        super().connection_lost(exc)

    def _awaits_head(self) -> bool:
        return self.conn.their_state is h11.IDLE


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
