"""`podium serve` on httptools (the `fast` extra): uvicorn's C-parser HTTP/1.1 protocol, about
a quarter less CPU per request than h11's pure Python (0.17 against 0.22 ms for a kept page,
`benchmarks/bench_web.py`), with the same bounds as `serving.HeaderTimeout`: a connection
whose request line and headers have not all arrived within `header_seconds` of it opening
(or of the previous response) is closed, and a request head larger than `max_head_bytes` is
answered 400 (uvicorn bounds neither on httptools)."""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from podium.web.bounds import Bounds, HeadTimer


class BoundedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection slow to send a request's head and
    refusing a head too large."""

    header_seconds = Bounds.header_seconds
    max_head_bytes = Bounds.max_head_bytes

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_bytes: int | None = 0  # bytes of a head still coming; None: it has come
        self._heads = 0  # heads parsed on this connection
        self._head = HeadTimer(self.loop, self.header_seconds, transport, self._awaits_head)
        self._head.start()

    def data_received(self, data: bytes) -> None:
        pending, heads = self._head_bytes is not None, self._heads
        super().data_received(data)
        if self._head_bytes is None or self.transport.is_closing():
            return
        if pending and heads == self._heads:  # all of `data` belongs to the pending head
            self._head_bytes += len(data)
        # else a message ended in `data`: the next head is counted from the next bytes on
        if self._head_bytes > self.max_head_bytes:
            self._head.stop()
            self.send_400_response("Request head too large.")

    def on_headers_complete(self) -> None:
        self._head_bytes, self._heads = None, self._heads + 1
        self._head.stop()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head_bytes = 0  # what comes next is the next request's head

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
        return self._head_bytes is not None
