"""Energy from RAPL counters, read from folders laid out as the kernel's powercap sysfs
(`/sys/class/powercap/intel-rapl:N` links into `/sys/devices/virtual/powercap/...`), whose
files the tests change between reads. NVML cannot run here: its absence must be said."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from podium.config.spec import SandboxSpec
from podium.harness.check import stage_local_data
from podium.harness.energy import EnergyMeter, RaplPackages, Unavailable, net_joules
from podium.harness.evaluate import evaluate, job_for
from podium.harness.gpu import nvml_handles
from podium.harness.runners import create_runner
from podium.submission.archive import read_submission
from podium.submission.predictions import expected_files
from podium.tasks import default_registry

from ..conftest import write_submission

RANGE_UJ = 262_143_328_850  # max_energy_range_uj of a common Intel package
no_nvml = pytest.mark.skipif(nvml_handles() is not None, reason="NVML is present here")


class Powercap:
    """A powercap sysfs tree: zones under devices/, linked flat from class/powercap."""

    def __init__(self, root: Path) -> None:
        self.devices = root / "devices" / "virtual" / "powercap"
        self.root = root / "class" / "powercap"
        self.root.mkdir(parents=True)
        self.zones: dict[str, Path] = {}

    def zone(self, zone: str, name: str, energy_uj: int = 0, range_uj: int = RANGE_UJ) -> None:
        """Add `zone` (e.g. intel-rapl:0:1, inside intel-rapl:0 inside intel-rapl)."""
        control = zone.split(":")[0]
        parts = zone.split(":")
        folder = self.devices / control
        for depth in range(2, len(parts) + 1):
            folder = folder / ":".join(parts[:depth])
        folder.mkdir(parents=True)
        if not (self.root / control).exists():
            (self.devices / control / "enabled").write_text("1\n")
            (self.root / control).symlink_to(os.path.relpath(self.devices / control, self.root))
        (self.root / zone).symlink_to(os.path.relpath(folder, self.root))
        (folder / "name").write_text(f"{name}\n")
        (folder / "max_energy_range_uj").write_text(f"{range_uj}\n")
        (folder / "enabled").write_text("1\n")
        self.zones[zone] = folder
        self.set(zone, energy_uj)

    def set(self, zone: str, energy_uj: int) -> None:
        (self.zones[zone] / "energy_uj").write_text(f"{energy_uj}\n")

    def add(self, zone: str, joules: float) -> None:
        now = int((self.zones[zone] / "energy_uj").read_text())
        self.set(zone, (now + round(joules * 1e6)) % RANGE_UJ)

    def server(self) -> Powercap:
        """Two packages with core/uncore/dram subzones, and package-0 again through MMIO."""
        for package in (0, 1):
            self.zone(f"intel-rapl:{package}", f"package-{package}", 10_000_000)
            for sub, name in enumerate(("core", "uncore", "dram")):
                self.zone(f"intel-rapl:{package}:{sub}", name, 1_000_000)
        self.zone("intel-rapl-mmio:0", "package-0", 5_000_000)
        return self


@pytest.fixture
def sysfs(tmp_path: Path) -> Powercap:
    return Powercap(tmp_path)


def test_the_packages_are_summed_and_their_subzones_not_counted_again(sysfs: Powercap) -> None:
    sysfs.server()
    packages = RaplPackages.open(sysfs.root)
    assert sorted(z.name for z in packages.zones) == ["package-0", "package-1"]
    assert packages.joules() == 0.0
    sysfs.add("intel-rapl:0", 3.0)
    sysfs.add("intel-rapl:1", 2.0)
    for zone in ("intel-rapl:0:0", "intel-rapl:0:2", "intel-rapl:1:1", "intel-rapl-mmio:0"):
        sysfs.add(zone, 100.0)  # parts of a package, or a package seen twice
    assert packages.joules() == pytest.approx(5.0)


def test_psys_is_not_a_package(sysfs: Powercap) -> None:
    sysfs.zone("intel-rapl:0", "package-0")
    sysfs.zone("intel-rapl:1", "psys")  # the whole platform, packages included
    packages = RaplPackages.open(sysfs.root)
    sysfs.add("intel-rapl:0", 1.5)
    sysfs.add("intel-rapl:1", 9.0)
    assert packages.joules() == pytest.approx(1.5)


def test_a_counter_that_wraps_around_is_followed(sysfs: Powercap) -> None:
    sysfs.zone("intel-rapl:0", "package-0", RANGE_UJ - 1_000_000)
    packages = RaplPackages.open(sysfs.root)
    sysfs.set("intel-rapl:0", 500_000)  # past max_energy_range_uj, from 0 again
    assert packages.joules() == pytest.approx(1.5)
    sysfs.set("intel-rapl:0", 2_500_000)
    assert packages.joules() == pytest.approx(3.5)
    sysfs.set("intel-rapl:0", RANGE_UJ - 10)  # a second wrap, seen by a read in between
    assert packages.joules() == pytest.approx(3.5 + (RANGE_UJ - 10 - 2_500_000) / 1e6)
    sysfs.set("intel-rapl:0", 90)
    assert packages.joules() == pytest.approx(3.5 + (RANGE_UJ - 2_500_000 + 90) / 1e6)


@pytest.mark.parametrize("layout", ["missing", "empty", "control type only", "no package"])
def test_no_counters_is_said(sysfs: Powercap, layout: str) -> None:
    root = sysfs.root
    if layout == "missing":
        root = root / "absent"
    elif layout == "control type only":  # a container sees the class but no zones
        (sysfs.devices / "intel-rapl").mkdir(parents=True)
        (root / "intel-rapl").symlink_to(os.path.relpath(sysfs.devices / "intel-rapl", root))
    elif layout == "no package":
        sysfs.zone("intel-rapl:0", "psys")
    with pytest.raises(Unavailable, match=f"^no RAPL counters at {root}$"):
        RaplPackages.open(root)


def test_a_garbled_counter_is_unreadable_not_zero(sysfs: Powercap) -> None:
    sysfs.zone("intel-rapl:0", "package-0")
    (sysfs.zones["intel-rapl:0"] / "energy_uj").write_text("\n")
    with pytest.raises(Unavailable, match="RAPL energy_uj unreadable: invalid literal"):
        RaplPackages.open(sysfs.root)


def _as_another_user(run: Callable[[], str]) -> str:
    """`run()` in a forked child without root (user nobody) when we are root."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            os.write(write, run().encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        said = pipe.read()
    os.waitpid(pid, 0)
    return said


@pytest.fixture
def readable_by_all() -> Iterator[Path]:
    """A folder others may enter (pytest's tmp_path is private to its user)."""
    folder = Path(tempfile.mkdtemp(prefix="podium-powercap-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


@no_nvml
def test_energy_uj_readable_only_by_root_is_said(readable_by_all: Path) -> None:
    """Since Linux 5.10 energy_uj is mode 0400 (root only): a non-root evaluator gets a note."""
    sysfs = Powercap(readable_by_all)
    sysfs.zone("intel-rapl:0", "package-0", 1_000_000)
    for path in readable_by_all.rglob("*"):
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o444)
    energy = sysfs.zones["intel-rapl:0"] / "energy_uj"
    if os.geteuid() == 0:
        energy.chmod(0o400)  # owned by root, as the kernel has it
        note = _as_another_user(lambda: str(EnergyMeter(powercap=sysfs.root).figures.note))
    else:
        energy.chmod(0o000)  # our own file: no read bit is what root-only means to us
        note = str(EnergyMeter(powercap=sysfs.root).figures.note)
    assert note == "RAPL energy_uj unreadable (needs root); no NVML"


class Clock:
    """The meter's time: the idle window passes with the CPU drawing `idle_watts`."""

    def __init__(self, sysfs: Powercap, idle_watts: float) -> None:
        self.sysfs, self.idle_watts, self.now = sysfs, idle_watts, 1000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        self.sysfs.add("intel-rapl:0", self.idle_watts * seconds)

    def run(self, seconds: float, joules: float) -> None:
        self.now += seconds
        self.sysfs.add("intel-rapl:0", joules)

    def meter(self) -> EnergyMeter:
        return EnergyMeter(
            powercap=self.sysfs.root,
            idle_seconds=0.25,
            poll_seconds=3600,
            clock=self.clock,
            wait=self.wait,
        )


@no_nvml
def test_the_idle_power_measured_before_the_run_is_subtracted(sysfs: Powercap) -> None:
    sysfs.zone("intel-rapl:0", "package-0", RANGE_UJ - 2_000_000)
    time = Clock(sysfs, idle_watts=5.0)
    with time.meter() as meter:
        time.run(seconds=2.0, joules=30.0)  # wraps on the way
    assert time.waits == [0.25]
    figures = meter.figures
    assert figures.idle_cpu_watts == pytest.approx(5.0)
    assert figures.cpu_joules == pytest.approx(30.0 - 5.0 * 2.0)
    assert figures.gpu_joules is None and figures.idle_gpu_watts is None
    assert figures.note == "no NVML"


@no_nvml
def test_net_energy_is_never_below_zero(sysfs: Powercap) -> None:
    sysfs.zone("intel-rapl:0", "package-0")
    time = Clock(sysfs, idle_watts=5.0)
    with time.meter() as meter:
        time.run(seconds=2.0, joules=6.0)  # less than idle: the run's own draw was noise
    assert meter.figures.cpu_joules == 0.0
    assert net_joules(6.0, 5.0, 2.0) == 0.0 and net_joules(12.0, 5.0, 2.0) == 2.0


@no_nvml
def test_a_counter_lost_during_the_run_gives_no_figure(sysfs: Powercap) -> None:
    sysfs.zone("intel-rapl:0", "package-0")
    time = Clock(sysfs, idle_watts=1.0)
    with time.meter() as meter:
        (sysfs.zones["intel-rapl:0"] / "energy_uj").write_text("gone\n")
    assert meter.figures.cpu_joules is None and meter.figures.idle_cpu_watts is None
    assert meter.figures.note is not None and "RAPL energy_uj unreadable" in meter.figures.note


@no_nvml
def test_without_any_counter_nothing_is_waited_for_and_the_run_says_so(tmp_path: Path) -> None:
    waits: list[float] = []
    with EnergyMeter(powercap=tmp_path / "none", wait=waits.append) as meter:
        pass
    assert waits == []
    assert meter.figures.cpu_joules is None and meter.figures.gpu_joules is None
    assert meter.figures.note == f"no RAPL counters at {tmp_path / 'none'}; no NVML"


PREDICT = """
import json, os, pathlib
energy = pathlib.Path({energy!r})
energy.write_text(str(int(energy.read_text()) + 7_000_000))  # the run draws 7 J
src, dst = pathlib.Path(os.environ["PODIUM_INPUT_DIR"]), pathlib.Path(os.environ["PODIUM_OUTPUT_DIR"])
for f in src.glob("*/*.jsonl"):
    (dst / f.parent.name).mkdir(exist_ok=True)
    with f.open() as fin, (dst / f.parent.name / f.name).open("w") as fout:
        for line in fin:
            fout.write(json.dumps({{"id": json.loads(line)["id"], "label": "1"}}) + "\\n")
"""


@no_nvml
def test_each_repeat_of_an_evaluation_records_its_energy(sysfs: Powercap, tmp_path: Path) -> None:
    sysfs.zone("intel-rapl:0", "package-0", 1_000)
    data = tmp_path / "data" / "pawsx"
    data.mkdir(parents=True)
    (data / "dev-en.tsv").write_text("a cat\ta dog\t0\nthe sun\tthe sun\t1\n")
    tasks, languages = stage_local_data(
        tmp_path / "data", "dev", tmp_path / "staged", default_registry()
    )
    energy = sysfs.zones["intel-rapl:0"] / "energy_uj"
    submission = write_submission(tmp_path / "sub", PREDICT.format(energy=str(energy)))
    job = job_for(
        SandboxSpec(runner="subprocess"),
        repeats=2,
        archive=read_submission(submission),
        inputs_dir=tmp_path / "staged" / "inputs",
        labels_dir=tmp_path / "staged" / "labels",
        expected=expected_files(tmp_path / "staged" / "inputs", tasks, languages),
        tasks=tasks,
        run_dir=tmp_path / "run",
        runner=create_runner("subprocess"),
        idle_seconds=0.01,
    )
    result = evaluate(replace(job, powercap=sysfs.root))
    assert result.status == "scored", result.error
    assert [m.cpu_energy_joules for m in result.measurements] == [pytest.approx(7.0)] * 2
    assert [m.idle_cpu_watts for m in result.measurements] == [0.0, 0.0]  # nothing else drew
    assert [m.energy_note for m in result.measurements] == ["no NVML"] * 2
