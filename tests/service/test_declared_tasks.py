"""Competitions whose tasks are declared in competition.toml, end to end through `Podium`:
examples generated here are prepared, real submissions run, and the leaderboard ranks them
by the declared metrics (a lower-is-better one included, and an organizer's own)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from scipy import stats

from podium.core.errors import DataError, SpecError
from podium.data.examples import GenericExample
from podium.data.jsonl import iter_jsonl
from podium.service import Podium

from ..conftest import write_submission

STAGES = """
[[stages]]
name = "evaluation"
split = "eval"
attempts = 3
[sandbox]
timeout_seconds = 20.0
"""

REVIEWS_AND_PRICES = (
    """
name = "reviews and prices"
[tasks.reviews]
type = "classification"
labels = ["bad", "good"]
metrics = ["accuracy", "macro_f1"]

[tasks.price]
type = "regression"
inputs = ["rooms", "features"]
metric = "spearman"
metrics = ["spearman", "pearson", "rmse"]
"""
    + STAGES
)

# Reads every input file; a "smart" team uses the inputs, a constant one does not.
PREDICT = """
import json, os, pathlib, sys
SMART = {smart}
src, dst = pathlib.Path(os.environ["PODIUM_INPUT_DIR"]), pathlib.Path(os.environ["PODIUM_OUTPUT_DIR"])
for f in sorted(src.glob("*/*.jsonl")):
    (dst / f.parent.name).mkdir(parents=True, exist_ok=True)
    with f.open() as fin, (dst / f.parent.name / f.name).open("w") as fout:
        for line in fin:
            r = json.loads(line)
            if "text" in r:
                good = "great" in r["text"] if SMART else False
                out = {{"id": r["id"], "label": "good" if good else "bad"}}
            else:
                value = 100.0 * r["rooms"] + r["features"][0] if SMART else 250.0
                out = {{"id": r["id"], "value": value}}
            fout.write(json.dumps(out) + "\\n")
"""


def _examples(seed: int = 1, n: int = 150) -> dict[tuple[str, str], list[Any]]:
    rng = random.Random(seed)
    reviews = []
    prices = []
    for i in range(n):
        good = rng.random() < 0.5
        word = "great" if good else rng.choice(["awful", "dull"])
        reviews.append(GenericExample({"text": f"a {word} stay #{i}"}, "good" if good else "bad"))
        rooms = rng.randint(1, 5)
        features = [round(rng.uniform(-50, 50), 2), i]
        prices.append(GenericExample({"rooms": rooms, "features": features}, 100.0 * rooms))
    return {("reviews", "default"): reviews, ("price", "default"): prices}


def _open(tmp_path: Path, spec: str, files: dict[str, str] | None = None) -> Podium:
    root = tmp_path / "cup"
    root.mkdir()
    (root / "competition.toml").write_text(spec)
    for name, text in (files or {}).items():
        (root / name).write_text(text)
    return Podium.open(root)


def _gold_and_inputs(p: Podium, task: str) -> tuple[dict[str, Any], dict[str, Any]]:
    layout = p.competition.layout
    key = p.competition.registry.get(task).answer_key
    gold = {
        r["id"]: r[key] for _, r in iter_jsonl(layout.labels_dir("eval") / task / "default.jsonl")
    }
    inputs = {r["id"]: r for _, r in iter_jsonl(layout.inputs_dir("eval") / task / "default.jsonl")}
    return gold, inputs


def test_classification_and_regression_tasks_end_to_end(tmp_path: Path) -> None:
    p = _open(tmp_path, REVIEWS_AND_PRICES)
    manifest = p.setup.prepare_data(examples=_examples())
    assert set(manifest.counts) == {"reviews", "price"}
    p.setup.add_team("Smart")
    p.setup.add_team("Flat")
    p.setup.open_stage("evaluation")
    p.submissions.submit(
        write_submission(tmp_path / "smart", PREDICT.format(smart=True)), team="Smart"
    )
    p.submissions.submit(
        write_submission(tmp_path / "flat", PREDICT.format(smart=False)), team="Flat"
    )
    outcomes = p.evaluation.evaluate_pending()
    assert [o.status for o in outcomes] == ["scored", "scored"], [o.error for o in outcomes]

    board = p.results.leaderboard("evaluation", organizer=True)
    assert board.rule.higher_is_better
    assert [r.team for r in board.rows] == ["Smart", "Flat"]
    smart, flat = board.rows
    gold, inputs = _gold_and_inputs(p, "price")
    ids = sorted(gold)
    truth = [gold[i] for i in ids]
    predicted = [100.0 * inputs[i]["rooms"] + inputs[i]["features"][0] for i in ids]
    spearman = 100 * stats.spearmanr(truth, predicted).statistic
    assert 50 < spearman < 100
    assert smart.aggregate.tasks == {"reviews": 100.0, "price": pytest.approx(spearman)}
    # the flat team's constant value has no correlation: 0, not NaN
    assert flat.aggregate.tasks["price"] == 0.0
    gold, _ = _gold_and_inputs(p, "reviews")
    share_bad = 100 * sum(v == "bad" for v in gold.values()) / len(gold)
    assert flat.aggregate.tasks["reviews"] == pytest.approx(share_bad)
    assert smart.aggregate.overall == pytest.approx((100.0 + spearman) / 2)
    assert flat.aggregate.overall == pytest.approx(share_bad / 2)

    # every reported metric is stored, and equals the reference implementation
    scores = p.results.run(outcomes[0].run_id).scores
    pearson = next(s.value for s in scores if s.task == "price" and s.metric == "pearson")
    expected = 100 * stats.pearsonr(truth, predicted).statistic
    assert pearson == pytest.approx(expected, rel=1e-9)
    assert {(s.task, s.metric) for s in scores} == {
        ("reviews", "accuracy"),
        ("reviews", "macro_f1"),
        ("price", "spearman"),
        ("price", "pearson"),
        ("price", "rmse"),
    }
    p.close()


def test_an_error_metric_ranks_the_lowest_first(tmp_path: Path) -> None:
    spec = (
        """
name = "prices"
[tasks.price]
type = "regression"
inputs = ["rooms", "features"]
metric = "rmse"
"""
        + STAGES
    )
    p = _open(tmp_path, spec)
    p.setup.prepare_data(examples={("price", "default"): _examples()[("price", "default")]})
    for team in ("Flat", "Smart"):
        p.setup.add_team(team)
    p.setup.open_stage("evaluation")
    p.submissions.submit(
        write_submission(tmp_path / "flat", PREDICT.format(smart=False)), team="Flat"
    )
    p.submissions.submit(
        write_submission(tmp_path / "smart", PREDICT.format(smart=True)), team="Smart"
    )
    # a second, worse attempt of the smart team must not replace its best (lowest) error
    p.submissions.submit(
        write_submission(tmp_path / "flat2", PREDICT.format(smart=False)), team="Smart"
    )
    assert [o.status for o in p.evaluation.evaluate_pending()] == ["scored"] * 3

    board = p.results.leaderboard("evaluation", organizer=True)
    assert not board.rule.higher_is_better
    assert [r.team for r in board.rows] == ["Smart", "Flat"]
    smart, flat = board.rows
    assert smart.performance_place == 1 and smart.attempt == 1
    assert 0 < smart.aggregate.overall < 30 < flat.aggregate.overall  # features[0] is the noise
    p.close()


SCORING = """
def within_ten(gold, pred):
    '''Share of values within 10 of the truth, in percent.'''
    return 100.0 * sum(abs(g - p) <= 10 for g, p in zip(gold, pred)) / len(gold)

LIMIT = 3
"""


def test_a_custom_metric_from_the_competition_folder(tmp_path: Path) -> None:
    spec = (
        """
name = "custom"
[tasks.price]
type = "regression"
inputs = ["rooms", "features"]
metric = "scoring:within_ten"
metrics = ["scoring:within_ten", "mae"]
"""
        + STAGES
    )
    p = _open(tmp_path, spec, {"scoring.py": SCORING})
    p.setup.prepare_data(examples={("price", "default"): _examples()[("price", "default")]})
    p.setup.add_team("Smart")
    p.setup.open_stage("evaluation")
    p.submissions.submit(
        write_submission(tmp_path / "smart", PREDICT.format(smart=True)), team="Smart"
    )
    [outcome] = p.evaluation.evaluate_pending()
    assert outcome.status == "scored", outcome.error
    gold, inputs = _gold_and_inputs(p, "price")
    within = [abs(inputs[i]["features"][0]) <= 10 for i in gold]
    [row] = p.results.leaderboard("evaluation", organizer=True).rows
    assert row.aggregate.tasks["price"] == pytest.approx(100.0 * sum(within) / len(within))
    p.close()


@pytest.mark.parametrize(
    ("metric", "message", "hint"),
    [
        (
            "scoring:within_tem",
            "module 'scoring' has no 'within_tem'",
            "did you mean 'within_ten'?",
        ),
        ("scoring:LIMIT", "'LIMIT' is a int, not a function", "def LIMIT(gold, pred)"),
        ("nowhere_to_be_found:f", "metric module 'nowhere_to_be_found' is not in", "beside"),
    ],
)
def test_a_broken_custom_metric_stops_prepare_with_a_clear_error(
    tmp_path: Path, metric: str, message: str, hint: str
) -> None:
    spec = (
        f'''
name = "custom"
[tasks.price]
type = "regression"
metric = "{metric}"
'''
        + STAGES
    )
    p = _open(tmp_path, spec, {"scoring.py": SCORING})
    with pytest.raises(SpecError) as err:
        p.setup.prepare_data(examples={("price", "default"): []})
    assert message in err.value.what
    assert hint in (err.value.hint or "")
    assert not p.competition.layout.sealed_dir.exists()
    p.close()


def test_records_that_do_not_fit_their_task_are_refused_at_prepare(tmp_path: Path) -> None:
    p = _open(tmp_path, REVIEWS_AND_PRICES)
    examples = _examples()
    examples[("price", "default")][3] = GenericExample(
        {"rooms": 2, "features": [1.0, 2]}, float("nan")
    )
    with pytest.raises(
        DataError, match=r"price/default example #4: value nan is not a finite number"
    ):
        p.setup.prepare_data(examples=examples)
    examples = _examples()
    examples[("reviews", "default")][0] = GenericExample({"text": "x", "stars": 5}, "good")
    with pytest.raises(DataError, match=r"field\(s\) 'stars' are not inputs of reviews"):
        p.setup.prepare_data(examples=examples)
    assert not p.competition.layout.sealed_dir.exists()
    p.close()


def test_a_regression_task_tsv_is_read_by_its_header_not_as_xtreme(tmp_path: Path) -> None:
    # a regression task's .tsv files are records with a header row (see podium.data.tables):
    # an XTREME-style line without one is refused by its columns, naming the file
    (tmp_path / "src" / "price").mkdir(parents=True)
    (tmp_path / "src" / "price" / "train-default.tsv").write_text("a\tb\t1.0\n")
    spec = (
        'name = "prices"\n[tasks.price]\ntype = "regression"\nmetric = "mae"\n'
        f'[data]\nsource = "{tmp_path / "src"}"\n' + STAGES
    )
    p = _open(tmp_path, spec)
    with pytest.raises(DataError, match="no column 'text' for price") as err:
        p.setup.prepare_data()
    assert str(err.value.where).endswith("train-default.tsv")
    p.close()


def test_mean_rank_ranks_an_error_metric_lowest_first_beside_an_accuracy(tmp_path: Path) -> None:
    spec = REVIEWS_AND_PRICES.replace('metric = "spearman"', 'metric = "rmse"')
    (tmp_path / "mean").mkdir()
    with pytest.raises(SpecError, match="mix directions"):
        _open(tmp_path / "mean", spec)
    p = _open(tmp_path, spec + '[leaderboard]\naggregate = "mean_rank"\n')
    p.setup.prepare_data(examples=_examples())
    for team in ("Smart", "Flat"):
        p.setup.add_team(team)
    p.setup.open_stage("evaluation")
    for team, smart in (("Smart", True), ("Flat", False)):
        folder = write_submission(tmp_path / team, PREDICT.format(smart=smart))
        p.submissions.submit(folder, team=team)
    assert {o.status for o in p.evaluation.evaluate_pending()} == {"scored"}
    board = p.results.leaderboard("evaluation", organizer=True)
    smart, flat = board.rows
    assert smart.aggregate.tasks["price"] < flat.aggregate.tasks["price"]  # a smaller error
    assert (smart.team, smart.overall, flat.overall) == ("Smart", 100.0, 0.0)
    assert board.rule.higher_is_better and board.aggregate == "mean_rank"
    assert "mean rank" in board.overall_text and "price rmse" in board.overall_text


def test_a_team_checks_its_submission_on_the_exported_records(tmp_path: Path) -> None:
    from podium.config.spec import SandboxSpec
    from podium.harness.check import check_submission

    p = _open(tmp_path, REVIEWS_AND_PRICES)
    p.setup.prepare_data(examples=_examples(n=300))
    public = p.setup.export_public(tmp_path / "public")
    assert (public / "tasks.json").is_file() and any(public.glob("price/dev-*.jsonl"))
    folder = write_submission(tmp_path / "smart", PREDICT.format(smart=True))
    report = check_submission(folder, public, sandbox=SandboxSpec(runner="subprocess"))
    assert report.result.status == "scored", report.result.error
    assert set(report.task_scores) == {"reviews", "price"}
    assert report.task_scores["reviews"] == 100.0
