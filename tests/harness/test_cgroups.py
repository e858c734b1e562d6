"""Control groups for real (cgroup v1 or v2, as root): limits of the whole tree, counters, kill."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from podium.core.errors import PlatformError
from podium.harness.cgroups import host_hierarchy
from podium.harness.confine import Limits, confine
from podium.harness.gpu import nvidia_device_files
from podium.harness.runner import RunRequest, SubprocessRunner

from ..patience import HANG

hierarchy, why_not = host_hierarchy()
needs_cgroups = pytest.mark.skipif(hierarchy is None, reason=f"no writable cgroup: {why_not}")


def _request(tmp_path: Path, code: str, limits: Limits, timeout: float = 30) -> RunRequest:
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return RunRequest(
        command=f'{sys.executable} -c "{code}"',
        workdir=tmp_path,
        input_dir=None,
        output_dir=None,
        tmp_dir=tmp_path / "tmp",
        timeout_seconds=timeout,
        log_path=tmp_path / "log.txt",
        max_log_bytes=100_000,
        confinement=confine(f"podium-test-{tmp_path.name}", limits),
    )


@needs_cgroups
def test_the_whole_tree_counts_against_the_memory_limit(tmp_path: Path) -> None:
    code = (
        "import os, sys, time; kids = [os.fork() for _ in range(2)]; "
        "b = bytearray(150 * 2**20); [b.__setitem__(i, 1) for i in range(0, len(b), 4096)]; "
        "time.sleep(0.5); codes = [os.waitpid(k, 0)[1] for k in kids if k]; "
        "sys.exit(1 if any(codes) else 0)"
    )  # four processes of 150 MiB each under 400 MiB: the kernel kills one of them
    request = _request(tmp_path, code, Limits(memory_bytes=400 * 2**20))
    try:
        result = SubprocessRunner().run(request)
    finally:
        request.confinement.close()
    assert result.out_of_memory and not result.ok
    assert request.confinement.mechanisms["usage"].startswith("cgroup v")


@needs_cgroups
def test_cpu_time_and_peak_memory_come_from_the_group(tmp_path: Path) -> None:
    # each process holds its 100 MiB until both have touched theirs (the child waits on a
    # pipe the parent writes after its own): under load, the child could otherwise be done
    # and gone before the parent allocates (seen: a peak of 168 MiB)
    code = (
        "import os; r, w = os.pipe(); pid = os.fork(); b = bytearray(100 * 2**20); "
        "[b.__setitem__(i, 1) for i in range(0, len(b), 4096)]; s = sum(range(3_000_000)); "
        "(os.write(w, b'x'), os.waitpid(pid, 0)) if pid else os.read(r, 1)"
    )
    request = _request(tmp_path, code, Limits(memory_bytes=2**30))
    try:
        result = SubprocessRunner().run(request)
    finally:
        request.confinement.close()
    assert result.ok
    assert result.peak_rss_bytes > 200 * 2**20  # both processes' 100 MiB, not the largest one
    assert result.cpu_user_seconds > 0.05


@needs_cgroups
def test_nothing_outlives_the_group_and_sweep_finds_leftovers(tmp_path: Path) -> None:
    assert hierarchy is not None
    confinement = confine("podium-test-sweep-r0", Limits(processes=20))
    group = confinement.group
    assert group is not None
    sleeper = subprocess.Popen(
        ["sleep", "300"], preexec_fn=confinement.preexec, start_new_session=True
    )
    assert sleeper.pid in group.pids()
    assert hierarchy.sweep("podium-test-sweep-") == ["podium-test-sweep-r0"]
    assert sleeper.wait(timeout=HANG) == -9
    assert all(not d.exists() for d in group.dirs.values())


def test_cpus_that_the_machine_lacks_are_a_platform_error() -> None:
    with pytest.raises(PlatformError, match="names CPUs this evaluator cannot use"):
        confine("podium-test-cpus", Limits(cpus="4096"))


def test_a_run_sees_only_the_chosen_gpus(tmp_path: Path) -> None:
    for name in ("nvidia0", "nvidia1", "nvidia2", "nvidiactl", "nvidia-uvm", "nvidia-modeset"):
        (tmp_path / name).write_text("")
    (tmp_path / "nvidia-caps").mkdir()
    everything = nvidia_device_files(None, tmp_path)
    assert [Path(p).name for p in everything] == [
        "nvidia-modeset", "nvidia-uvm", "nvidia0", "nvidia1", "nvidia2", "nvidiactl"]  # fmt: skip
    chosen = [Path(p).name for p in nvidia_device_files([1], tmp_path)]
    assert chosen == ["nvidia-modeset", "nvidia-uvm", "nvidia1", "nvidiactl"]
    assert "nvidia0" not in [Path(p).name for p in nvidia_device_files([], tmp_path)]
