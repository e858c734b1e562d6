"""Deterministic, atomic sealing: the same source and seed give the same bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from podium.data.examples import PairExample, TaggedExample
from podium.data.jsonl import iter_jsonl
from podium.data.prepare import load_manifest, prepare, verify_manifest
from podium.data.synthetic import generate_examples
from podium.errors import DataError
from podium.layout import CompetitionLayout
from podium.spec import parse_spec
from podium.tasks import default_registry

SPEC = """
name = "t"
[tasks.xnli]
languages = ["en", "de"]
[tasks.panx]
languages = ["en", "ja"]
[data]
seed = {seed}
"""


def _examples(seed: int = 3):  # type: ignore[no-untyped-def]
    reg = default_registry()
    return generate_examples([reg.get("xnli"), reg.get("panx")],
                             {"xnli": ["en", "de"], "panx": ["en", "ja"]}, seed=seed, per_language=200)  # fmt: skip


def _prepare(root: Path, seed: int = 1, examples=None):  # type: ignore[no-untyped-def]
    return prepare(parse_spec(SPEC.format(seed=seed)), CompetitionLayout(root),
                   examples or _examples(), source_label="test")  # fmt: skip


def test_same_source_and_seed_give_identical_files(tmp_path: Path) -> None:
    a, b = _prepare(tmp_path / "a"), _prepare(tmp_path / "b")
    assert a.files == b.files and a.counts == b.counts
    c = _prepare(tmp_path / "c", seed=2)
    assert c.files != a.files


def test_no_example_in_two_splits_and_no_labels_in_inputs(tmp_path: Path) -> None:
    layout = CompetitionLayout(tmp_path)
    manifest = _prepare(tmp_path)
    seen: dict[str, str] = {}
    for split in ("eval", "final"):
        for path in sorted(layout.inputs_dir(split).rglob("*.jsonl")):
            for _, rec in iter_jsonl(path):
                assert set(rec) in ({"id", "text_a", "text_b"}, {"id", "tokens"})
                key = json.dumps({k: v for k, v in rec.items() if k != "id"})
                assert key not in seen, f"in {seen.get(key)} and {split}"
                seen[key] = split
        labels = {
            r["id"] for p in layout.labels_dir(split).rglob("*.jsonl") for _, r in iter_jsonl(p)
        }
        inputs = {
            r["id"] for p in layout.inputs_dir(split).rglob("*.jsonl") for _, r in iter_jsonl(p)
        }
        assert labels == inputs
    counts = manifest.counts["xnli"]["en"]
    assert sum(counts.values()) == 200
    assert counts["eval"] == sum(
        1 for _ in iter_jsonl(layout.inputs_dir("eval") / "xnli" / "en.jsonl")
    )


def test_duplicates_are_kept_once(tmp_path: Path) -> None:
    ex = _examples()
    ex[("xnli", "en")] = ex[("xnli", "en")] + ex[("xnli", "en")][:50]
    assert sum(_prepare(tmp_path, examples=ex).counts["xnli"]["en"].values()) == 200


def test_cap_keeps_every_split_filled(tmp_path: Path) -> None:
    spec = parse_spec(SPEC.format(seed=1) + "max_examples_per_language = 50\n")
    manifest = prepare(spec, CompetitionLayout(tmp_path), _examples(), source_label="t")
    counts = manifest.counts["panx"]["ja"]
    assert sum(counts.values()) == 50 and counts["eval"] > 0 and counts["final"] > 0


def test_ids_do_not_depend_on_labels(tmp_path: Path) -> None:
    ex = _examples()
    flipped = dict(ex)
    flipped[("xnli", "en")] = [
        PairExample(e.text_a, e.text_b, "neutral") for e in ex[("xnli", "en")]
    ]  # type: ignore[union-attr]
    a, b = _prepare(tmp_path / "a", examples=ex), _prepare(tmp_path / "b", examples=flipped)
    assert (
        a.files["sealed/inputs/eval/xnli/en.jsonl"] == b.files["sealed/inputs/eval/xnli/en.jsonl"]
    )


def test_failure_leaves_the_folder_untouched(tmp_path: Path) -> None:
    ex = _examples()
    ex[("panx", "ja")] = [TaggedExample(("x",), ("O",))]  # one example cannot fill three splits
    with pytest.raises(DataError, match="leave none for"):
        _prepare(tmp_path, examples=ex)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_refuses_to_reseal_and_detects_tampering(tmp_path: Path) -> None:
    _prepare(tmp_path)
    with pytest.raises(DataError, match="already prepared"):
        _prepare(tmp_path)
    layout = CompetitionLayout(tmp_path)
    verify_manifest(layout)
    label_file = layout.labels_dir("eval") / "xnli" / "en.jsonl"
    label_file.write_text(label_file.read_text().replace("neutral", "entailment", 1))
    with pytest.raises(DataError, match="changed since it was sealed"):
        verify_manifest(layout)
    assert load_manifest(layout).languages("eval") == {"xnli": ["en", "de"], "panx": ["en", "ja"]}


def test_sample_data_prepares(tmp_path: Path, sample_dir: Path) -> None:
    from podium.data.prepare import load_source

    spec = parse_spec(
        f'name = "s"\n[data]\nsource = "{sample_dir}"\nmax_examples_per_language = 300\n'
    )
    examples, label = load_source(spec, tmp_path, default_registry())
    manifest = prepare(spec, CompetitionLayout(tmp_path), examples, source_label=label)
    assert set(manifest.languages("eval")["udpos"]) == {
        "en",
        "fr",
        "zh",
        "ar",
        "hi",
        "ja",
        "ru",
        "yo",
    }
    assert any("no labelled data" in w for w in manifest.warnings)


def test_thin_languages_are_warned_about(tmp_path: Path) -> None:
    manifest = _prepare(tmp_path)
    assert manifest.thin(minimum=10) == []
    warnings = manifest.thin(minimum=1000)
    assert len(warnings) == 4 and "xnli/en: only eval" in warnings[0]
