"""A reference clock: a fixed workload timed the way submissions are (same runner, same
sandbox, same limits), so that durations can be read against it and a machine that changed
(thermal throttling, a noisy neighbour, another CPU) shows up as drift."""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from podium.core.errors import PlatformError
from podium.harness.confine import Limits, confine
from podium.harness.runner import Runner, RunRequest

# Fixed CPU work for one core (about 0.1 s on a current x86 core): chained sha256 digests.
WORKLOAD = (
    "import hashlib\nh = b'podium'\nfor _ in range(120_000):\n    h = hashlib.sha256(h).digest()\n"
)


def time_reference(runner: Runner, limits: Limits, name: str, repeats: int = 1) -> float:
    """Median wall seconds of the reference workload through `runner` (a PlatformError if it
    cannot run: the reference is ours, never a team's)."""
    walls = []
    with tempfile.TemporaryDirectory(prefix="podium-reference-") as tmp:
        folder = Path(tmp)
        folder.chmod(0o755)  # read by the sandbox's unprivileged user
        (folder / "reference.py").write_text(WORKLOAD)
        (folder / "tmp").mkdir()
        for i in range(repeats):
            confinement = confine(f"{name}-{i}", limits)
            try:
                result = runner.run(
                    RunRequest(
                        command="python reference.py",
                        workdir=folder,
                        input_dir=None,
                        output_dir=None,
                        tmp_dir=folder / "tmp",
                        timeout_seconds=120,
                        log_path=folder / "log.txt",
                        max_log_bytes=10_000,
                        confinement=confinement,
                    )
                )
            finally:
                confinement.close()
            if not result.ok:
                log = (folder / "log.txt").read_text(errors="replace")[-500:]
                raise PlatformError(f"the reference workload failed: {log}")
            walls.append(result.wall_seconds)
    return statistics.median(walls)
