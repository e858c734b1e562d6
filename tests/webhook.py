"""A real webhook listener on 127.0.0.1 for notification tests: Apprise `json://` URLs post
their messages here; it answers with `status`, after `delay` seconds."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .patience import wait_until


@dataclass
class Listener:
    port: int = 0
    status: int = 200
    delay: float = 0.0
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    hits: int = 0

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def messages(self, path: str) -> list[str]:
        """The texts posted to /`path`."""
        return [body.get("message", "") for p, body in list(self.received) if p == f"/{path}"]

    def wait_for(self, path: str, needle: str) -> str:
        """The first message to /`path` containing `needle`, as soon as it arrives."""

        def heard() -> str | None:
            return next((text for text in self.messages(path) if needle in text), None)

        return wait_until(heard, f"a message with {needle!r} at /{path} ({self.received})")


@contextmanager
def listening(status: int = 200, delay: float = 0.0) -> Iterator[Listener]:
    """A listener in a thread for the duration of the block."""
    listener = Listener(status=status, delay=delay)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            listener.hits += 1
            if listener.delay:
                time.sleep(listener.delay)
            if listener.status == 200:
                listener.received.append((self.path, json.loads(raw or b"{}")))
            self.send_response(listener.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    listener.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        server.shutdown()
        server.server_close()
