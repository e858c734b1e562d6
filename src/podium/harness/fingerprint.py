"""What a duration was measured on: compared durations must share hardware and software."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

import podium
from podium.harness.gpu import gpu_fingerprint


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


EXTRA = "PODIUM_FINGERPRINT_EXTRA"


def machine_fingerprint(spec_hash: str) -> dict[str, Any]:
    """The facts podium detects, and over them `PODIUM_FINGERPRINT_EXTRA` (a JSON object) for
    what it cannot (a GPU's locked clocks, a BIOS power setting): machines that differ in
    any of them are not compared."""
    return {
        **_detected(spec_hash),
        **extra_facts(),
    }


def extra_facts() -> dict[str, Any]:
    text = os.environ.get(EXTRA, "").strip()
    if not text:
        return {}
    try:
        facts = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{EXTRA} is not JSON ({err.msg}): {text[:80]!r}") from None
    if not isinstance(facts, dict):
        raise ValueError(f'{EXTRA} must be a JSON object, e.g. \'{{"gpu_clock": "locked"}}\'')
    return facts


def _detected(spec_hash: str) -> dict[str, Any]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count() or 0,
        "machine": platform.machine(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "podium": podium.__version__,
        "spec_hash": spec_hash,
        "gpu": gpu_fingerprint(),
    }
