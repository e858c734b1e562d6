"""Canaries at `prepare`: label-preserving copies sealed beside the originals, told apart by
nothing a submission sees, recorded only beside the labels, never scored."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from podium.config.layout import CompetitionLayout
from podium.config.spec import parse_spec
from podium.data.canaries import canaries_file, canary_map, canary_records
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
contrast_share = {contrast}
"""
ID = re.compile(r"^[a-z]+-[a-z]{2}-[0-9a-f]{12}$")


def _prepare(root: Path, sample: Path, share: float = 0.2, contrast: float = 0.2) -> Manifest:
    spec = parse_spec(SPEC.format(source=sample, share=share, contrast=contrast))
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


def _preserving(labels: Path, task: str, lang: str) -> dict[str, str]:
    """The label-preserving canaries of a split (the map also lists contrast canaries)."""
    return {
        str(r["id"]): str(r["original"])
        for r in canary_records(labels, task, lang)
        if r.get("kind") != "contrast"
    }


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
            pairs = _preserving(layout.labels_dir(split), task, lang)
            originals = len(inputs) - len(canary_map(layout.labels_dir(split), task, lang))
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
            if rec.get("kind") == "contrast":
                continue
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
            if rec.get("kind") == "contrast":
                continue
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
    manifest = _prepare(tmp_path, sample_dir, share=0, contrast=0)
    assert manifest.canaries is not None
    assert set(manifest.canaries.perturbations.values()) == {None}
    assert set(manifest.canaries.contrasts.values()) == {None}
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
    # a declared task's hook makes label-preserving copies only: no contrast canaries, stated
    assert "contrast canaries of reviews: no contrast canaries" in " ".join(shown.output.split())
    assert manifest.canaries.contrasts == {"reviews": None, "plain": None}
    assert "hook perturb:shout" in shown.output


def _contrasts(labels: Path, task: str, lang: str) -> list[dict[str, object]]:
    return [r for r in canary_records(labels, task, lang) if r.get("kind") == "contrast"]


def test_tagging_contrast_canaries_swap_tags_between_pairs_of_tokens(
    sealed: tuple[Path, Manifest],
) -> None:
    """Pairs of tokens of different tags each take a public token seen only with the other's
    tag: the original's tags are wrong there, and as a multiset the same (a model blind to
    the words copies as often as it follows)."""
    root, manifest = sealed
    layout = CompetitionLayout(root)
    registry = default_registry()
    assert manifest.canaries is not None
    for task in ("udpos", "panx"):
        tags_of: dict[str, set[str]] = {}
        for ex in read_xtreme_file(layout.public_dir / task / "train-en.tsv", registry.get(task)):
            for token, tag in zip(ex.tokens, ex.tags or (), strict=True):  # type: ignore[union-attr]
                tags_of.setdefault(token, set()).add(tag)
        inputs = _records(layout.inputs_dir("eval") / task / "en.jsonl")
        gold = _records(layout.labels_dir("eval") / task / "en.jsonl")
        found = _contrasts(layout.labels_dir("eval"), task, "en")
        assert len(found) == manifest.canaries.contrast_counts[task]["en"]["eval"] > 10
        for rec in found:
            assert ID.match(str(rec["id"])) and set(inputs[str(rec["id"])]) == {"id", "tokens"}
            old, new = inputs[str(rec["original"])]["tokens"], inputs[str(rec["id"])]["tokens"]
            was, now = gold[str(rec["original"])]["tags"], gold[str(rec["id"])]["tags"]
            where = rec["replaced"]
            assert isinstance(where, list) and where and len(where) % 2 == 0
            for i, (a, b) in enumerate(zip(old, new, strict=True)):  # type: ignore[call-overload]
                assert (a != b) == (i in where) and (was[i] != now[i]) == (i in where)  # type: ignore[index]
            for i in where:
                assert tags_of[new[i]] == {now[i]}  # type: ignore[index]
            assert sorted(was[i] for i in where) == sorted(now[i] for i in where)  # type: ignore[index]


def test_pair_contrast_canaries_take_another_items_second_text(
    sealed: tuple[Path, Manifest],
) -> None:
    """The first text kept, the second a donor's (nearer the original than the donor); the
    decoys are the other contrast canaries' originals, each once."""
    root, _ = sealed
    layout = CompetitionLayout(root)
    for task in ("xnli", "pawsx"):
        inputs = _records(layout.inputs_dir("eval") / task / "de.jsonl")
        found = _contrasts(layout.labels_dir("eval"), task, "de")
        assert len(found) > 5
        originals = [str(r["original"]) for r in found]
        for rec in found:
            new, old = inputs[str(rec["id"])], inputs[str(rec["original"])]
            donor = inputs[str(rec["donor"])]
            assert new["text_a"] == old["text_a"] and new["text_b"] == donor["text_b"]
            assert new["text_b"] != old["text_b"] and str(rec["donor"]) not in originals
            assert rec["decoy"] != rec["original"]
        assert sorted(str(r["decoy"]) for r in found) == sorted(originals)


def _answers(
    layout: CompetitionLayout, split: str, answer: object
) -> dict[tuple[str, str], dict[str, object]]:
    """Every id of four sealed files answered by `answer(task, id, gold, originals)`."""
    out: dict[tuple[str, str], dict[str, object]] = {}
    for task, lang in (("xnli", "de"), ("pawsx", "de"), ("udpos", "en"), ("panx", "en")):
        gold = {
            i: (tuple(r["tags"]) if "tags" in r else r["label"])  # type: ignore[arg-type]
            for i, r in _records(layout.labels_dir(split) / task / f"{lang}.jsonl").items()
        }
        originals = canary_map(layout.labels_dir(split), task, lang)
        out[(task, lang)] = {i: answer(task, i, gold, originals) for i in gold}  # type: ignore[operator]
    return out


def test_a_nearest_neighbour_lookup_is_suspect_by_its_contrast_canaries_alone(
    sealed: tuple[Path, Manifest],
) -> None:
    """Answering every canary with its original's gold answer (what a nearest-neighbour
    lookup does) passes the label-preserving test and fails the contrast test; a model that
    follows the change, and one blind to the input, are clean."""
    from podium.harness.scoring import canary_pairs
    from podium.rules.integrity import IntegrityRule, verdict

    root, _ = sealed
    layout = CompetitionLayout(root)
    tasks = {t: default_registry().get(t) for t in ("xnli", "pawsx", "udpos", "panx")}
    rule = IntegrityRule()

    def judge(answer: object) -> dict[str, object]:
        predictions = _answers(layout, "eval", answer)
        return verdict(canary_pairs(predictions, layout.labels_dir("eval"), tasks), rule)  # type: ignore[arg-type]

    lookup = judge(lambda task, i, gold, originals: gold[originals.get(i, i)])
    assert lookup["verdict"] == "suspect" and lookup["gap"] == 0.0
    assert lookup["canary_p_value"] == 1.0 and lookup["p_value"] < 1e-4
    contrast = lookup["contrast"]
    assert contrast["followed"] == 0 and contrast["copied"] > 20  # type: ignore[index]
    constant = {"xnli": "neutral", "pawsx": "0", "udpos": "NOUN", "panx": "O"}

    def follows(task: str, i: str, gold: dict[str, object], originals: object) -> object:
        return gold[i] if isinstance(gold[i], tuple) else constant[task]

    assert judge(follows)["verdict"] == "clean"
    blind = judge(
        lambda task, i, gold, originals: (
            (constant[task],) * len(gold[i]) if isinstance(gold[i], tuple) else constant[task]
        )
    )
    assert blind["verdict"] == "clean"
    assert blind["contrast"]["copied"] == blind["contrast"]["followed"]  # type: ignore[index]
