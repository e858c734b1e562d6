"""The load client of `bench_web.py`, in its own process: `concurrency` kept-alive HTTP/1.1
connections ask for one URL, back to back (saturating: the latency then measures throughput) or
paced at `rate` requests a second in all (the latency a user sees at that load); prints each
request's latency, the wall time and this process's CPU seconds as JSON.

Paced, request j is due at j / rate seconds after the start. When it finds every client
still waiting on the server, its latency runs from when it was due, not from when a client got
to send it: a server that falls behind is charged for the wait (no "coordinated omission").

Written on asyncio streams because a load client must cost little next to the server it
measures on a 2-core machine: httpx in the bench's own process spent about 2.3 ms of CPU per
request (this client about 0.1-0.35 ms, the server about 0.2 ms), so the 16 clients queued on the
client's event loop and the bench's p99 timed the client, not the server.

    python benchmarks/http_load.py URL REQUESTS CONCURRENCY [RATE]
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from urllib.parse import urlsplit

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class Target:
    """One URL, asked for over a connection kept open while the server allows it."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname is None:
            raise SystemExit(f"http_load: {url!r} is not an http:// URL with a host")
        self.host, self.port = parts.hostname, parts.port or 80
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.request = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode()
        self.connection: Connection | None = None

    async def get(self) -> int:
        """One request, answered 200 with a body as long as it says; its body's length."""
        if self.connection is None:
            self.connection = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.connection
        writer.write(self.request)
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        version, status = lines[0].split(" ")[:2]
        fields = dict(line.lower().split(":", 1) for line in lines[1:] if ":" in line)
        if status != "200" or "content-length" not in fields:
            raise SystemExit(f"http_load: answered {lines[0]!r} with {sorted(fields)}")
        body = await reader.readexactly(int(fields["content-length"]))
        if version == "HTTP/1.0" or fields.get("connection", "").strip() == "close":
            self.close()  # the next request opens a new connection, timed with it
        return len(body)

    def close(self) -> None:
        if self.connection is not None:
            self.connection[1].close()
            self.connection = None


async def load(
    url: str, requests: int, concurrency: int, rate: float | None = None
) -> tuple[list[float], float]:
    """Latencies of `requests` requests from `concurrency` clients, and the wall time they took.
    Each client's first request (its connection opening) comes before the clock starts."""
    latencies: list[float] = []
    todo = iter(range(requests))
    targets = [Target(url) for _ in range(concurrency)]
    await asyncio.gather(*(target.get() for target in targets))
    began = time.perf_counter()

    async def client(target: Target) -> None:
        for j in todo:
            start = time.perf_counter()
            if rate is not None and began + j / rate > start:
                await asyncio.sleep(began + j / rate - start)  # idle: the sleep's overrun
                start = time.perf_counter()  # (epoll's 1 ms ticks) is the client's, not charged
            elif rate is not None:
                start = began + j / rate  # every client was busy: charged from when it was due
            await target.get()
            latencies.append(time.perf_counter() - start)
        target.close()

    await asyncio.gather(*(client(target) for target in targets))
    return latencies, time.perf_counter() - began


def main() -> None:
    url, requests, concurrency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rate = float(sys.argv[4]) if len(sys.argv) > 4 else None
    latencies, elapsed = asyncio.run(load(url, requests, concurrency, rate))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    print(json.dumps({"latencies": latencies, "elapsed": elapsed, "cpu": cpu}))


if __name__ == "__main__":
    main()
