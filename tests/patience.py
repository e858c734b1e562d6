"""Waiting in tests: on events, never on a guess of how fast this machine is.

A loaded 2-core machine can be many times slower than a quiet one, so no test may fail only
because something took long. A test waits on an event (a process exiting, a port answering, a
message arriving, a page attribute) and gives up only after `HANG` seconds, which only a hang
reaches: CI's whole run may take 90 minutes. Where a test needs a limit the product enforces
(a sandbox time-out that must fire on a hostile submission but not on an honest one), the limit
is derived from the work: `scaled` multiplies it by how slow this machine is right now.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

HANG = 900.0  # seconds: a guard against a hang, not an expectation of speed
HANG_MS = int(HANG * 1000)  # the same, for Playwright's `expect(..., timeout=)`
QUIET_START = 0.05  # seconds a fresh `python -c "import json"` takes on a quiet machine


def wait_until(
    check: Callable[[], T],
    what: str,
    *,
    proc: subprocess.Popen[bytes] | subprocess.Popen[str] | None = None,
    log: Path | None = None,
    every: float = 0.05,
) -> T:
    """Poll `check` until it returns something truthy; fail at once if `proc` ends first."""
    deadline = time.monotonic() + HANG
    while True:
        value = check()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            told = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
            raise AssertionError(
                f"{what}: the process ended first (exit {proc.returncode})\n{told}"
            )
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: nothing after {HANG:.0f} s (a hang)")
        time.sleep(every)


def answering(
    url: str,
    *,
    proc: subprocess.Popen[bytes] | subprocess.Popen[str] | None = None,
    log: Path | None = None,
) -> None:
    """Wait until `url` answers 200 (a server that has started), or `proc` has ended."""
    import httpx

    def up() -> bool:
        try:
            return httpx.get(url, timeout=HANG).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(up, f"{url} to answer", proc=proc, log=log, every=0.1)


def slowness() -> float:
    """How many times slower than a quiet machine a fresh Python process starts now (>= 1)."""
    walls = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import json"], check=True)
        walls.append(time.perf_counter() - start)
    return max(1.0, statistics.median(walls) / QUIET_START)


def scaled(seconds: float) -> float:
    """`seconds` on a quiet machine, stretched by today's slowness (whole seconds, for messages)."""
    return float(max(1, round(seconds * slowness())))
