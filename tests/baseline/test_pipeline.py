"""train -> package -> podium check (bwrap) -> submit/evaluate, and the errors on the way."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from podium.baseline.corpus import load_corpus
from podium.baseline.packaging import RUNTIME_MODULES, RUNTIME_PACKAGE, package
from podium.config.spec import SandboxSpec
from podium.core.errors import DataError, PodiumError
from podium.harness.check import check_submission
from podium.service import Podium
from podium.tasks import default_registry

from .conftest import TinyRun, cli_app


def test_training_reports_dev_scores_and_writes_checkpoints(tiny_run: TinyRun) -> None:
    assert tiny_run.best.is_file() and (tiny_run.out / "checkpoints" / "last.ckpt").is_file()
    assert "40 steps" in tiny_run.output
    for task in ("xnli", "pawsx", "udpos", "panx"):
        assert task in tiny_run.output
    raw = torch.load(tiny_run.best, map_location="cpu", weights_only=True)
    assert raw["global_step"] in (20, 40)


def test_package_passes_check_in_the_sandbox_with_the_training_scores(
    tiny_run: TinyRun, tiny_package: Path
) -> None:
    assert (tiny_package / "podium.toml").is_file() and (tiny_package / "predict.py").is_file()
    report = check_submission(
        tiny_package,
        tiny_run.competition / "public",
        split="dev",
        sandbox=SandboxSpec(runner="bwrap", timeout_seconds=300),
    )
    assert report.result.status == "scored", report.result.error
    assert set(report.task_scores) == {"xnli", "pawsx", "udpos", "panx"}
    # the submission runs the code training validated: identical dev scores
    from podium.baseline.network import load_net
    from podium.baseline.tokenizer import train_wordpiece  # noqa: F401 (import check)
    from podium.baseline.training import dev_scores

    corpus = load_corpus(tiny_run.competition)
    net = load_net(tiny_package)
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tiny_package / "tokenizer.json"))
    ours = dev_scores(net, tokenizer, corpus, limit=None)
    theirs = {
        (r.task, r.language): r.value
        for r in report.result.scores
        if r.metric in ("accuracy", "span_f1") and report.metrics[r.task] == r.metric
    }
    assert theirs.keys() == ours.keys()
    for key, value in ours.items():
        assert theirs[key] == pytest.approx(value), key


def test_the_submission_imports_nothing_from_podium(tiny_package: Path) -> None:
    allowed = {"torch", "transformers", "tokenizers", "__future__"}
    for name in (*RUNTIME_MODULES, "../predict.py"):
        tree = ast.parse((tiny_package / RUNTIME_PACKAGE / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots = {node.module.split(".")[0]}
            else:
                continue
            assert roots <= allowed | set(sys.stdlib_module_names) | {RUNTIME_PACKAGE}, name


def test_a_plain_bert_predicts_without_importing_transformers(
    tiny_run: TinyRun, tiny_package: Path, tmp_path: Path
) -> None:
    """Its 2.8 s of imports would be most of the baseline's measured test phase."""
    probe = (
        "import runpy, sys; runpy.run_path('predict.py', run_name='__main__'); "
        "print('transformers loaded' if 'transformers' in sys.modules else 'torch alone')"
    )
    inputs = tiny_run.competition / "sealed" / "inputs" / "eval"
    env = {**os.environ, "PODIUM_INPUT_DIR": str(inputs), "PODIUM_OUTPUT_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tiny_package, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "torch alone"
    assert sorted(p.name for p in tmp_path.rglob("*.jsonl")) == sorted(
        p.name for p in inputs.rglob("*.jsonl")
    )


@pytest.mark.store
def test_the_package_can_be_submitted_and_evaluated(tiny_run: TinyRun, tiny_package: Path) -> None:
    podium = Podium.open(tiny_run.competition)
    try:
        podium.setup.add_team("Baseline")
        podium.setup.open_stage("evaluation")
        podium.submissions.submit(tiny_package, team="Baseline")
        [outcome] = podium.evaluation.evaluate_pending()
        assert outcome.status == "scored", outcome.error
        [row] = podium.results.leaderboard("evaluation").rows
        assert row.team == "Baseline" and set(row.tasks) == {"xnli", "pawsx", "udpos", "panx"}
    finally:
        podium.close()


def test_a_task_without_training_data_is_named(tiny_competition: Path, tmp_path: Path) -> None:
    public = tmp_path / "public"
    shutil.copytree(tiny_competition / "public", public)
    for path in (public / "pawsx").glob("train-*.tsv"):
        path.unlink()
    with pytest.raises(DataError, match="no training data for task 'pawsx'") as info:
        load_corpus(public)
    assert "--tasks" in info.value.message
    corpus = load_corpus(public, ["xnli", "panx"])  # choosing tasks works around it
    assert {t.id for t in corpus.tasks} == {"xnli", "panx"}


def test_a_competition_without_public_data_says_prepare(tmp_path: Path) -> None:
    from ..conftest import RUN_LIMIT, SMALL_SPEC

    (tmp_path / "competition.toml").write_text(SMALL_SPEC.format(timeout=RUN_LIMIT))
    with pytest.raises(DataError, match="no public data"):
        load_corpus(tmp_path)


def test_a_checkpoint_from_another_task_set_is_refused(tiny_run: TinyRun, tmp_path: Path) -> None:
    registry = default_registry()
    other = [registry.get("xnli").model_copy(update={"id": "mnli"})]
    with pytest.raises(PodiumError, match="no head for task 'mnli'"):
        package(tiny_run.best, tmp_path / "x", tasks=other)
    relabelled = [registry.get("panx").model_copy(update={"labels": ("O", "B-X", "I-X")})]
    with pytest.raises(PodiumError, match="labels differ"):
        package(tiny_run.best, tmp_path / "y", tasks=relabelled)
    result = CliRunner().invoke(
        cli_app(),
        [
            "baseline",
            "package",
            str(tiny_run.best),
            str(tmp_path / "z"),
            "--data",
            str(tiny_run.competition),
        ],
    )
    assert result.exit_code == 0, result.output  # its own competition is fine


def test_packaging_a_non_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "model.ckpt"
    torch.save({"state_dict": {}}, bogus)
    result = CliRunner().invoke(cli_app(), ["baseline", "package", str(bogus), str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "not a checkpoint of `podium baseline train`" in " ".join(result.output.split())
    (tmp_path / "junk.ckpt").write_text("hello")
    with pytest.raises(PodiumError, match="not a readable checkpoint"):
        package(tmp_path / "junk.ckpt", tmp_path / "p")


def test_a_checkpoint_of_another_kit_version_is_refused_at_packaging(
    tiny_run: TinyRun, tmp_path: Path
) -> None:
    raw = torch.load(tiny_run.best, map_location="cpu", weights_only=True)
    raw["state_dict"] = {k: v for k, v in raw["state_dict"].items() if ".lexical." not in k}
    older = tmp_path / "older.ckpt"
    torch.save(raw, older)  # as written before pair tasks had a lexical head
    with pytest.raises(PodiumError, match="does not fit this version") as info:
        package(older, tmp_path / "sub")
    assert "lexical" in info.value.message and not (tmp_path / "sub").exists()


def test_the_cli_names_a_bad_encoder(
    tiny_competition: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    result = CliRunner().invoke(
        cli_app(),
        [
            "baseline",
            "train",
            "--competition",
            str(tiny_competition),
            "--encoder",
            "xlm-roberta-base",
            "--out",
            str(tmp_path / "o"),
            "--quiet",
        ],
    )
    assert result.exit_code == 2
    said = " ".join(result.output.split())  # Rich wraps long lines
    assert "could not be loaded: offline" in said and "--encoder tiny" in said
    # the old name of --data still works for one release, and says so
    assert "--competition is now --data" in said


def test_predict_refuses_a_task_without_a_head(tiny_package: Path, tmp_path: Path) -> None:
    from podium.baseline.inference import Predictor, predict_dir

    inputs = tmp_path / "in" / "mnli"
    inputs.mkdir(parents=True)
    (inputs / "en.jsonl").write_text(json.dumps({"id": "1", "text_a": "a", "text_b": "b"}) + "\n")
    with pytest.raises(SystemExit, match="no head for task 'mnli'"):
        predict_dir(Predictor.load(tiny_package), tmp_path / "in", tmp_path / "out")
