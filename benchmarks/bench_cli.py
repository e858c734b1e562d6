"""How long `podium` takes to answer, against the time Python needs to import Typer and Rich
(the named peer, `python -c 'import typer, rich'`, timed interleaved in the same run).

Goals (issue 25): `--help` and `--version` within 2x of the peer, the read-only commands
(leaderboard, submissions, run, stage list, questions, hall-of-fame) on a local SQLite store
within 3x. Beside each wall-time ratio, the ratio of CPU time (user + system), which a
shared machine's load blurs far less. Builds a small competition first (3 teams, 1 scored run each), untimed. Each
command runs `--repeats` times, interleaved with the peer; medians and the spread (min-max).

    .venv/bin/python benchmarks/bench_cli.py [--repeats 9]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.conftest import CONSTANT_PREDICT, write_submission  # noqa: E402

BIN = Path(sys.executable).parent
PEER = [sys.executable, "-c", "import typer, rich"]
GOALS = {"--version": 2.0, "--help": 2.0}  # every other command: 3.0
TEAMS = ("Quick Lex", "Slow Vec", "Mid Tag")


def podium(*args: str, root: Path | None = None) -> list[str]:
    return [str(BIN / "podium"), *args, *(["-c", str(root)] if root else [])]


def build(root: Path) -> None:
    """A prepared competition with one scored run per team (not timed)."""
    env = {**os.environ, "COLUMNS": "100"}

    def run(*args: str) -> None:
        subprocess.run(podium(*args), check=True, capture_output=True, env=env)

    run("init", str(root))
    run("data", "prepare", "-c", str(root))
    run("stage", "open", "evaluation", "-c", str(root))
    sub = write_submission(root.parent / "constant", CONSTANT_PREDICT)
    for team in TEAMS:
        run("team", "add", team, "-m", team.split()[0], "-c", str(root))
        run("submit", str(sub), "--team", team, "-c", str(root))
    run("evaluate", "--quiet", "-c", str(root))


CPU: dict[tuple[str, ...], list[float]] = {}  # CPU seconds (user + system) of each command


def seconds(cmd: list[str]) -> float:
    """Wall seconds; the CPU seconds go to CPU (a shared machine blurs wall time, not CPU)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, env={**os.environ, "COLUMNS": "100"})
    took = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    CPU.setdefault(tuple(cmd), []).append(cpu)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.decode()[-400:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "cup"
        build(root)
        commands = {
            "--version": podium("--version"),
            "--help": podium("--help"),
            "leaderboard": podium("leaderboard", root=root),
            "submissions": podium("submissions", root=root),
            "run 1": podium("run", "1", root=root),
            "stage list": podium("stage", "list", root=root),
            "questions": podium("questions", root=root),
            "hall-of-fame": podium("hall-of-fame", root=root),
        }
        for cmd in [PEER, *commands.values()]:
            seconds(cmd)  # warm the file cache and the bytecode
        peer: list[float] = []
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeats):  # interleaved: load on the machine hits both alike
            for name, cmd in commands.items():
                peer.append(seconds(PEER))
                times[name].append(seconds(cmd))
    floor = statistics.median(peer)
    print(f"peer `python -c 'import typer, rich'`: median {floor * 1000:.0f} ms "
          f"(min {min(peer) * 1000:.0f}, max {max(peer) * 1000:.0f}), {len(peer)} runs")  # fmt: skip
    cpu_floor = statistics.median(CPU[tuple(PEER)])
    print(f"{'command':<14} {'median ms':>9} {'min-max ms':>13} {'ratio':>6} {'goal':>5}  met"
          f"   CPU ratio (peer's CPU {cpu_floor * 1000:.0f} ms)")  # fmt: skip
    for name, taken in times.items():
        median, goal = statistics.median(taken), GOALS.get(name, 3.0)
        ratio = median / floor
        cpu_ratio = statistics.median(CPU[tuple(commands[name])]) / cpu_floor
        spread = f"{min(taken) * 1000:.0f}-{max(taken) * 1000:.0f}"
        print(f"{name:<14} {median * 1000:>9.0f} {spread:>13} {ratio:>5.1f}x {goal:>4.0f}x  "
              f"{'yes' if ratio <= goal else 'NO':<3}  {cpu_ratio:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
