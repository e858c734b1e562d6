"""`podium demo`: a throw-away competition run end to end with the example submissions."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

import podium as podium_pkg
from podium.cli.render import print_hall_of_fame, print_leaderboard, print_manifest, print_outcomes
from podium.cli.report import write_report
from podium.config.spec import SPEC_FILENAME
from podium.config.template import render_default_spec, set_fields
from podium.core.errors import PodiumError
from podium.harness.sandbox import find_bwrap
from podium.service import Podium, init_competition

SYNTHETIC_LANGUAGES = {
    "xnli": ["en", "de", "ar", "sw"],
    "pawsx": ["en", "de", "zh"],
    "udpos": ["en", "hi", "zh"],
    "panx": ["en", "ru", "ja", "sw"],
}
ATTEMPT_FRACTIONS = (0.2, 0.5, 1.0)


@dataclass(frozen=True)
class DemoTeam:
    name: str
    members: tuple[str, str]
    # the example model of each attempt ("broken-crash" and "broken-labels" are made here)
    models: tuple[str, str, str]


TEAMS = (
    DemoTeam("Modal Minds", ("Ada", "Grace"), ("majority", "majority", "majority")),
    DemoTeam("Quick Lex", ("Alan", "Barbara"), ("lexicon", "lexicon", "lexicon")),
    DemoTeam("Deep Perceptrons", ("Edsger", "Frances"), ("perceptron", "perceptron", "perceptron")),
    DemoTeam(
        "Late Bloomers",
        ("Donald", "Margaret"),
        ("broken-crash", "broken-labels", "quick-perceptron"),
    ),
)
# Joins when the extra podium[baseline] is installed: the baseline kit, trained by the demo.
BASELINE_TEAM = DemoTeam("Baseline Kit", ("Karen", "Yoshua"), ("baseline", "baseline", "baseline"))
BASELINE_MODULES = ("torch", "lightning", "transformers", "tokenizers")


def baseline_installed() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in BASELINE_MODULES)


def demo_teams(baseline_minutes: float) -> tuple[DemoTeam, ...]:
    """The example teams, plus the baseline kit's when it is installed and given time."""
    return (*TEAMS, BASELINE_TEAM) if baseline_minutes > 0 and baseline_installed() else TEAMS


def examples_dir() -> Path:
    """The repository's examples/ folder: in the package (a link in a checkout, files in a
    wheel), so that the demo runs from a bare install too."""
    path = Path(podium_pkg.__file__).parent / "examples"
    if not (path / "majority" / "podium.toml").is_file():
        raise PodiumError(
            "the example submissions were not found",
            where=str(path),
            hint="reinstall podium (pip install podium), or run it from a clone (make demo)",
        )
    return path


def demo_spec(source: str, synthetic: bool) -> str:
    """The default spec, trimmed so the demo runs in minutes on 2 cores (real data: 300
    examples per task and language, the sample's 34 sets in 23 s where 500 took 36 s)."""
    settings = [
        f"tasks.{task}.languages={json.dumps(langs)}" for task, langs in SYNTHETIC_LANGUAGES.items()
    ] if synthetic else ["data.max_examples_per_language=300"]  # fmt: skip
    if find_bwrap() is None:  # the demo runs our own example code: trusted
        settings.append("sandbox.runner=subprocess")
    # a photo finish of 6 runs a team shows what a close re-measures, in seconds not minutes
    settings += ["efficiency.photo_finish_runs=6", "sandbox.timeout_seconds=120.0"]
    return set_fields(render_default_spec("podium demo", source), settings)


def build_baseline(public: Path, out: Path, minutes: float) -> Path:
    """The baseline kit as a team uses it (`podium baseline train`, then `package`, with
    their defaults), run in this process: torch loads once for the three attempts."""
    from podium.baseline.kit import train_and_package

    try:
        return train_and_package(public, out.with_name(out.name + "-training"), out, minutes)
    except PodiumError as err:
        raise PodiumError(
            f"the baseline kit failed: {err.what}",
            where=err.where,
            hint="run the demo with --baseline-minutes 0 to leave the baseline team out",
        ) from None


def build_submission(
    kind: str, public: Path, out: Path, fraction: float, baseline_minutes: float = 1.0
) -> Path:
    """A submission folder for one attempt: an example trained on part of the public data."""
    if kind == "baseline":  # more training time, not more data, for later attempts
        return build_baseline(public, out, baseline_minutes * fraction)
    if kind == "broken-crash":
        out.mkdir(parents=True)
        (out / "podium.toml").write_text('[submission]\ncommand = "python predict.py"\n')
        (out / "predict.py").write_text(
            "import sys\nprint('loading model.bin ...')\n"
            "sys.exit('FileNotFoundError: model.bin (forgot to include the weights)')\n"
        )
        return out
    example = {"broken-labels": "lexicon", "quick-perceptron": "perceptron"}.get(kind, kind)
    shutil.copytree(
        examples_dir() / example, out, ignore=shutil.ignore_patterns("__pycache__", "model.json")
    )
    if (out / "train.py").is_file():
        extra = ["--epochs", "1"] if kind == "quick-perceptron" else []
        subprocess.run(
            [
                sys.executable,
                "train.py",
                "--data",
                str(public),
                "--out",
                str(out),
                "--fraction",
                str(fraction),
                *extra,
            ],
            cwd=out,
            check=True,
            capture_output=True,
            text=True,
        )
    if kind == "broken-labels":  # spells the XNLI labels its own way: the contract says no
        predict = out / "predict.py"
        predict.write_text(predict.read_text() + _RELABEL)
    return out


_RELABEL = """
import json as _json, os as _os
_out = _os.path.join(_os.environ["PODIUM_OUTPUT_DIR"], "xnli")
for _name in _os.listdir(_out):
    _path = _os.path.join(_out, _name)
    _rows = [_json.loads(line) for line in open(_path, encoding="utf-8")]
    with open(_path, "w", encoding="utf-8") as _f:
        for _row in _rows:
            _row["label"] = _row["label"].upper()
            _f.write(_json.dumps(_row) + "\\n")
"""


def run_demo(
    folder: Path | None,
    *,
    data: Path | None,
    console: Console,
    quiet: bool = False,
    baseline_minutes: float = 1.0,
    verbose: bool = False,
) -> Path:
    """A whole competition in a folder: data, teams, three attempts, the final, the report."""
    root = _fresh_competition(folder, data)

    def say(message: str) -> None:
        if not quiet:
            console.print(f"[dim]… {message}[/]")

    console.rule(f"[bold]podium demo[/] in {root}")
    podium = Podium.open(root)
    try:
        teams = _prepare_and_add_teams(podium, console, baseline_minutes, verbose)
        podium.setup.open_stage("evaluation")
        for attempt, fraction in enumerate(ATTEMPT_FRACTIONS, start=1):
            console.rule(f"evaluation stage: attempt {attempt} of {len(ATTEMPT_FRACTIONS)}")
            _submit_attempt(podium, teams, attempt, fraction, baseline_minutes, say)
            print_outcomes(console, podium.evaluation.evaluate_pending(progress=say))
            print_leaderboard(console, podium.results.leaderboard("evaluation"))
        _close_evaluation(podium, console)
        _run_and_reveal_final(podium, console, say)
        _where_things_are(podium, console, write_report(podium))
    finally:
        podium.close()
    return root


def _fresh_competition(folder: Path | None, data: Path | None) -> Path:
    root = (folder or Path(tempfile.mkdtemp(prefix="podium-demo-"))).resolve()
    if root.exists() and any(root.iterdir()):
        raise PodiumError(
            "the demo folder is not empty",
            where=str(root),
            hint="give an empty or new folder, or none for a temporary one",
        )
    source = str(data.resolve()) if data else "synthetic"
    init_competition(root, name="podium demo", source=source)
    (root / SPEC_FILENAME).write_text(demo_spec(source, synthetic=data is None), encoding="utf-8")
    return root


def _prepare_and_add_teams(
    podium: Podium, console: Console, baseline_minutes: float, verbose: bool
) -> tuple[DemoTeam, ...]:
    manifest = podium.setup.prepare_data()
    print_manifest(console, manifest, podium.competition.layout, verbose=verbose)
    teams = demo_teams(baseline_minutes)
    for team in teams:
        podium.setup.add_team(team.name, team.members)
    console.print(f"teams: {', '.join(t.name for t in teams)}")
    if baseline_minutes > 0 and BASELINE_TEAM not in teams:
        console.print("(the baseline kit's team joins with the extra: podium\\[baseline])")
    return teams


def _submit_attempt(
    podium: Podium,
    teams: tuple[DemoTeam, ...],
    attempt: int,
    fraction: float,
    baseline_minutes: float,
    say: Callable[[str], None],
) -> None:
    """Each team trains its model of this attempt and submits it."""
    work = podium.competition.root / "team-work"
    for team in teams:
        kind = team.models[attempt - 1]
        if kind == "baseline":
            budget = f"{baseline_minutes * fraction * 60:.0f} s"
            say(f"{team.name}: training the tiny baseline for {budget}")
        else:
            budget = f"{fraction:.0%}"
            say(f"{team.name}: training {kind} on {budget} of the public data")
        folder = build_submission(
            kind,
            podium.competition.layout.public_dir,
            work / team.name.replace(" ", "-") / f"attempt-{attempt}",
            fraction,
            baseline_minutes,
        )
        podium.submissions.submit(folder, team=team.name, label=f"{kind} @ {budget}")


def _close_evaluation(podium: Podium, console: Console) -> None:
    console.rule("closing the evaluation stage")
    for winner in podium.finals.close_stage("evaluation"):
        console.print(f"stage winner (hall of fame): [bold]{winner.team_name}[/]")
    released_to = podium.competition.root / "released-code"
    released = podium.finals.export_code("evaluation", released_to)
    console.print(f"code released to every team: {len(released)} submissions under {released_to}")


def _run_and_reveal_final(podium: Podium, console: Console, say: Callable[[str], None]) -> None:
    console.rule("the final: each team's best submission, once, on the hidden final set")
    print_outcomes(console, podium.finals.run(progress=say))
    console.print("final results are hidden until revealed; revealing now")
    podium.finals.reveal()
    print_leaderboard(console, podium.results.leaderboard("final"), languages=True)
    print_hall_of_fame(console, podium.finals.hall_of_fame())


def _where_things_are(podium: Podium, console: Console, report: Path) -> None:
    root = podium.competition.root
    url = podium.competition.engine.url
    store = (
        f"store (SQLite): {url.database}"
        if url.get_backend_name() == "sqlite"
        else f"store: {url.render_as_string(hide_password=True)}"
    )
    console.rule("where things are")
    console.print(
        f"report (HTML with charts): {report}\n"
        f"{store}\n"
        f"competition folder: {root}\n"
        f"explore: podium leaderboard -c {root} --stage final\n"
        f"website: podium token create --organizer -c {root}, then "
        f"podium serve -c {root} (http://127.0.0.1:8000)"
    )
