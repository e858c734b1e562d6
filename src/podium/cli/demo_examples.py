"""`podium demo --example NAME`: one of the shipped example competitions
(`examples/competitions/NAME`), run end to end like the XTREME demo: data made offline,
teams, three attempts, the final, the report."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from podium.cli.demo import (
    _close_evaluation,
    _run_and_reveal_final,
    _where_things_are,
    examples_dir,
)
from podium.cli.render import print_leaderboard, print_manifest, print_outcomes
from podium.cli.report import write_report
from podium.config.spec import SPEC_FILENAME
from podium.core.errors import PodiumError
from podium.core.suggest import did_you_mean
from podium.harness.sandbox import find_bwrap
from podium.service import Podium

# team -> (members, the submission of each attempt as (example, share of the public data));
# the competition's reference team (`[leaderboard] references`) enters once
TEAMS: dict[str, tuple[tuple[str, ...], tuple[tuple[str, float], ...]]] = {
    "Organizers": ((), (("baseline", 1.0),)),
    "Nearest Neighbours": (
        ("Ada", "Grace"),
        (("learning", 0.2), ("learning", 0.5), ("learning", 1.0)),
    ),
    "Quick Constants": (
        ("Alan", "Barbara"),
        (("baseline", 1.0), ("learning", 0.1), ("learning", 1.0)),
    ),
}


def competitions() -> dict[str, Path]:
    root = examples_dir() / "competitions"
    return {p.name: p for p in sorted(root.iterdir()) if (p / SPEC_FILENAME).is_file()}


def run_example(name: str, folder: Path | None, *, console: Console, quiet: bool = False) -> Path:
    found = competitions()
    if name not in found:
        raise PodiumError(f"no example competition {name!r}", hint=did_you_mean(name, found))
    source = found[name]
    if importlib.util.find_spec("sklearn") is None:
        raise PodiumError(
            f"the {name!r} competition makes its data with scikit-learn, which is not installed",
            hint="pip install scikit-learn (its data sets are bundled: no network needed)",
        )
    root = _fresh(folder, source)

    def say(message: str) -> None:
        if not quiet:
            console.print(f"[dim]… {message}[/]")

    console.rule(f"[bold]podium demo[/] of {name!r} in {root}")
    subprocess.run([sys.executable, str(source / "make_data.py"), str(root / "data")], check=True)
    with Podium.open(root) as podium:
        print_manifest(console, podium.setup.prepare_data(), podium.competition.layout)
        for team, (members, _) in TEAMS.items():
            podium.setup.add_team(team, list(members))
        podium.setup.open_stage("evaluation")
        for attempt in range(1, 4):
            console.rule(f"evaluation stage: attempt {attempt} of 3")
            _submit(podium, source, attempt, say)
            print_outcomes(console, podium.evaluation.evaluate_pending(progress=say))
            print_leaderboard(console, podium.results.leaderboard("evaluation"))
        _close_evaluation(podium, console)
        _run_and_reveal_final(podium, console, say)
        _where_things_are(podium, console, write_report(podium))
    return root


def _fresh(folder: Path | None, source: Path) -> Path:
    root = (folder or Path(tempfile.mkdtemp(prefix="podium-demo-"))).resolve()
    if root.exists() and any(root.iterdir()):
        raise PodiumError("the demo folder is not empty", where=str(root))
    root.mkdir(parents=True, exist_ok=True)
    spec = (source / SPEC_FILENAME).read_text(encoding="utf-8")
    if find_bwrap() is None:  # the demo runs the shipped example code: trusted
        spec = spec.replace('runner = "bwrap"', 'runner = "subprocess"')
    (root / SPEC_FILENAME).write_text(spec, encoding="utf-8")
    return root


def _submit(podium: Podium, source: Path, attempt: int, say: Callable[[str], None]) -> None:
    public = podium.competition.layout.public_dir
    for team, (_, plan) in TEAMS.items():
        if attempt > len(plan):
            continue
        example, share = plan[attempt - 1]
        out = podium.competition.root / "team-work" / team.replace(" ", "-") / f"attempt-{attempt}"
        shutil.copytree(source / "submissions" / example, out,
                        ignore=shutil.ignore_patterns("__pycache__", "model.json"))  # fmt: skip
        say(f"{team}: training {example} on {share:.0%} of the public data")
        subprocess.run([sys.executable, "train.py", "--data", str(public), "--out", str(out),
                        "--fraction", str(share)], cwd=out, check=True)  # fmt: skip
        podium.submissions.submit(out, team=team, label=f"{example} @ {share:.0%}")
