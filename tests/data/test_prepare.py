"""Deterministic, atomic sealing: the same source and seed give the same bytes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from podium.config.layout import CompetitionLayout
from podium.config.spec import parse_spec
from podium.core.errors import DataError
from podium.data.examples import Example, PairExample, TaggedExample
from podium.data.jsonl import iter_jsonl
from podium.data.prepare import (
    Manifest,
    load_manifest,
    prepare,
    split_inputs_sha256,
    verify_manifest,
)
from podium.data.sources import load_source
from podium.data.synthetic import generate_examples
from podium.data.xtreme import read_xtreme_file
from podium.tasks import default_registry

SPEC = """
name = "t"
[tasks.xnli]
languages = ["en", "de"]
[tasks.panx]
languages = ["en", "ja"]
[integrity]
canary_share = 0
contrast_share = 0
[data]
seed = {seed}
"""


def _examples(seed: int = 3) -> dict[tuple[str, str], list[Example]]:
    reg = default_registry()
    return generate_examples(
        [reg.get("xnli"), reg.get("panx")],
        {"xnli": ["en", "de"], "panx": ["en", "ja"]},
        seed=seed,
        per_language=200,
    )


def _prepare(
    root: Path, seed: int = 1, examples: Mapping[tuple[str, str], Sequence[Example]] | None = None
) -> Manifest:
    spec = parse_spec(SPEC.format(seed=seed))
    return prepare(
        spec,
        CompetitionLayout(root),
        examples or _examples(),
        source_label="test",
        registry=default_registry(),
    )


def _relabelled(examples: Sequence[Example], label: str) -> list[Example]:
    out: list[Example] = []
    for e in examples:
        assert isinstance(e, PairExample)
        out.append(PairExample(e.text_a, e.text_b, label))
    return out


def test_synthetic_examples_made_again_in_a_process_are_the_same_and_the_callers_own() -> None:
    """Made once per process (a cache): the second call equals the first, each caller gets
    lists of its own, and another seed gives other examples."""
    first, second = _examples(), _examples()
    assert first == second and all(first[k] is not second[k] for k in first)
    first[("xnli", "en")].clear()
    assert len(_examples()[("xnli", "en")]) == 200
    assert _examples(seed=4)[("panx", "ja")] != second[("panx", "ja")]


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
    manifest = prepare(
        spec,
        CompetitionLayout(tmp_path),
        _examples(),
        source_label="t",
        registry=default_registry(),
    )
    counts = manifest.counts["panx"]["ja"]
    assert sum(counts.values()) == 50 and counts["eval"] > 0 and counts["final"] > 0


def test_ids_do_not_depend_on_labels(tmp_path: Path) -> None:
    ex = _examples()
    flipped = dict(ex)
    flipped[("xnli", "en")] = _relabelled(ex[("xnli", "en")], "neutral")
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
    spec = parse_spec(
        f'name = "s"\n[integrity]\ncanary_share = 0\ncontrast_share = 0\n[data]\nsource = "{sample_dir}"\n'
        "max_examples_per_language = 300\n"
    )
    examples, label = load_source(spec, tmp_path, default_registry())
    manifest = prepare(
        spec, CompetitionLayout(tmp_path), examples, source_label=label, registry=default_registry()
    )
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


def _pairs(n: int, prefix: str = "p") -> list[PairExample]:
    labels = ("entailment", "neutral", "contradiction")
    return [
        PairExample(f"{prefix} premise {i}", f"hypothesis {i}", labels[i % 3]) for i in range(n)
    ]


def _records(layout: CompetitionLayout, kind: str, split: str) -> dict[str, list[dict[str, Any]]]:
    folder = layout.inputs_dir(split) if kind == "inputs" else layout.labels_dir(split)
    return {
        f"{p.parent.name}/{p.stem}": [r for _, r in iter_jsonl(p)]
        for p in sorted(folder.glob("*/*.jsonl"))
    }


def test_every_split_holds_distinct_examples_and_counts_match_files(tmp_path: Path) -> None:
    layout = CompetitionLayout(tmp_path)
    manifest = _prepare(tmp_path)
    reg = default_registry()
    owner: dict[tuple[str, str, str], str] = {}  # (task, lang, content) -> split
    for task_id, langs in manifest.counts.items():
        task = reg.get(task_id)
        for lang, counts in langs.items():
            found: dict[str, list[str]] = {}
            for split in ("train", "dev"):
                path = layout.public_dir / task_id / f"{split}-{lang}.tsv"
                examples = read_xtreme_file(path, task) if path.exists() else []
                found[split] = [e.content_key() for e in examples]
            for split in ("eval", "final"):
                inputs = _records(layout, "inputs", split)[f"{task_id}/{lang}"]
                labels = _records(layout, "labels", split)[f"{task_id}/{lang}"]
                assert [r["id"] for r in inputs] == [r["id"] for r in labels]
                assert [r["id"] for r in inputs] == sorted(r["id"] for r in inputs)
                assert all(r["id"].startswith(f"{task_id}-{lang}-") for r in inputs)
                assert all("label" not in r and "tags" not in r for r in inputs)
                found[split] = [
                    f"{r['text_a']}\t{r['text_b']}" if "text_a" in r else "\x1f".join(r["tokens"])
                    for r in inputs
                ]
            assert {s: len(v) for s, v in found.items()} == counts
            for split, keys in found.items():
                for key in keys:
                    assert owner.setdefault((task_id, lang, key), split) == split
    # every file written is listed with its hash, and nothing else is
    on_disk = {
        p.relative_to(tmp_path).as_posix()
        for p in tmp_path.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    assert on_disk == set(manifest.files)
    assert json.loads(layout.manifest_file.read_text())["files"] == manifest.files


def test_split_follows_the_documented_hash(tmp_path: Path) -> None:
    spec = parse_spec('name = "h"\n[tasks.xnli]\nlanguages = ["de"]\n[data]\nseed = 7\n')
    manifest = prepare(
        spec,
        CompetitionLayout(tmp_path),
        {("xnli", "de"): _pairs(300)},
        source_label="t",
        registry=default_registry(),
    )
    expected = {"train": 0, "dev": 0, "eval": 0, "final": 0}
    for ex in _pairs(300):
        digest = hashlib.sha256(f"7\x00xnli\x00de\x00{ex.text_a}".encode()).digest()
        u = int.from_bytes(digest[:8], "big") / 2**64
        split = (
            "eval" if 0.6 <= u < 0.8 else "final" if u >= 0.8 else "dev" if u < 0.06 else "train"
        )
        expected[split] += 1
    assert manifest.counts["xnli"]["de"] == expected
    assert expected["dev"] > 0 and expected["train"] > 100


def test_force_reseals_and_a_failed_reseal_keeps_the_old_data(tmp_path: Path) -> None:
    layout = CompetitionLayout(tmp_path)
    first = _prepare(tmp_path, seed=1)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    broken = _examples()
    # the last pool holds a token the XTREME format cannot hold: fails after others were staged
    broken[("panx", "ja")] = [*broken[("panx", "ja")], TaggedExample(("a\tb",), ("O",))]
    with pytest.raises(DataError, match=r"panx/ja example #\d+: token"):
        prepare(
            parse_spec(SPEC.format(seed=2)),
            layout,
            broken,
            source_label="t",
            force=True,
            registry=default_registry(),
        )
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public", "sealed"]
    verify_manifest(layout)
    second = prepare(
        parse_spec(SPEC.format(seed=2)),
        layout,
        _examples(),
        source_label="t",
        force=True,
        registry=default_registry(),
    )
    assert second.files != first.files and load_manifest(layout) == second
    verify_manifest(layout)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public", "sealed"]


def test_unlabelled_examples_cannot_be_sealed(tmp_path: Path) -> None:
    spec = parse_spec('name = "u"\n[tasks.xnli]\nlanguages = ["de"]\n')
    pool = [*_pairs(20), PairExample("no", "label")]
    with pytest.raises(DataError, match="xnli/de example #21: the example has no label"):
        prepare(
            spec,
            CompetitionLayout(tmp_path),
            {("xnli", "de"): pool},
            source_label="t",
            registry=default_registry(),
        )
    assert list(tmp_path.iterdir()) == []


def test_warnings_for_missing_languages_and_duplicates(tmp_path: Path) -> None:
    spec = parse_spec('name = "w"\n[tasks.xnli]\nlanguages = ["de", "fr"]\n')
    pool = [*_pairs(100), PairExample("p premise 0", "hypothesis 0", "neutral"), _pairs(2)[1]]
    manifest = prepare(
        spec,
        CompetitionLayout(tmp_path),
        {("xnli", "de"): pool},
        source_label="t",
        registry=default_registry(),
    )
    assert manifest.warnings == [
        "xnli/de: 2 duplicate input(s) dropped, 1 of them with a different label; the first kept",
        "xnli/fr: no labelled data in the source; skipped",
    ]
    assert manifest.languages("eval") == {"xnli": ["de"]}
    assert sum(manifest.counts["xnli"]["de"].values()) == 100


def test_a_language_too_small_for_every_split_is_refused(tmp_path: Path) -> None:
    spec = parse_spec('name = "s"\n[tasks.xnli]\nlanguages = ["de"]\n')
    with pytest.raises(DataError) as err:
        prepare(
            spec,
            CompetitionLayout(tmp_path),
            {("xnli", "de"): _pairs(2) * 2},
            source_label="t",
            registry=default_registry(),
        )
    assert "xnli/de: 4 examples (2 after de-duplication and the cap)" in err.value.message
    assert err.value.hint is not None and "[data] shares" in err.value.hint
    assert list(tmp_path.iterdir()) == []


def test_cap_keeps_the_same_examples_whatever_the_order(tmp_path: Path) -> None:
    spec = parse_spec(
        'name = "c"\n[tasks.xnli]\nlanguages = ["de"]\n[data]\nmax_examples_per_language = 40\n'
    )
    pool = _pairs(500)
    a = prepare(
        spec,
        CompetitionLayout(tmp_path / "a"),
        {("xnli", "de"): pool},
        source_label="t",
        registry=default_registry(),
    )
    b = prepare(
        spec,
        CompetitionLayout(tmp_path / "b"),
        {("xnli", "de"): pool[::-1]},
        source_label="t",
        registry=default_registry(),
    )
    assert sum(a.counts["xnli"]["de"].values()) == 40 and a.files == b.files


def test_verify_reports_missing_and_added_files(tmp_path: Path) -> None:
    layout = CompetitionLayout(tmp_path)
    _prepare(tmp_path)
    extra = layout.inputs_dir("eval") / "xnli" / "fr.jsonl"
    extra.write_text('{"id": "x", "text_a": "a", "text_b": "b"}\n')
    with pytest.raises(DataError, match="added to the sealed data") as err:
        verify_manifest(layout)
    assert err.value.where == str(extra)
    extra.unlink()
    gone = layout.public_dir / "panx" / "train-ja.tsv"
    gone.unlink()
    with pytest.raises(DataError, match="missing") as err:
        verify_manifest(layout)
    assert err.value.where == str(gone)


def test_manifest_missing_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        load_manifest(CompetitionLayout(tmp_path))
    assert err.value.hint == "run `podium data prepare`"


def test_split_inputs_sha256_fingerprints_what_a_run_sees(tmp_path: Path) -> None:
    a, b = _prepare(tmp_path / "a"), _prepare(tmp_path / "b")
    assert split_inputs_sha256(a, "eval") == split_inputs_sha256(b, "eval")
    assert split_inputs_sha256(a, "eval") != split_inputs_sha256(a, "final")
    flipped = _examples()
    flipped[("xnli", "en")] = _relabelled(flipped[("xnli", "en")], "neutral")
    c = _prepare(tmp_path / "c", examples=flipped)
    assert split_inputs_sha256(c, "eval") == split_inputs_sha256(a, "eval")  # labels differ only
    assert _prepare(tmp_path / "d", seed=5).files != a.files
    assert split_inputs_sha256(_prepare(tmp_path / "e", seed=5), "eval") != split_inputs_sha256(
        a, "eval"
    )


def test_load_source_resolves_folders_and_explains_missing_ones(tmp_path: Path) -> None:
    reg = default_registry()
    data = tmp_path / "cup" / "data" / "xnli"
    data.mkdir(parents=True)
    (data / "dev-de.tsv").write_text("a\tb\tneutral\n")
    spec = parse_spec('name = "l"\n[tasks.xnli]\nlanguages = ["de"]\n[data]\nsource = "data"\n')
    examples, label = load_source(spec, tmp_path / "cup", reg)
    assert examples == {("xnli", "de"): [PairExample("a", "b", "neutral", origin="dev#0")]}
    assert label == str(tmp_path / "cup" / "data")
    with pytest.raises(DataError, match="does not exist") as err:
        load_source(spec, tmp_path, reg)
    assert err.value.hint is not None and "synthetic" in err.value.hint


def test_pairs_with_a_common_premise_stay_in_one_split(tmp_path: Path) -> None:
    spec = parse_spec(
        'name = "g"\n[tasks.xnli]\nlanguages = ["de"]\n[integrity]\ncanary_share = 0\ncontrast_share = 0\n'
    )
    labels = ("entailment", "neutral", "contradiction")
    pool = [
        PairExample(f"premise {i}", f"hypothesis {i} {label}", label)
        for i in range(120)
        for label in labels
    ]
    layout = CompetitionLayout(tmp_path)
    prepare(spec, layout, {("xnli", "de"): pool}, source_label="t", registry=default_registry())
    where: dict[str, set[str]] = {}
    for split in ("eval", "final"):
        for line in (layout.inputs_dir(split) / "xnli" / "de.jsonl").read_text().splitlines():
            where.setdefault(json.loads(line)["text_a"], set()).add(split)
    for name in ("train", "dev"):
        for line in (layout.public_dir / "xnli" / f"{name}-de.tsv").read_text().splitlines():
            where.setdefault(line.split("\t")[0], set()).add(name)
    assert len(where) == 120 and all(len(splits) == 1 for splits in where.values())
    assert {s for splits in where.values() for s in splits} == {"train", "dev", "eval", "final"}
