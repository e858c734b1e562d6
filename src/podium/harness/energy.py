"""Energy of a timed repeat: CPU packages from RAPL (the kernel's powercap sysfs) and GPUs
from NVML, each net of the idle power measured just before the run.

A counter that is missing or unreadable gives no figure and a note saying why; the figure
is never estimated (not from a TDP, not from utilisation).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from podium.harness.gpu import nvml_handles

POWERCAP = Path("/sys/class/powercap")
IDLE_SECONDS = 0.25
# RAPL counters wrap at max_energy_range_uj (about 262 kJ: minutes at a server's full
# power); reading them this often during a run sees every wrap.
POLL_SECONDS = 5.0
PACKAGE_ZONE = re.compile(r"intel-rapl:\d+")  # top level only: subzones are inside it


class Unavailable(Exception):
    """A counter that cannot be read; the message is the note the run carries."""


class Counter(Protocol):
    """Energy consumed since the counter was opened, in joules."""

    def joules(self) -> float: ...


@dataclass
class _Zone:
    name: str
    energy: Path
    range_uj: int
    last_uj: int
    total_uj: int = 0


class RaplPackages:
    """The CPU packages' RAPL counters, summed.

    Only top-level zones named `package-*` count: their subzones (core, uncore, dram) are
    parts of the package figure, `psys` covers the packages too, and `intel-rapl-mmio`
    repeats a package through another interface. `joules()` adds up each counter's steps,
    across wrap-arounds at `max_energy_range_uj` as long as it is called at least once per
    wrap period.
    """

    def __init__(self, zones: Sequence[_Zone]) -> None:
        self.zones = list(zones)
        self._lock = threading.Lock()

    @classmethod
    def open(cls, root: Path = POWERCAP) -> RaplPackages:
        """The packages under a powercap sysfs root; Unavailable says why there are none."""
        zones = []
        folders = sorted(root.iterdir()) if root.is_dir() else []
        for folder in folders:
            if not PACKAGE_ZONE.fullmatch(folder.name):
                continue
            try:
                name = (folder / "name").read_text().strip()
            except OSError:
                continue
            if not name.startswith("package") or not (folder / "energy_uj").exists():
                continue
            energy = folder / "energy_uj"
            zones.append(
                _Zone(name, energy, _read_uj(folder / "max_energy_range_uj"), _read_uj(energy))
            )
        if not zones:
            raise Unavailable(f"no RAPL counters at {root}")
        return cls(zones)

    def joules(self) -> float:
        with self._lock:
            for zone in self.zones:
                now = _read_uj(zone.energy)
                zone.total_uj += wrapped_step(zone.last_uj, now, zone.range_uj)
                zone.last_uj = now
            return sum(zone.total_uj for zone in self.zones) / 1e6


def wrapped_step(before: int, after: int, range_uj: int) -> int:
    """The energy between two readings of a counter that restarts from 0 past `range_uj`."""
    return after - before if after >= before else range_uj - before + after


def _read_uj(path: Path) -> int:
    try:
        return int(path.read_text().strip())
    except PermissionError as err:
        raise Unavailable(f"RAPL {path.name} unreadable (needs root)") from err
    except (OSError, ValueError) as err:
        raise Unavailable(f"RAPL {path.name} unreadable: {err}") from err


class NvmlEnergy:
    """The total-energy counters (mJ since the driver loaded) of the GPUs a run sees."""

    def __init__(self, nvml: Any, handles: Sequence[Any]) -> None:
        self.nvml, self.handles = nvml, list(handles)
        self._start = self._millijoules()

    @classmethod
    def open(cls, gpus: Sequence[int] | None = None) -> NvmlEnergy | None:
        """None when the run sees no GPU; Unavailable when NVML is missing."""
        try:
            found = nvml_handles(gpus)
        except Exception as err:  # a driver that loads but cannot count its devices
            raise Unavailable(f"NVML unusable: {err}") from err
        if found is None:
            raise Unavailable("no NVML")
        nvml, handles = found
        return cls(nvml, handles) if handles else None

    def _millijoules(self) -> int:
        try:
            return sum(int(self.nvml.nvmlDeviceGetTotalEnergyConsumption(h)) for h in self.handles)
        except Exception as err:  # NVMLError_NotSupported before Volta, a lost GPU, ...
            raise Unavailable(f"NVML energy counter unreadable: {err}") from err

    def joules(self) -> float:
        return (self._millijoules() - self._start) / 1000.0


@dataclass(frozen=True)
class EnergyFigures:
    """One repeat's energy, idle power subtracted; None where no counter was read."""

    cpu_joules: float | None = None
    gpu_joules: float | None = None
    idle_cpu_watts: float | None = None
    idle_gpu_watts: float | None = None
    note: str | None = None  # what was missing, e.g. "no NVML"


def net_joules(measured: float, idle_watts: float, seconds: float) -> float:
    """What the run added to the idle draw over the same time; never below 0."""
    return max(0.0, measured - idle_watts * seconds)


class _Track:
    """One counter through the idle window and the run; a failed read ends its figure."""

    def __init__(self, opener: Callable[[], Counter | None]) -> None:
        self.note: str | None = None
        self.counter: Counter | None = None
        self.idle_watts: float | None = None
        self.start = 0.0
        self.joules: float | None = None
        try:
            self.counter = opener()
        except Unavailable as err:
            self.note = str(err)

    def read(self) -> float | None:
        if self.counter is None:
            return None
        try:
            return self.counter.joules()
        except Unavailable as err:
            self.counter, self.note = None, str(err)
            return None


class EnergyMeter:
    """Net CPU (RAPL) and GPU (NVML) energy of a block, with the idle power measured over
    `idle_seconds` just before it. Without any counter it costs nothing (no idle window).

    `clock` and `wait` are the time it runs on (perf_counter and sleep).
    """

    def __init__(
        self,
        gpus: Sequence[int] | None = None,
        *,
        powercap: Path = POWERCAP,
        idle_seconds: float = IDLE_SECONDS,
        poll_seconds: float = POLL_SECONDS,
        clock: Callable[[], float] = time.perf_counter,
        wait: Callable[[float], None] = time.sleep,
    ) -> None:
        self.cpu = _Track(lambda: RaplPackages.open(powercap))
        self.gpu = _Track(lambda: NvmlEnergy.open(gpus))
        self.idle_seconds, self.poll_seconds = idle_seconds, poll_seconds
        self.clock, self.wait = clock, wait
        self.figures = EnergyFigures(note=self._note())
        self._started = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _tracks(self) -> tuple[_Track, _Track]:
        return self.cpu, self.gpu

    def _note(self) -> str | None:
        return "; ".join(t.note for t in self._tracks() if t.note) or None

    def __enter__(self) -> EnergyMeter:
        if all(t.counter is None for t in self._tracks()):
            return self
        before, t0 = [t.read() for t in self._tracks()], self.clock()
        self.wait(self.idle_seconds)
        after, t1 = [t.read() for t in self._tracks()], self.clock()
        for track, start, end in zip(self._tracks(), before, after, strict=True):
            if start is not None and end is not None:
                track.idle_watts = (end - start) / max(t1 - t0, 1e-9)
                track.start = end
        self._started = t1
        if self.cpu.counter is not None:
            self._thread = threading.Thread(target=self._poll, daemon=True)
            self._thread.start()
        return self

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            self.cpu.read()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        ends = [t.read() for t in self._tracks()]
        seconds = self.clock() - self._started
        for track, end in zip(self._tracks(), ends, strict=True):
            if end is not None and track.idle_watts is not None:
                track.joules = net_joules(end - track.start, track.idle_watts, seconds)
        self.figures = EnergyFigures(
            cpu_joules=self.cpu.joules,
            gpu_joules=self.gpu.joules,
            idle_cpu_watts=self.cpu.idle_watts if self.cpu.joules is not None else None,
            idle_gpu_watts=self.gpu.idle_watts if self.gpu.joules is not None else None,
            note=self._note(),
        )


__all__ = ["EnergyFigures", "EnergyMeter", "NvmlEnergy", "RaplPackages", "net_joules"]
