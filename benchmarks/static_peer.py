"""The named peer of `bench_web.py`: Python's `http.server` serving a directory's files, as
`python -m http.server` does, but speaking HTTP/1.1 (connections kept alive, as uvicorn keeps
them) with uvicorn's listen backlog (2048).

`python -m http.server` answers in HTTP/1.0, a new connection per request, with a backlog of
5: 16 clients reconnecting overflow it, the kernel drops their SYNs and they retry after the
1 s initial TCP timeout, so the peer's p99 was about 1,024 ms, a TCP timer rather than serving.

    python benchmarks/static_peer.py PORT DIRECTORY
"""

from __future__ import annotations

import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class KeptAlive(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet, as `podium serve` has no access log."""


class Server(ThreadingHTTPServer):
    request_queue_size = 2048


def main() -> None:
    port, directory = int(sys.argv[1]), sys.argv[2]
    handler = functools.partial(KeptAlive, directory=directory)
    Server(("127.0.0.1", port), handler).serve_forever()


if __name__ == "__main__":
    main()
