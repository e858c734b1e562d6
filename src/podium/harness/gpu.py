"""NVIDIA GPUs through NVML (`pynvml`, optional): fingerprint and peak memory (energy is
measured with the CPU's in `energy.py`).

Without NVML (or without a GPU) everything here returns None and costs nothing; this is
the path taken on CPU-only machines such as CI.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

SAMPLE_SECONDS = 0.02


def _nvml() -> Any | None:
    try:
        import pynvml  # type: ignore[import-not-found]

        pynvml.nvmlInit()
        return pynvml
    except Exception:  # no library, no driver or no device: no GPU figures
        return None


def gpu_fingerprint() -> list[dict[str, str]] | None:
    nvml = _nvml()
    if nvml is None:
        return None
    driver = str(nvml.nvmlSystemGetDriverVersion())
    return [
        {"name": str(nvml.nvmlDeviceGetName(nvml.nvmlDeviceGetHandleByIndex(i))), "driver": driver}
        for i in range(nvml.nvmlDeviceGetCount())
    ]


def nvidia_device_files(gpus: Sequence[int] | None = None, dev: Path = Path("/dev")) -> list[str]:
    """Device files the sandbox must expose on GPU machines: the control devices, and the
    per-GPU `nvidiaN` of the chosen GPUs only (all of them when `gpus` is None)."""
    chosen = None if gpus is None else {str(i) for i in gpus}
    files = []
    for path in dev.glob("nvidia*"):
        if path.is_dir():
            continue
        index = path.name.removeprefix("nvidia")
        if index.isdigit() and chosen is not None and index not in chosen:
            continue
        files.append(str(path))
    return sorted(files)


DRIVER_LIBRARIES = ("libcuda.so", "libnvidia-ml.so", "libnvidia-ptxjitcompiler.so")


def driver_library_dirs(ldconfig_output: str | None = None) -> list[str]:
    """Folders holding the NVIDIA driver's user-space libraries (libcuda, NVML), from the
    linker's cache: a run's CUDA (the evaluator's or an environment's torch) needs them,
    wherever the host installed them (/usr/lib..., /usr/local/nvidia, /run/nvidia/driver)."""
    if ldconfig_output is None:
        import subprocess

        try:
            ldconfig_output = subprocess.run(
                ["/sbin/ldconfig", "-p"], capture_output=True, text=True, check=False, timeout=10
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return []
    folders = set()
    for line in ldconfig_output.splitlines():
        name, _, path = line.strip().partition(" => ")
        if path and name.split(" ")[0].startswith(DRIVER_LIBRARIES):
            folders.add(str(Path(path).parent))
    return sorted(folders)


def nvml_handles(gpus: Sequence[int] | None = None) -> tuple[Any, list[Any]] | None:
    """NVML and the handles of the GPUs a run sees (all when `gpus` is None); None without
    NVML."""
    nvml = _nvml()
    if nvml is None:
        return None
    count = nvml.nvmlDeviceGetCount()
    indices = range(count) if gpus is None else [i for i in gpus if i < count]
    return nvml, [nvml.nvmlDeviceGetHandleByIndex(i) for i in indices]


class GpuMeter:
    """Peak memory (sampled) of the run's GPUs during a block."""

    def __init__(self, gpus: Sequence[int] | None = None) -> None:
        found = nvml_handles(gpus)
        self.nvml: Any = None if found is None else found[0]
        self.handles: list[Any] = [] if found is None else found[1]
        self.peak_memory_bytes: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        assert self.nvml is not None
        while not self._stop.wait(SAMPLE_SECONDS):
            used = sum(int(self.nvml.nvmlDeviceGetMemoryInfo(h).used) for h in self.handles)
            self.peak_memory_bytes = max(self.peak_memory_bytes or 0, used)

    def __enter__(self) -> GpuMeter:
        if self.handles:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
