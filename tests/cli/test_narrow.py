"""Every table of the `podium` command at COLUMNS=80 on a small real competition: no line
wider than the terminal, the key values there (cut ones end in an ellipsis, long ones are in
full under the table)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from podium.cli.main import app
from podium.harness.fingerprint import machine_fingerprint
from podium.service import Podium

from ..conftest import CONSTANT_PREDICT, RUN_LIMIT, SMALL_SPEC, write_submission

LONG_A, LONG_B = "Long Team Name Number One", "Second Team With A Long Name"
MEMBERS = ["Ada Lovelace", "Alan Turing", "Barbara Liskov", "Grace Hopper"]
WRONG_LABELS = CONSTANT_PREDICT.replace('"entailment"', '"a-label-no-task-has-ever-had"')
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "roster"


@dataclass
class Cup:
    root: Path
    good: Path
    store: dict[str, str]  # on PostgreSQL, the module's database (each test has its own)

    def run(self, *args: str, code: int = 0) -> str:
        """The command's standard output at 80 columns, every line checked for width."""
        result = CliRunner().invoke(app, [*args], env={"COLUMNS": "80", **self.store})
        assert result.exit_code == code, result.stdout + result.stderr
        wide = [line for line in result.stdout.splitlines() if len(line) > 80]
        assert not wide, f"{args}: {len(wide)} line(s) over 80 columns:\n" + "\n".join(wide)
        return result.stdout

    def c(self, *args: str, code: int = 0) -> str:
        return self.run(*args, "-c", str(self.root), code=code)


@pytest.fixture(scope="module")
def cup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cup]:
    """Two teams with long names, a personal token, failed and scored runs, one submission
    queued, two workers (one unlike the other)."""
    tmp = tmp_path_factory.mktemp("narrow")
    root = tmp / "cup"
    root.mkdir()
    # a photo finish of 3 runs a team: these tests are about what the terminal shows
    spec = SMALL_SPEC.format(timeout=RUN_LIMIT) + "[efficiency]\nphoto_finish_runs = 3\n"
    (root / "competition.toml").write_text(spec)
    good = write_submission(tmp / "good", CONSTANT_PREDICT)
    podium = Podium.open(root)
    try:
        podium.setup.prepare_data()
        podium.setup.add_team(LONG_A, MEMBERS)
        podium.setup.add_team(LONG_B, ["Carol"])
        podium.tokens.create("organizer", label="the organizers' shared laptop in room 4")
        podium.tokens.create("team", team=LONG_A, member="Barbara Liskov", label="laptop")
        for name, cpu in (("gpu-box-01", None), ("gpu-box-with-a-long-name-02", "Other CPU")):
            who = podium.tokens.authenticate(podium.tokens.create("worker", label=name))
            assert who is not None
            fingerprint = machine_fingerprint(podium.competition.spec_hash)
            podium.workers.hello(who, "local", {**fingerprint, **({"cpu": cpu} if cpu else {})})
        podium.setup.open_stage("evaluation")
        podium.submissions.submit(write_submission(tmp / "bad", WRONG_LABELS), team=LONG_B)
        podium.submissions.submit(good, team=LONG_B)
        podium.submissions.submit(good, team=LONG_A)
        podium.evaluation.evaluate_pending()
        podium.submissions.submit(tmp / "bad", team=LONG_A)  # left for `podium evaluate`
    finally:
        podium.close()
    url = os.environ.get("PODIUM_STORE_URL")
    yield Cup(root, good, {"PODIUM_STORE_URL": url} if url else {})


def test_evaluate_then_submissions_and_runs(cup: Cup) -> None:
    out = cup.c("evaluate", "--quiet")
    assert "Long Team Name" in out and "failed" in out
    assert f"(1) run 4 of {LONG_A}: " in out and "a-label-no-task-has-ever-had" in out
    out = cup.c("submissions")
    assert "Long Team Name" in out and "scored" in out and "…" in out
    assert f"of {LONG_B}: " in out and "a-label-no-task-has-ever-had" in out
    failed = cup.c("run", "1")
    assert "run 1 of submission 1: failed" in failed and "a-label-no-task" in failed
    assert "Timed repeats" in failed and "log tail" in failed
    scored = cup.c("run", "2")
    assert "Scores" in scored and "accuracy" in scored and "spec_hash" in scored


def test_people_tokens_and_data(cup: Cup) -> None:
    out = cup.c("team", "list")
    assert LONG_A in out and LONG_B in out and "Grace" in out and "Carol" in out
    out = cup.c("token", "list")
    assert "Barbara Liskov" in out and "organizer" in out and "worker" in out
    assert "the organizers'" in out  # the label, cut at the terminal's edge
    out = cup.c("data", "info")
    assert "xnli" in out and "panx" in out and "sealed data: sealed" in out


def test_workers_leaderboard_decisions_and_what_if(cup: Cup) -> None:
    out = cup.c("workers")
    assert "gpu-box-01" in out and "alike" in out and "gpu-box-with-a-long" in out
    assert "worker gpu-box-with-a-long-name-02: DIFFERS in cpu" in out
    out = cup.c("rules", "simulate", "--stage", "evaluation", "--gap", "50")
    assert "published rule vs what-if" in out and "Long Team Name" in out
    out = cup.c("remeasure", "--stage", "evaluation", "--quiet")  # the photo finish
    assert "Decisions" in out and "Long Team Name" in out
    # narrow: each row's reasons in full under the table, numbered, wrapped at 80 columns
    out = cup.c("leaderboard", "--stage", "evaluation")
    assert "(1) " in out and "(performance " in out and "Decisions" in out


def test_pairing_check_calibrate_and_hall_of_fame(
    cup: Cup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = cup.run("teams", "pair", str(EXAMPLE / "roster.csv"))
    assert "Proposed teams" in out and "(1) team 1: senior" in out
    out = cup.c("calibrate", "--submission", str(cup.good), "--runs", "3", "--quiet")
    assert "recommended min_efficiency_gain" in out
    cup.c("data", "export", str(tmp_path / "public"))
    checked = cup.run("check", str(cup.good), "--data", str(tmp_path / "public"),
                      "--runner", "subprocess")  # fmt: skip
    assert "Scores on local data" in checked and "meets the contract" in checked
    for name, value in cup.store.items():
        monkeypatch.setenv(name, value)
    podium = Podium.open(cup.root)
    try:
        podium.finals.close_stage("evaluation")
        podium.finals.run()
        podium.finals.reveal()
    finally:
        podium.close()
    out = cup.c("hall-of-fame")
    assert "Hall of fame" in out and "test cup" in out and "Grace" in out
