"""Canaries at `prepare`: label-preserving copies sealed beside the originals, told apart by
nothing a submission sees, recorded only beside the labels, never scored."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from podium.config.layout import CompetitionLayout
from podium.config.spec import parse_spec
from podium.data.canaries import canaries_file, canary_map
from podium.data.jsonl import iter_jsonl
from podium.data.prepare import Manifest, prepare, verify_manifest
from podium.data.sources import open_source
from podium.data.xtreme import read_xtreme_file
from podium.harness.scoring import score_predictions
from podium.tasks import default_registry

from ..conftest import SAMPLE

SPEC = """
name = "t"
[tasks.xnli]
languages = ["de"]
[tasks.pawsx]
languages = ["de"]
[tasks.udpos]
languages = ["en"]
[tasks.panx]
languages = ["en"]
[data]
source = "{source}"
max_examples_per_language = 400
[integrity]
canary_share = {share}
"""
ID = re.compile(r"^[a-z]+-[a-z]{2}-[0-9a-f]{12}$")


def _prepare(root: Path, sample: Path, share: float = 0.2) -> Manifest:
    spec = parse_spec(SPEC.format(source=sample, share=share))
    registry = default_registry()
    return prepare(
        spec,
        CompetitionLayout(root),
        open_source(spec, root, registry),
        source_label=str(sample),
        registry=registry,
    )


def _records(path: Path) -> dict[str, dict[str, object]]:
    return {str(rec["id"]): rec for _, rec in iter_jsonl(path)}


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    if not SAMPLE.is_dir():
        pytest.skip(f"the shared XTREME sample is not at {SAMPLE}")
    root = tmp_path_factory.mktemp("cup")
    return root, _prepare(root, SAMPLE)


def test_canaries_look_like_originals_and_keep_the_label(sealed: tuple[Path, Manifest]) -> None:
    root, manifest = sealed
    layout = CompetitionLayout(root)
    assert manifest.canaries is not None
    for task in ("xnli", "pawsx", "udpos", "panx"):
        lang = "en" if task in ("udpos", "panx") else "de"
        for split in ("eval", "final"):
            inputs_file = layout.inputs_dir(split) / task / f"{lang}.jsonl"
            inputs = _records(inputs_file)
            gold = _records(layout.labels_dir(split) / task / f"{lang}.jsonl")
            pairs = canary_map(layout.labels_dir(split), task, lang)
            originals = len(inputs) - len(pairs)
            # the share of each sealed split (rounded), and recorded in the manifest
            assert len(pairs) == manifest.canaries.counts[task][lang][split]
            assert abs(len(pairs) - 0.2 * originals) <= 1 + 0.05 * originals, (task, split)
            ids = [json.loads(line)["id"] for line in inputs_file.read_text().splitlines()]
            assert ids == sorted(ids)  # one order for all: by id
            for canary, original in pairs.items():
                assert ID.match(canary) and canary in inputs and original in inputs
                assert set(inputs[canary]) == set(inputs[original])  # same fields
                assert inputs[canary] != {**inputs[original], "id": canary}  # perturbed
                assert {k: v for k, v in gold[canary].items() if k != "id"} == {
                    k: v for k, v in gold[original].items() if k != "id"
                }
    # nothing under the inputs names a canary; the map is sealed beside the labels
    for path in (root / "sealed" / "inputs").rglob("*"):
        assert "canar" not in path.name
    verify_manifest(layout)


def test_tagging_canaries_use_public_tokens_of_the_same_tag(
    sealed: tuple[Path, Manifest],
) -> None:
    root, _ = sealed
    layout = CompetitionLayout(root)
    registry = default_registry()
    for task in ("udpos", "panx"):
        public = list(
            read_xtreme_file(layout.public_dir / task / "train-en.tsv", registry.get(task))
        )
        by_tag: dict[str, set[str]] = {}
        for ex in public:
            for token, tag in zip(ex.tokens, ex.tags or (), strict=True):  # type: ignore[union-attr]
                by_tag.setdefault(tag, set()).add(token)
        inputs = _records(layout.inputs_dir("eval") / task / "en.jsonl")
        gold = _records(layout.labels_dir("eval") / task / "en.jsonl")
        path = canaries_file(layout.labels_dir("eval"), task, "en")
        for _, rec in iter_jsonl(path):
            new, old = inputs[rec["id"]]["tokens"], inputs[rec["original"]]["tokens"]
            tags = gold[rec["id"]]["tags"]
            assert len(new) == len(old) == len(tags)  # type: ignore[arg-type]
            changed = [i for i, (a, b) in enumerate(zip(new, old, strict=True)) if a != b]  # type: ignore[call-overload]
            assert changed and set(changed) <= set(rec["replaced"])
            for i in changed:
                assert new[i] in by_tag[tags[i]]  # type: ignore[index]


def test_pair_canaries_replace_a_shared_word_and_swap_symmetric_pairs(
    sealed: tuple[Path, Manifest],
) -> None:
    root, _ = sealed
    layout = CompetitionLayout(root)
    swapped = {}
    for task in ("xnli", "pawsx"):
        inputs = _records(layout.inputs_dir("eval") / task / "de.jsonl")
        swapped[task] = 0
        for _, rec in iter_jsonl(canaries_file(layout.labels_dir("eval"), task, "de")):
            old, new = inputs[rec["original"]], inputs[rec["id"]]
            a, b = (
                (new["text_b"], new["text_a"]) if rec["swapped"] else (new["text_a"], new["text_b"])
            )
            swapped[task] += bool(rec["swapped"])
            word = re.compile(rf"(?<!\w){re.escape(str(rec['word']))}(?!\w)")
            for before, after in ((old["text_a"], a), (old["text_b"], b)):
                assert word.search(str(before)) and not word.search(str(after))
                assert word.sub(str(rec["by"]), str(before)) == after
    assert swapped["xnli"] == 0 and swapped["pawsx"] > 0  # only the symmetric task swaps


def test_canaries_never_count_in_scores(sealed: tuple[Path, Manifest]) -> None:
    """Perfect answers on originals and wrong ones on canaries still score 100."""
    root, _ = sealed
    layout = CompetitionLayout(root)
    registry = default_registry()
    tasks = {t: registry.get(t) for t in ("xnli", "udpos")}
    predictions = {}
    for task, lang in (("xnli", "de"), ("udpos", "en")):
        gold = _records(layout.labels_dir("eval") / task / f"{lang}.jsonl")
        pairs = canary_map(layout.labels_dir("eval"), task, lang)
        key = tasks[task].answer_key
        wrong = {"label": "nonsense", "tags": None}[key]
        predictions[(task, lang)] = {
            i: (wrong if i in pairs else rec[key])
            if key == "label"
            else (tuple("X" for _ in rec[key]) if i in pairs else tuple(rec[key]))  # type: ignore[union-attr]
            for i, rec in gold.items()
        }
    rows = score_predictions(predictions, layout.labels_dir("eval"), tasks)  # type: ignore[arg-type]
    assert rows and all(r.value == pytest.approx(100.0) for r in rows)
    originals = len(_records(layout.labels_dir("eval") / "xnli" / "de.jsonl")) - len(
        canary_map(layout.labels_dir("eval"), "xnli", "de")
    )
    assert next(r.count for r in rows if r.task == "xnli") == originals


def test_share_zero_turns_canaries_off(tmp_path: Path, sample_dir: Path) -> None:
    manifest = _prepare(tmp_path, sample_dir, share=0)
    assert manifest.canaries is not None
    assert set(manifest.canaries.perturbations.values()) == {None}
    assert not list((tmp_path / "sealed").rglob("*.canaries.jsonl"))


def test_the_same_seed_seals_the_same_canaries(
    tmp_path: Path, sealed: tuple[Path, Manifest]
) -> None:
    _, first = sealed
    again = _prepare(tmp_path, SAMPLE)
    assert again.files == first.files and again.canaries == first.canaries


DECLARED = """
name = "d"
[tasks.reviews]
type = "classification"
labels = ["bad", "good"]
canary = "perturb:shout"
[tasks.plain]
type = "classification"
labels = ["bad", "good"]
[integrity]
canary_share = 0.25
"""
HOOK = """
def shout(inputs, answer, rng):
    assert answer in ("bad", "good")
    return {"text": inputs["text"].upper() + "!" * rng.randint(1, 3)}
"""


@pytest.mark.store
def test_a_declared_task_takes_its_hook_and_one_without_has_none(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from podium.cli.main import app
    from podium.data.examples import GenericExample
    from podium.service import Podium

    (tmp_path / "perturb.py").write_text(HOOK)
    (tmp_path / "competition.toml").write_text(DECLARED)
    examples = {
        (task, "default"): [
            GenericExample({"text": f"a {w} stay #{i}"}, "good" if w == "great" else "bad")
            for i in range(200)
            for w in (("great", "dull")[i % 2],)
        ]
        for task in ("reviews", "plain")
    }
    podium = Podium.open(tmp_path)
    manifest = podium.setup.prepare_data(examples=examples)
    podium.close()
    assert manifest.canaries is not None
    assert manifest.canaries.perturbations == {"reviews": "hook perturb:shout", "plain": None}
    labels = CompetitionLayout(tmp_path).labels_dir("eval")
    inputs = _records(CompetitionLayout(tmp_path).inputs_dir("eval") / "reviews" / "default.jsonl")
    pairs = canary_map(labels, "reviews", "default")
    assert pairs and all(
        str(inputs[c]["text"]).startswith(str(inputs[o]["text"]).upper()) for c, o in pairs.items()
    )
    assert not canary_map(labels, "plain", "default")
    shown = CliRunner().invoke(app, ["data", "info", "-c", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    assert "canaries of plain: no canaries" in " ".join(shown.output.split())
    assert "hook perturb:shout" in shown.output
