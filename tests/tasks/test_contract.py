"""The task contract for every task type and every built-in metric: inputs staged with exactly
the declared fields, predictions validated (good ones loaded, bad ones named), and scores equal
to reference implementations (scikit-learn, SciPy, seqeval)."""

from __future__ import annotations

import json
import math
import random
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats
from seqeval import metrics as seqeval_metrics
from sklearn import metrics as sk

from podium.config.layout import CompetitionLayout
from podium.config.spec import CompetitionSpec, competition_tasks, parse_spec
from podium.core.errors import PredictionError
from podium.data.examples import GenericExample
from podium.data.jsonl import iter_jsonl, write_jsonl
from podium.data.prepare import prepare
from podium.harness.scoring import score_predictions
from podium.metrics import METRIC_NAMES, builtin_metrics, compute_metric
from podium.submission.predictions import expected_files, read_predictions
from podium.tasks import Task, TaskRegistry, TaskType

TAGS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC")

# One task of each type, declared in competition.toml as an organizer would.
SPEC = f"""
name = "contract"
[tasks.sentiment]
type = "classification"
labels = ["neg", "neu", "pos"]
metrics = ["accuracy", "macro_f1"]
languages = ["en", "fr"]

[tasks.paraphrase]
type = "pair_classification"
labels = ["0", "1"]

[tasks.ner]
type = "tagging"
labels = {json.dumps(list(TAGS))}
metrics = ["span_f1", "token_accuracy"]

[tasks.price]
type = "regression"
inputs = ["text", "rooms", "features"]
metric = "spearman"
metrics = ["pearson", "spearman", "mae", "rmse"]

[data]
max_examples_per_language = 400
"""

TYPE_OF_TASK = {
    "sentiment": TaskType.CLASSIFICATION,
    "paraphrase": TaskType.PAIR_CLASSIFICATION,
    "ner": TaskType.TAGGING,
    "price": TaskType.REGRESSION,
}
TASK_OF_TYPE = {t: name for name, t in TYPE_OF_TASK.items()}


def _example(task: str, rng: random.Random, i: int) -> GenericExample:
    words = [f"w{rng.randrange(50)}" for _ in range(rng.randint(1, 8))]
    text = " ".join(words) + f" #{i}"  # unique inputs: nothing is de-duplicated away
    if task == "sentiment":
        return GenericExample({"text": text}, rng.choice(["neg", "neu", "pos"]))
    if task == "paraphrase":
        return GenericExample({"text_a": text, "text_b": " ".join(words[::-1])}, rng.choice("01"))
    if task == "ner":
        tokens = [*words, f"#{i}"]
        return GenericExample({"tokens": tokens}, tuple(rng.choice(TAGS) for _ in tokens))
    rooms = rng.randint(1, 6)
    features = [round(rng.uniform(-1, 1), 3) for _ in range(3)]
    value = 50.0 * rooms + 20 * features[0] + rng.gauss(0, 10)
    return GenericExample({"text": text, "rooms": rooms, "features": features}, value)


def generated_pools(tasks: TaskRegistry, n: int = 120, seed: int = 3) -> dict[Any, Any]:
    rng = random.Random(seed)
    return {
        (task.id, lang): [_example(task.id, rng, i) for i in range(n)]
        for task in tasks
        for lang in task.languages
    }


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> tuple[CompetitionSpec, TaskRegistry, Path]:
    spec = parse_spec(SPEC)
    tasks = competition_tasks(spec)
    root = tmp_path_factory.mktemp("contract")
    prepare(
        spec,
        CompetitionLayout(root),
        generated_pools(tasks),
        source_label="generated",
        registry=tasks,
    )
    return spec, tasks, root


def test_the_spec_declares_one_task_of_each_type(staged: tuple[Any, TaskRegistry, Path]) -> None:
    _, tasks, _ = staged
    assert {t.id: t.type for t in tasks} == TYPE_OF_TASK
    assert tasks.get("paraphrase").inputs == ("text_a", "text_b")
    assert tasks.get("ner").inputs == ("tokens",)
    assert tasks.get("sentiment").languages == ("en", "fr")
    assert tasks.get("price").languages == ("default",)


@pytest.mark.parametrize("task_type", list(TaskType))
def test_inputs_hold_id_and_the_declared_fields_labels_the_answer(
    staged: tuple[Any, TaskRegistry, Path], task_type: TaskType
) -> None:
    _, tasks, root = staged
    task = tasks.get(TASK_OF_TYPE[task_type])
    layout = CompetitionLayout(root)
    for split in ("eval", "final"):
        for lang in task.languages:
            inputs = [
                r for _, r in iter_jsonl(layout.inputs_dir(split) / task.id / f"{lang}.jsonl")
            ]
            labels = [
                r for _, r in iter_jsonl(layout.labels_dir(split) / task.id / f"{lang}.jsonl")
            ]
            assert inputs and [r["id"] for r in inputs] == [r["id"] for r in labels]
            assert all(list(r) == ["id", *task.inputs] for r in inputs)
            assert all(list(r) == ["id", task.answer_key] for r in labels)
            if task_type is TaskType.REGRESSION:
                assert all(isinstance(r["rooms"], int) for r in inputs)
                assert all(isinstance(r["value"], float) for r in labels)
                assert all(isinstance(r["features"], list) for r in inputs)
    # the public share is JSON Lines with the answer, for training
    public = sorted(p.name for p in (layout.public_dir / task.id).iterdir())
    assert public and all(p.endswith(".jsonl") for p in public)
    first = next(iter_jsonl(layout.public_dir / task.id / public[0]))[1]
    assert list(first) == ["id", *task.inputs, task.answer_key]


# --- predictions ------------------------------------------------------------------------------


def _gold(root: Path, task: Task, lang: str, split: str = "eval") -> dict[str, Any]:
    path = CompetitionLayout(root).labels_dir(split) / task.id / f"{lang}.jsonl"
    return {r["id"]: r[task.answer_key] for _, r in iter_jsonl(path)}


def _write_predictions(
    out: Path, root: Path, tasks: TaskRegistry, change: Callable[[Task, Any, random.Random], Any]
) -> None:
    rng = random.Random(11)
    for task in tasks:
        for lang in task.languages:
            write_jsonl(
                out / task.id / f"{lang}.jsonl",
                (
                    {"id": rid, task.answer_key: change(task, answer, rng)}
                    for rid, answer in _gold(root, task, lang).items()
                ),
            )


def _noisy(task: Task, answer: Any, rng: random.Random) -> Any:
    """A plausible prediction: right about two times in three."""
    if task.type is TaskType.REGRESSION:
        return answer + rng.gauss(0, 15)
    if task.type is TaskType.TAGGING:
        return [t if rng.random() < 0.7 else rng.choice(TAGS) for t in answer]
    return answer if rng.random() < 0.6 else rng.choice(task.labels)


def _expected(root: Path, tasks: TaskRegistry) -> list[Any]:
    return expected_files(
        CompetitionLayout(root).inputs_dir("eval"),
        {t.id: t for t in tasks},
        {t.id: list(t.languages) for t in tasks},
    )


def test_good_predictions_of_every_type_load(
    staged: tuple[Any, TaskRegistry, Path], tmp_path: Path
) -> None:
    _, tasks, root = staged
    _write_predictions(tmp_path / "out", root, tasks, _noisy)
    loaded = read_predictions(tmp_path / "out", _expected(root, tasks))
    assert set(loaded) == {(t.id, lang) for t in tasks for lang in t.languages}
    price = loaded[("price", "default")]
    assert all(type(v) is float for v in price.values())
    assert all(type(v) is tuple for v in loaded[("ner", "default")].values())
    assert all(v in ("neg", "neu", "pos") for v in loaded[("sentiment", "fr")].values())


# (task type, the JSON text of the answer, what the problem says)
BAD_ANSWERS = [
    (TaskType.CLASSIFICATION, '"great"', "label \"great\" is not one of ['neg', 'neu', 'pos']"),
    (TaskType.CLASSIFICATION, "1", "label 1 is not one of"),
    (TaskType.CLASSIFICATION, "null", "label null is not one of"),
    (TaskType.CLASSIFICATION, '["neg"]', "label ['neg'] is not one of"),
    (TaskType.PAIR_CLASSIFICATION, "1", "label 1 is not one of ['0', '1'] (labels are strings)"),
    (TaskType.PAIR_CLASSIFICATION, "true", "label true is not one of"),
    (TaskType.TAGGING, '"O O"', "'tags' must be a list of strings"),
    (TaskType.TAGGING, "[]", "0 tags for"),
    (TaskType.TAGGING, "[1, 2]", "'tags' must be a list of strings"),
    (TaskType.REGRESSION, '"12.5"', "'value' must be a finite number, got \"12.5\""),
    (TaskType.REGRESSION, "true", "'value' must be a finite number, got true"),
    (TaskType.REGRESSION, "null", "'value' must be a finite number, got null"),
    (TaskType.REGRESSION, "[1.0]", "'value' must be a finite number"),
    (TaskType.REGRESSION, "1e999", "'value' must be a finite number, got inf"),
    (TaskType.REGRESSION, "-1e400", "'value' must be a finite number, got -inf"),
    (TaskType.REGRESSION, "1" + "0" * 400, "'value' must be a finite number"),
    (TaskType.REGRESSION, "NaN", "not valid JSON (NaN is not a JSON number)"),
    (TaskType.REGRESSION, "Infinity", "not valid JSON (Infinity is not a JSON number)"),
    (TaskType.REGRESSION, "1" * 5000, "not valid JSON"),
    (TaskType.REGRESSION, "[" * 100_000 + "]" * 100_000, "nested too deeply"),
]


@pytest.mark.parametrize(("task_type", "answer", "message"), BAD_ANSWERS)
def test_bad_answers_are_named_with_file_and_line(
    staged: tuple[Any, TaskRegistry, Path],
    tmp_path: Path,
    task_type: TaskType,
    answer: str,
    message: str,
) -> None:
    _, tasks, root = staged
    out = tmp_path / "out"
    _write_predictions(out, root, tasks, lambda task, gold, rng: gold)
    target = tasks.get(TASK_OF_TYPE[task_type])
    path = out / target.id / f"{target.languages[-1]}.jsonl"
    lines = path.read_text().splitlines()
    first_id = json.loads(lines[1])["id"]
    lines[1] = f'{{"id": "{first_id}", "{target.answer_key}": {answer}}}'
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(PredictionError) as err:
        read_predictions(out, _expected(root, tasks))
    assert f"{target.id}/{target.languages[-1]}.jsonl:2: " in err.value.what
    assert message in err.value.what


@pytest.mark.parametrize("task_type", list(TaskType))
def test_a_prediction_without_its_answer_key_says_which_key(
    staged: tuple[Any, TaskRegistry, Path], tmp_path: Path, task_type: TaskType
) -> None:
    _, tasks, root = staged
    target = tasks.get(TASK_OF_TYPE[task_type])
    wrong = "value" if target.answer_key != "value" else "label"
    out = tmp_path / "out"
    _write_predictions(out, root, tasks, lambda task, gold, rng: gold)
    path = out / target.id / f"{target.languages[0]}.jsonl"
    lines = path.read_text().splitlines()
    record = json.loads(lines[0])
    lines[0] = json.dumps({"id": record["id"], wrong: record[target.answer_key]})
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(PredictionError, match=f"no '{target.answer_key}'"):
        read_predictions(out, _expected(root, tasks))


# --- scores against reference implementations ------------------------------------------------


def _flat(tags: Sequence[Sequence[str]]) -> list[str]:
    return [t for sentence in tags for t in sentence]


def _quiet(function: Callable[..., Any], *args: Any, **kwargs: Any) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns on constant input; we compare the value
        value = float(function(*args, **kwargs))
    return 0.0 if math.isnan(value) else value  # podium's documented convention: undefined is 0


# metric -> reference on (gold, pred), in podium's scale
REFERENCES: dict[str, Callable[[Any, Any], float]] = {
    "accuracy": lambda g, p: 100 * sk.accuracy_score(g, p),
    "macro_f1": lambda g, p: 100 * sk.f1_score(g, p, average="macro", zero_division=0),
    "span_f1": lambda g, p: (
        100 * seqeval_metrics.f1_score([list(s) for s in g], [list(s) for s in p])
    ),
    "token_accuracy": lambda g, p: 100 * sk.accuracy_score(_flat(g), _flat(p)),
    # fewer than two items: scipy refuses, podium scores 0 (undefined)
    "pearson": lambda g, p: (
        100 * _quiet(lambda: stats.pearsonr(g, p).statistic) if len(g) > 1 else 0
    ),
    "spearman": lambda g, p: (
        100 * _quiet(lambda: stats.spearmanr(g, p).statistic) if len(g) > 1 else 0
    ),
    "mae": lambda g, p: sk.mean_absolute_error(g, p),
    "rmse": lambda g, p: math.sqrt(sk.mean_squared_error(g, p)),
}
TYPE_OF_VALUES = {"label": TaskType.CLASSIFICATION, "tags": TaskType.TAGGING}


def test_every_built_in_metric_has_a_reference() -> None:
    assert set(REFERENCES) == set(METRIC_NAMES) == set(builtin_metrics())


@pytest.mark.parametrize("metric", METRIC_NAMES)
def test_scores_equal_the_reference_end_to_end(
    staged: tuple[Any, TaskRegistry, Path], tmp_path: Path, metric: str
) -> None:
    _, tasks, root = staged
    values = builtin_metrics()[metric].values
    task = next(t for t in tasks if t.answer_key == values and metric in t.metrics)
    _write_predictions(tmp_path / "out", root, tasks, _noisy)
    loaded = read_predictions(tmp_path / "out", _expected(root, tasks))
    rows = score_predictions(
        {k: v for k, v in loaded.items() if k[0] == task.id},
        CompetitionLayout(root).labels_dir("eval"),
        {task.id: task},
    )
    assert {r.metric for r in rows} == set(task.metrics)
    for row in (r for r in rows if r.metric == metric):
        gold = _gold(root, task, row.language)
        ids = sorted(gold)
        pred = loaded[(task.id, row.language)]
        expected = REFERENCES[metric]([gold[i] for i in ids], [pred[i] for i in ids])
        assert row.value == pytest.approx(expected, rel=1e-9, abs=1e-9)
        assert row.count == len(ids)
        if values != "value":
            assert 0 < row.value < 100  # a noisy submission is neither perfect nor worthless


def _random_case(metric: str, rng: random.Random, n: int) -> tuple[list[Any], list[Any]]:
    values = builtin_metrics()[metric].values
    if values == "label":
        labels = ["a", "b", "c", "d"][: rng.randint(1, 4)]
        return [rng.choice(labels) for _ in range(n)], [rng.choice(labels) for _ in range(n)]
    if values == "tags":
        lengths = [rng.randint(1, 5) for _ in range(n)]
        gold = [[rng.choice(TAGS) for _ in range(k)] for k in lengths]
        return gold, [[rng.choice(TAGS) for _ in range(k)] for k in lengths]
    scale = rng.choice([1e-6, 1.0, 1e6])
    gold = [round(rng.gauss(0, scale), rng.randint(0, 3)) for _ in range(n)]
    return gold, [g + rng.gauss(0, scale) if rng.random() < 0.8 else g for g in gold]


@pytest.mark.parametrize("metric", METRIC_NAMES)
@pytest.mark.parametrize("seed", range(25))
def test_random_cases_match_the_reference(metric: str, seed: int) -> None:
    rng = random.Random(seed)
    gold, pred = _random_case(metric, rng, rng.randint(1, 40))
    expected = REFERENCES[metric](gold, pred)
    assert compute_metric(metric, gold, pred) == pytest.approx(expected, rel=1e-9, abs=1e-9)


EDGE_CASES: list[tuple[str, list[Any], list[Any], float]] = [
    # a constant side makes a correlation 0/0: podium scores it 0 (scipy: nan and a warning)
    ("pearson", [1.0, 2.0, 3.0], [5.0, 5.0, 5.0], 0.0),
    ("pearson", [4.0, 4.0], [1.0, 2.0], 0.0),
    ("spearman", [1.0, 2.0, 3.0], [7.0, 7.0, 7.0], 0.0),
    ("pearson", [2.0], [3.0], 0.0),  # one item: undefined
    ("spearman", [2.0], [3.0], 0.0),
    ("pearson", [1.0, 2.0, 3.0], [2.0, 4.0, 6.0], 100.0),
    ("pearson", [1.0, 2.0, 3.0], [3.0, 2.0, 1.0], -100.0),
    ("spearman", [1.0, 2.0, 3.0, 4.0], [1.0, 10.0, 100.0, 1000.0], 100.0),
    ("spearman", [1.0, 1.0, 2.0], [3.0, 3.0, 1.0], -100.0),  # ties share their rank
    ("mae", [1.0, 2.0], [1.0, 2.0], 0.0),
    ("rmse", [0.0, 0.0], [3.0, -4.0], math.sqrt(12.5)),
    ("mae", [], [], 0.0),
    ("accuracy", [], [], 0.0),
    ("macro_f1", [], [], 0.0),
    ("macro_f1", ["a", "a"], ["b", "b"], 0.0),
    ("macro_f1", ["a", "b"], ["a", "b"], 100.0),
]


@pytest.mark.parametrize(("metric", "gold", "pred", "expected"), EDGE_CASES)
def test_edge_cases(metric: str, gold: list[Any], pred: list[Any], expected: float) -> None:
    assert compute_metric(metric, gold, pred) == pytest.approx(expected, abs=1e-12)
    if gold:
        assert REFERENCES[metric](gold, pred) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("metric", ["pearson", "spearman", "mae", "rmse"])
def test_number_metrics_refuse_what_is_not_a_finite_number(metric: str) -> None:
    with pytest.raises(ValueError, match="not a finite number"):
        compute_metric(metric, [1.0, 2.0], [1.0, float("nan")])
    with pytest.raises(ValueError, match="gold has 2 values but pred has 1"):
        compute_metric(metric, [1.0, 2.0], [1.0])


def test_directions_and_scales_are_declared() -> None:
    lower = {m.name for m in builtin_metrics().values() if not m.higher_is_better}
    assert lower == {"mae", "rmse"}
    assert {m.values for m in builtin_metrics().values()} == {"label", "tags", "value"}
    assert all(
        builtin_metrics()[m].scale == "0-100"
        for m in ("accuracy", "macro_f1", "span_f1", "token_accuracy")
    )


def test_spearman_matches_scipy_on_many_ties() -> None:
    rng = np.random.default_rng(5)
    gold = rng.integers(0, 4, 300).astype(float).tolist()
    pred = (np.array(gold) + rng.integers(-1, 2, 300)).tolist()
    expected = 100 * stats.spearmanr(gold, pred).statistic
    assert compute_metric("spearman", gold, pred) == pytest.approx(expected, rel=1e-12)
