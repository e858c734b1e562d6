"""Failed sign-ins and bad bearer tokens, counted per client and kept in memory.

Tokens carry 256 bits, so guessing cannot succeed; the limit keeps a guessing client from
costing the server a store lookup per try. After `limit` failures within `window` seconds,
every sign-in and bearer token from that client gets 429 with Retry-After until the oldest
failure ages out (a valid token too: the block must not tell right guesses from wrong).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from podium.core.errors import PodiumError

FAILURES_ALLOWED = 10
WINDOW_SECONDS = 60.0
MAX_CLIENTS = 10_000


class TooManyAttemptsError(PodiumError):
    """A client that failed to authenticate too often lately: 429 with Retry-After."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many failed sign-ins or unknown tokens from this address; "
            f"try again in {retry_after} s",
            hint="check the token your organizer gave you (copy it whole; it starts with pdm_)",
        )
        self.retry_after = retry_after


class FailureLimiter:
    """Sliding window of failure times per client address; thread-safe."""

    def __init__(
        self,
        limit: int = FAILURES_ALLOWED,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """TooManyAttemptsError while `client` is blocked."""
        now = self.clock()
        with self._lock:
            times = self._failures.get(client)
            if times is None:
                return
            self._expire(times, now)
            if len(times) >= self.limit:
                raise TooManyAttemptsError(max(1, math.ceil(times[0] + self.window - now)))

    def failed(self, client: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) >= MAX_CLIENTS and client not in self._failures:
                self._forget_stale(now)
            times = self._failures.setdefault(client, deque(maxlen=self.limit))
            self._expire(times, now)
            times.append(now)

    def _expire(self, times: deque[float], now: float) -> None:
        while times and times[0] <= now - self.window:
            times.popleft()

    def _forget_stale(self, now: float) -> None:
        for client in [c for c, t in self._failures.items() if not t or t[-1] <= now - self.window]:
            del self._failures[client]
        while len(self._failures) >= MAX_CLIENTS:  # a flood of addresses: forget the oldest
            del self._failures[next(iter(self._failures))]
