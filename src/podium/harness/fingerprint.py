"""What a duration was measured on: compared durations must share hardware and software."""

from __future__ import annotations

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


def machine_fingerprint(spec_hash: str) -> dict[str, Any]:
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
