"""The baseline kit in an environment of its own, end to end (minutes: not a test).

Trains a tiny baseline on a synthetic competition, packages it with `--environment own`
(a requirements.txt of the exact runtime: torch==2.13.0 CPU, transformers, tokenizers and
every dependency), then runs `podium check` twice in the bubblewrap sandbox: the first builds
the environment with uv (torch from a local wheel folder, the rest from the index), the
second finds it by its hash. Prints the build and check times and the scores.

    UV_FIND_LINKS=/opt/wheels .venv/bin/python benchmarks/baseline_env.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = """name = "baseline in an environment"
[tasks.xnli]
languages = ["en", "de"]
[tasks.pawsx]
languages = ["en"]
[tasks.udpos]
languages = ["en"]
[tasks.panx]
languages = ["en"]
[data]
source = "synthetic"
max_examples_per_language = 120
"""
TINY = ["--layers", "2", "--hidden", "32", "--vocab", "500", "--max-len", "48", "--max-steps",
        "40", "--steps-per-epoch", "20", "--token-budget", "1024", "--workers", "2", "--quiet"]  # fmt: skip
PODIUM = [sys.executable, "-m", "podium"]


def run(*args: str) -> None:
    subprocess.run([*PODIUM, *args], check=True)


def main() -> None:
    from podium.config.spec import SandboxSpec
    from podium.harness.check import check_submission

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", type=Path, help="work here (default: a temporary folder)")
    args = parser.parse_args()
    if "UV_FIND_LINKS" not in os.environ and "UV_INDEX_URL" not in os.environ:
        print("note: torch==2.13.0+cpu must come from UV_FIND_LINKS or UV_INDEX_URL")
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        cup, out, sub = work / "cup", work / "run", work / "submission"
        cup.mkdir(parents=True, exist_ok=True)
        (cup / "competition.toml").write_text(SPEC)
        run("data", "prepare", "-c", str(cup))
        run("baseline", "train", "--competition", str(cup), "--out", str(out), *TINY)
        run("baseline", "package", str(out / "checkpoints" / "best.ckpt"), str(sub),
            "--environment", "own")  # fmt: skip
        os.environ["XDG_CACHE_HOME"] = str(work / "cache")  # a fresh environment store
        sandbox = SandboxSpec(runner="bwrap", timeout_seconds=600, setup_timeout_seconds=1800)
        for label in ("first check (builds)", "second check (by hash)"):
            start = time.perf_counter()
            report = check_submission(sub, cup / "public", split="dev", sandbox=sandbox)
            seconds = time.perf_counter() - start
            result = report.result
            print(f"{label}: {result.status} in {seconds:.1f} s, environment "
                  f"{(result.environment or 'none')[:16]} built={result.environment_built}, "
                  f"error={result.error}")  # fmt: skip
            print("  scores:", {(r.task, r.language): round(r.value, 3) for r in result.scores
                                if r.metric == report.metrics[r.task]})  # fmt: skip
            print("  log:", result.log_tail.splitlines()[:2])


if __name__ == "__main__":
    main()
