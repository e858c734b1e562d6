"""The google/xtreme source: a parquet copy built here from the real sample, and the hub path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from podium.config.layout import CompetitionLayout
from podium.config.spec import parse_spec
from podium.core.errors import DataError
from podium.data.examples import Example, PairExample, TaggedExample
from podium.data.huggingface import (
    PANX_TAG_NAMES,
    UDPOS_CONFIG_LANGUAGES,
    UPOS_TAG_NAMES,
    config_names,
    is_parquet_copy,
    load_from_hub,
    read_parquet_dir,
)
from podium.data.prepare import prepare
from podium.data.sources import load_source
from podium.data.xtreme import FILE_PATTERN, read_xtreme_dir, read_xtreme_file
from podium.tasks import default_registry

from ..patience import HANG

TASKS = {t: default_registry().get(t) for t in ("xnli", "pawsx", "udpos", "panx")}
_HF_SPLIT = {"dev": "validation", "test": "test", "train": "train"}
_UDPOS_NAME = {code: name for name, code in UDPOS_CONFIG_LANGUAGES.items()}


def _hf_metadata(column: str, names: tuple[str, ...]) -> dict[bytes, bytes]:
    features = {column: {"feature": {"names": list(names), "_type": "ClassLabel"}}}
    return {b"huggingface": json.dumps({"info": {"features": features}}).encode()}


def _write(folder: Path, split: str, table: pa.Table) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / f"{split}-00000-of-00001.parquet")


def build_parquet_copy(sample: Path, out: Path, *, metadata: bool = True) -> Path:
    """Write the sample in google/xtreme's parquet layout, as the hub publishes it."""
    xnli: dict[str, dict[str, list[Any]]] = {}
    for task_id, task in TASKS.items():
        for path in sorted((sample / task_id).glob("*.tsv")):
            match = FILE_PATTERN.match(path.name)
            assert match
            split, lang = _HF_SPLIT[match["split"]], match["lang"]
            examples = [ex for ex in read_xtreme_file(path, task) if _labelled(ex)]
            if not examples:
                continue
            if task_id == "xnli":
                cols = xnli.setdefault(
                    split, {"language": [], "sentence1": [], "sentence2": [], "gold_label": []}
                )
                for ex in examples:
                    assert isinstance(ex, PairExample)
                    cols["language"].append(lang)
                    cols["sentence1"].append(ex.text_a)
                    cols["sentence2"].append(ex.text_b)
                    cols["gold_label"].append(ex.label)
            elif task_id == "pawsx":
                pairs = [ex for ex in examples if isinstance(ex, PairExample)]
                table = pa.table(
                    {
                        "sentence1": [ex.text_a for ex in pairs],
                        "sentence2": [ex.text_b for ex in pairs],
                        "label": [ex.label for ex in pairs],
                    }
                )
                _write(out / f"PAWS-X.{lang}", split, table)
            else:
                tagged = [ex for ex in examples if isinstance(ex, TaggedExample)]
                names = PANX_TAG_NAMES if task_id == "panx" else UPOS_TAG_NAMES
                column = "ner_tags" if task_id == "panx" else "pos_tags"
                data: dict[str, list[Any]] = {
                    "tokens": [list(ex.tokens) for ex in tagged],
                    column: [[names.index(t) for t in ex.tags or ()] for ex in tagged],
                }
                if task_id == "panx":
                    data["langs"] = [[lang] * len(ex.tokens) for ex in tagged]
                table = pa.table(data)
                if metadata:
                    table = table.replace_schema_metadata(_hf_metadata(column, names))
                config = f"PAN-X.{lang}" if task_id == "panx" else f"udpos.{_UDPOS_NAME[lang]}"
                _write(out / config, split, table)
    for split, cols in xnli.items():
        _write(out / "XNLI", split, pa.table(cols))
    return out


def _labelled(ex: Example) -> bool:
    return ex.label is not None if isinstance(ex, PairExample) else ex.tags is not None


def test_parquet_copy_reads_the_same_examples_as_the_folder(
    tmp_path: Path, sample_dir: Path
) -> None:
    copy = build_parquet_copy(sample_dir, tmp_path / "xtreme-parquet")
    assert is_parquet_copy(copy) and not is_parquet_copy(sample_dir)
    tasks = list(TASKS.values())
    parquet, folder = read_parquet_dir(copy, tasks), read_xtreme_dir(sample_dir, tasks)
    assert parquet == folder
    origins = {k: [getattr(ex, "origin", "") for ex in v] for k, v in parquet.items()}
    assert origins == {k: [getattr(ex, "origin", "") for ex in v] for k, v in folder.items()}
    assert origins[("xnli", "de")][0] == "dev#0"  # what groups translations across languages


@pytest.mark.parametrize("metadata", [True, False], ids=["hf-metadata", "published-names"])
def test_parquet_copy_and_folder_seal_identical_sets(
    tmp_path: Path, sample_dir: Path, metadata: bool
) -> None:
    copy = build_parquet_copy(sample_dir, tmp_path / "copy", metadata=metadata)
    manifests = []
    for name, source in (("folder", sample_dir), ("parquet", copy)):
        spec = parse_spec(
            f'name = "x"\n[data]\nsource = "{source}"\nmax_examples_per_language = 200\n'
        )
        examples, label = load_source(spec, tmp_path, default_registry())
        assert label == str(source)
        manifests.append(
            prepare(
                spec,
                CompetitionLayout(tmp_path / name),
                examples,
                source_label=label,
                registry=default_registry(),
            )
        )
    folder, parquet = manifests
    assert folder.files == parquet.files  # every public and sealed file, sha256 for sha256
    assert folder.counts == parquet.counts and folder.warnings == parquet.warnings
    assert len(folder.files) > 100


def test_hf_xtreme_layout_with_split_folders_and_other_configs(tmp_path: Path) -> None:
    """The hub's converted layout ({config}/{split}/0000.parquet); MLQA and friends are ignored."""
    table = pa.table(
        {"tokens": [["Paris", "est", "belle"]], "ner_tags": [[5, 0, 0]], "langs": [["fr"] * 3]}
    )
    (tmp_path / "PAN-X.fr" / "validation").mkdir(parents=True)
    pq.write_table(table, tmp_path / "PAN-X.fr" / "validation" / "0000.parquet")
    (tmp_path / "MLQA.en.en").mkdir()
    pq.write_table(
        pa.table({"question": ["?"]}), tmp_path / "MLQA.en.en" / "test-00000-of-00001.parquet"
    )
    data = read_parquet_dir(tmp_path, [TASKS["panx"]])
    assert data == {("panx", "fr"): [TaggedExample(("Paris", "est", "belle"), ("B-LOC", "O", "O"))]}


def _error(tmp_path: Path, config: str, table: pa.Table, task: str = "panx") -> DataError:
    _write(tmp_path / config, "test", table)
    with pytest.raises(DataError) as err:
        read_parquet_dir(tmp_path, [TASKS[task]])
    return err.value


def test_parquet_with_other_columns_is_refused_by_name(tmp_path: Path) -> None:
    table = pa.table({"tokens": [["a"]], "ner_tags": [[0]], "langs": [["de"]], "spans": [["x"]]})
    err = _error(tmp_path, "PAN-X.de", table)
    assert "unexpected spans" in str(err)
    assert "PAN-X.de/test-00000-of-00001.parquet" in str(err)
    assert "tokens, ner_tags, langs" in str(err)


def test_parquet_bad_rows_name_the_file_and_row(tmp_path: Path) -> None:
    table = pa.table(
        {"tokens": [["a"], ["b", "c"]], "ner_tags": [[0], [0, 9]], "langs": [["de"], ["de", "de"]]}
    )
    err = _error(tmp_path / "idx", "PAN-X.de", table)
    assert "row 1" in str(err) and "tag index 9" in str(err) and "B-PER" in str(err)
    table = pa.table({"tokens": [["a", "b"]], "ner_tags": [[0]], "langs": [["de"]]})
    assert "2 tokens but 1 tags" in str(_error(tmp_path / "len", "PAN-X.de", table))
    table = pa.table({"sentence1": ["a"], "sentence2": ["b"], "label": ["2"]})
    err = _error(tmp_path / "lab", "PAWS-X.de", table, "pawsx")
    assert "label '2'" in str(err) and "allowed: 0, 1" in str(err)
    empty = pa.table(
        {
            "sentence1": pa.array([], pa.string()),
            "sentence2": pa.array([], pa.string()),
            "label": pa.array([], pa.string()),
        }
    )
    assert "empty" in str(_error(tmp_path / "empty", "PAWS-X.de", empty, "pawsx"))


def test_unknown_languages_are_refused_with_a_suggestion(tmp_path: Path) -> None:
    table = pa.table({"tokens": [["a"]], "pos_tags": [[0]]})
    err = _error(tmp_path / "ud", "udpos.Englsh", table, "udpos")
    assert "English" in str(err)
    table = pa.table({"tokens": [["a"]], "ner_tags": [[0]], "langs": [["xx"]]})
    err = _error(tmp_path / "px", "PAN-X.dee", table)
    assert "'dee'" in str(err) and "de" in (err.hint or "")
    xnli = pa.table(
        {"language": ["eng"], "sentence1": ["a"], "sentence2": ["b"], "gold_label": ["neutral"]}
    )
    err = _error(tmp_path / "xn", "XNLI", xnli, "xnli")
    assert "'eng'" in str(err) and "language column" in str(err)


def test_a_missing_task_names_the_expected_configs(tmp_path: Path) -> None:
    _write(
        tmp_path / "PAWS-X.de",
        "test",
        pa.table({"sentence1": ["a"], "sentence2": ["b"], "label": ["1"]}),
    )
    with pytest.raises(DataError) as err:
        read_parquet_dir(tmp_path, [TASKS["pawsx"], TASKS["udpos"]])
    assert "no google/xtreme data for udpos" in str(err.value)
    assert "udpos.Afrikaans" in (err.value.hint or "")


def test_config_names_follow_google_xtreme() -> None:
    assert config_names("xnli", ["de", "en"]) == ["XNLI"]
    assert config_names("pawsx", ["de"]) == ["PAWS-X.de"]
    assert config_names("udpos", ["zh", "yo"]) == ["udpos.Chinese", "udpos.Yoruba"]
    assert config_names("panx", ["ja"]) == ["PAN-X.ja"]
    assert len(UDPOS_CONFIG_LANGUAGES) == len(TASKS["udpos"].languages) == 33
    assert set(UDPOS_CONFIG_LANGUAGES.values()) == set(TASKS["udpos"].languages)


def _local_loader(copy: Path) -> Any:
    """`datasets.load_dataset` over the parquet copy: the real library, no hub."""
    datasets = pytest.importorskip("datasets", reason="the `datasets` library (podium[hub])")

    def load(dataset: str, config: str) -> Mapping[str, Any]:
        assert dataset == "google/xtreme"
        files = {p.name.split("-")[0]: str(p) for p in (copy / config).glob("*.parquet")}
        ds = datasets.load_dataset("parquet", data_files=files)
        column = {"PAN-X": "ner_tags", "udpos": "pos_tags"}.get(config.split(".")[0])
        if column is not None:  # give the columns their ClassLabel feature, as the hub does
            names = PANX_TAG_NAMES if column == "ner_tags" else UPOS_TAG_NAMES
            feature = datasets.Sequence(datasets.ClassLabel(names=list(names)))
            ds = ds.cast_column(column, feature)
        return dict(ds)

    return load


def test_hub_path_reads_through_the_datasets_library(tmp_path: Path, sample_dir: Path) -> None:
    copy = build_parquet_copy(sample_dir, tmp_path / "copy", metadata=False)
    languages = {"xnli": ["de", "en"], "pawsx": ["ja"], "udpos": ["yo"], "panx": ["zh"]}
    tasks = list(TASKS.values())
    from_hub = load_from_hub("google/xtreme", tasks, languages, loader=_local_loader(copy))
    assert from_hub == read_xtreme_dir(sample_dir, tasks, languages)


def test_hub_unreachable_gives_a_clear_error_and_writes_nothing(tmp_path: Path) -> None:
    """`podium data prepare --source hf:google/xtreme` with no hub: the real CLI, offline."""
    pytest.importorskip("datasets", reason="the `datasets` library (podium[hub])")
    root = tmp_path / "cup"
    root.mkdir()
    (root / "competition.toml").write_text('name = "x"\n[tasks.pawsx]\nlanguages = ["de"]\n')
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf"),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "podium",
            "data",
            "prepare",
            "-c",
            str(root),
            "--source",
            "hf:google/xtreme",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=HANG,
    )
    assert done.returncode != 0
    assert "could not load google/xtreme config PAWS-X.de" in done.stderr + done.stdout
    assert "parquet" in done.stderr + done.stdout
    assert not (root / "sealed").exists() and not (root / "public").exists()
