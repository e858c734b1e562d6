"""Harness overhead and sandbox start cost, measured in one run on this machine.

1. Sandbox start vs a bare subprocess start: median wall time of `true` through the
   bubblewrap runner and through the plain subprocess runner (the named peer), and the ratio:
   with per-process rlimits (bwrap's --as-pid-1) and inside a cgroup (bwrap's own init).
2. Set-up cost of a run's confinement, outside the timed wall: creating and removing its
   cgroup, and mounting and unmounting a tmpfs folder (each repeat gets two).
3. A repeat's start cost against the size of what setup left in $HOME: preparing its /tmp
   and starting `true` in the sandbox there, with a 1 MB and a 1 GB $HOME side by side, for
   the overlay every repeat gets (goal: 1 GB / 1 MB at most 1.2) and for a copy (the peer,
   what a repeat cost before, and still costs where no overlay can be mounted).
4. Harness overhead of evaluating an (almost) instant submission on the sample data:
   everything the harness does besides the submission's own test phase (unpacking,
   validating, scoring), next to the test phase itself.

    .venv/bin/python benchmarks/bench_harness.py [--runs 20] [--sample ../shared/xtreme-sample]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from podium.harness.cgroups import host_hierarchy
from podium.harness.confine import Confinement, Limits, confine
from podium.harness.evaluate import copied_tmp, repeat_tmp
from podium.harness.runner import RunRequest, SubprocessRunner
from podium.harness.sandbox import BwrapRunner, find_bwrap
from podium.harness.workspace import Workspace, can_mount_tmpfs
from podium.service import Podium

REPO = Path(__file__).resolve().parents[1]


def start_times(runner: object, runs: int, tmp: Path, grouped: bool = False) -> list[float]:
    for name in ("in", "out", "tmp"):
        (tmp / name).mkdir(parents=True, exist_ok=True)
    walls = []
    for i in range(runs):
        confinement = (
            confine(f"podium-bench-{i}", Limits(memory_bytes=2**30, processes=64))
            if grouped
            else Confinement()
        )
        request = RunRequest(command="true", workdir=tmp, input_dir=tmp / "in", output_dir=tmp / "out",
                             tmp_dir=tmp / "tmp", timeout_seconds=30, log_path=tmp / "log",
                             max_log_bytes=10_000, confinement=confinement)  # fmt: skip
        walls.append(runner.run(request).wall_seconds)  # type: ignore[attr-defined]
        confinement.close()
    return walls


def setup_times(runs: int, step: Callable[[int], None]) -> list[float]:
    times = []
    for i in range(runs):
        start = time.perf_counter()
        step(i)
        times.append(time.perf_counter() - start)
    return times


def _home(ws: Workspace, size: int) -> Path:
    home = ws.limited("home", 2 * 2**30, "tmp")
    with (home / "model.bin").open("wb") as handle:
        for _ in range(size // 2**20):
            handle.write(b"\1" * 2**20)
    return home


def repeat_starts(
    runs: int, prepare: Callable[..., Path], tmp: Path
) -> tuple[list[float], list[float]]:
    """Prepare a repeat's /tmp from a 1 MB and a 1 GB $HOME and start `true` there,
    interleaved (the machine's load drifts alike for both); wall times of each."""
    runner = BwrapRunner()
    for name in ("in", "out"):
        (tmp / name).mkdir(parents=True, exist_ok=True)
    walls: tuple[list[float], list[float]] = ([], [])
    with Workspace(tmp / "s") as small, Workspace(tmp / "l") as large:
        homes = ((small, _home(small, 2**20)), (large, _home(large, 2**30)))
        for _ in range(runs):
            for (ws, home), times in zip(homes, walls, strict=True):
                start = time.perf_counter()
                folder = prepare(ws, home, 4 * 2**30)
                request = RunRequest(command="true", workdir=tmp, input_dir=tmp / "in",
                                     output_dir=tmp / "out", tmp_dir=folder, timeout_seconds=60,
                                     log_path=tmp / "log", max_log_bytes=10_000)  # fmt: skip
                runner.run(request)
                times.append(time.perf_counter() - start)
    return walls


def home_sizes(runs: int) -> None:
    if not can_mount_tmpfs():
        print("repeat start against $HOME's size: skipped (tmpfs and overlays need root)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        for name, prepare, count in (("overlay", repeat_tmp, runs), ("copy (peer)", copied_tmp, 3)):
            small, large = repeat_starts(count, prepare, Path(tmp) / name[:4])
            ratio = statistics.median(large) / statistics.median(small)
            print(f"repeat start, $HOME by {name}, median of {count}: 1 MB {ms(small)}; "
                  f"1 GB {ms(large)} -> 1 GB / 1 MB = {ratio:.2f}x")  # fmt: skip


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.2f} ms (min {min(values) * 1000:.2f}, max {max(values) * 1000:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sample", type=Path, default=REPO.parent / "shared" / "xtreme-sample")
    args = parser.parse_args()
    if find_bwrap() is None:
        sys.exit("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    grouped = host_hierarchy()[0] is not None
    with tempfile.TemporaryDirectory() as tmp:
        bare = statistics.median(start_times(SubprocessRunner(), args.runs, Path(tmp) / "a"))
        boxed = statistics.median(start_times(BwrapRunner(), args.runs, Path(tmp) / "b"))
        in_group = (
            statistics.median(start_times(BwrapRunner(), args.runs, Path(tmp) / "c", True))
            if grouped
            else None
        )
    print(f"process start, median of {args.runs}: bare subprocess {bare * 1000:.1f} ms, "
          f"bubblewrap sandbox {boxed * 1000:.1f} ms -> sandbox/bare = {boxed / bare:.2f}x "
          f"(+{(boxed - bare) * 1000:.1f} ms per run)")  # fmt: skip
    if in_group is not None:
        print(f"bubblewrap sandbox in a cgroup (bwrap's init as PID 1) {in_group * 1000:.1f} ms "
              f"-> /bare = {in_group / bare:.2f}x (+{(in_group - bare) * 1000:.1f} ms per run)")  # fmt: skip

    if grouped:
        groups = setup_times(
            args.runs,
            lambda i: confine(
                f"podium-bench-s{i}", Limits(memory_bytes=2**30, processes=64)
            ).close(),
        )
        print(
            f"cgroup per process run, create + remove ({host_hierarchy()[0].describe()}): {ms(groups)}"
        )  # type: ignore[union-attr]
    if can_mount_tmpfs():
        with tempfile.TemporaryDirectory() as tmp, Workspace(Path(tmp) / "w") as ws:

            def mount_and_unmount(_: int) -> None:
                ws.limited("t", 2**30, "tmp")
                ws.discard("t")

            mounts = setup_times(args.runs, mount_and_unmount)
        print(f"tmpfs folder, mount + unmount: {ms(mounts)} (two per repeat: /tmp and the output)")

    home_sizes(args.runs)

    if not args.sample.is_dir():
        sys.exit(f"the XTREME sample is not at {args.sample}: skipping the overhead part")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "cup"
        root.mkdir()
        (root / "competition.toml").write_text(
            f'name = "bench"\n[data]\nsource = "{args.sample}"\n[[stages]]\nname = "evaluation"\n'
            f'split = "eval"\nattempts = {args.runs}\n'
        )
        podium = Podium.open(root)
        podium.setup.prepare_data()
        podium.setup.add_team("bench")
        podium.setup.open_stage("evaluation")
        submission = Path(tmp) / "majority"
        shutil.copytree(REPO / "examples" / "majority", submission)
        for _ in range(min(args.runs, 10)):
            podium.submissions.submit(submission, team="bench")
        runs = [podium.results.run(o.run_id) for o in podium.evaluation.evaluate_pending()]
        walls = [r.measurements[0].wall_seconds for r in runs]
        harness = [r.harness_seconds or 0.0 for r in runs]
        examples = sum(
            sum(c["eval"] for c in langs.values())
            for langs in podium.setup.manifest().counts.values()
        )
        podium.close()
    print(f"instant submission (examples/majority) on the sample's eval split ({examples} examples), "
          f"median of {len(runs)}: test phase {statistics.median(walls) * 1000:.0f} ms, harness "
          f"overhead (unpack, validate, score) {statistics.median(harness) * 1000:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
