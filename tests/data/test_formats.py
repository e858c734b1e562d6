"""Data in the formats people have: JSONL, CSV/TSV and parquet records (per language or one
file per task), a column mapping and types in the spec, and `hf:` datasets mapped the same way.
Real files in tmp_path; competitions run end to end through `Podium`."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from podium.config.spec import competition_tasks, parse_spec
from podium.core.errors import DataError, SpecError
from podium.data.examples import GenericExample
from podium.data.hubrecords import HubRecordSource
from podium.data.sources import load_source, open_source
from podium.service import Podium
from podium.tasks import default_registry

from ..conftest import write_submission

SPEC = """
name = "formats"
[tasks.reviews]
type = "classification"
labels = ["bad", "good"]
languages = ["en", "de"]

[tasks.price]
type = "regression"
inputs = ["rooms", "area"]
metric = "rmse"
metrics = ["rmse", "spearman"]

[data]
source = "data"
{data}

[leaderboard]
aggregate = "mean_rank"

[[stages]]
name = "evaluation"
split = "eval"
attempts = 3
[sandbox]
timeout_seconds = 20.0
"""

PRICE_TYPES = """
[data.types.price]
rooms = "integer"
area = "number"
"""

# Knows the rule behind the data: scores 100 accuracy and 0 RMSE.
SMART = """
import json, os, pathlib
src, dst = pathlib.Path(os.environ["PODIUM_INPUT_DIR"]), pathlib.Path(os.environ["PODIUM_OUTPUT_DIR"])
for f in sorted(src.glob("*/*.jsonl")):
    (dst / f.parent.name).mkdir(parents=True, exist_ok=True)
    with f.open() as fin, (dst / f.parent.name / f.name).open("w") as fout:
        for line in fin:
            r = json.loads(line)
            if f.parent.name == "reviews":
                assert set(r) == {"id", "text"}, r
                out = {"id": r["id"], "label": "good" if "great" in r["text"] else "bad"}
            else:
                assert set(r) == {"id", "rooms", "area"}, r
                assert isinstance(r["rooms"], int) and isinstance(r["area"], (int, float)), r
                out = {"id": r["id"], "value": 100 * r["rooms"] + r["area"]}
            fout.write(json.dumps(out) + "\\n")
"""


def _reviews(lang: str, n: int = 60) -> list[dict[str, Any]]:
    rng = random.Random(lang)
    rows = []
    for i in range(n):
        good = rng.random() < 0.5
        word = "great" if good else rng.choice(["awful", "dull"])
        rows.append(
            {
                "id": f"src-{i}",
                "text": f"{lang}: a {word} stay #{i}",
                "label": "good" if good else "bad",
            }
        )
    return rows


def _prices(n: int = 120) -> list[dict[str, Any]]:
    rng = random.Random(7)
    rows = []
    for i in range(n):
        rooms, area = rng.randint(1, 5), round(rng.uniform(10, 90), 1) + i / 1000
        rows.append({"rooms": rooms, "area": area, "value": 100 * rooms + area})
    return rows


def write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    """Rows in the format of the file's suffix (CSV/TSV cells as text, with a header)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = path.suffix[1:]
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    elif fmt in ("csv", "tsv"):
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, list(rows[0]), delimiter="," if fmt == "csv" else "\t")
            writer.writeheader()
            writer.writerows(rows)
    else:
        pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=25)


def _competition(tmp_path: Path, data: str = PRICE_TYPES) -> Path:
    root = tmp_path / "cup"
    (root / "data").mkdir(parents=True)
    (root / "competition.toml").write_text(SPEC.format(data=data))
    return root


@pytest.mark.store
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "tsv", "parquet"])
def test_each_format_runs_a_competition_end_to_end(tmp_path: Path, fmt: str) -> None:
    root = _competition(tmp_path)
    data = root / "data"
    for lang in ("en", "de"):
        rows = _reviews(lang)
        write_rows(data / "reviews" / f"train-{lang}.{fmt}", rows[:40])
        write_rows(data / "reviews" / f"test-{lang}.{fmt}", rows[40:])  # every split is pooled
    write_rows(data / "price" / f"train-default.{fmt}", _prices())

    p = Podium.open(root)
    manifest = p.setup.prepare_data()
    assert sum(manifest.counts["reviews"]["de"].values()) == 60
    assert sum(manifest.counts["price"]["default"].values()) == 120
    public = root / "public" / "price" / "train-default.jsonl"
    first = json.loads(public.read_text().splitlines()[0])
    assert set(first) == {"id", "rooms", "area", "value"} and isinstance(first["rooms"], int)
    sealed = root / "sealed" / "inputs" / "eval" / "reviews" / "en.jsonl"
    assert all(set(json.loads(line)) == {"id", "text"} for line in sealed.read_text().splitlines())

    p.setup.add_team("Smart")
    p.setup.open_stage("evaluation")
    p.submissions.submit(write_submission(tmp_path / "smart", SMART), team="Smart")
    outcomes = p.evaluation.evaluate_pending()
    assert [o.status for o in outcomes] == ["scored"], [o.error for o in outcomes]
    scores = {(s.task, s.metric): s.value for s in p.results.run(outcomes[0].run_id).scores}
    assert scores[("reviews", "accuracy")] == 100.0
    assert scores[("price", "rmse")] == pytest.approx(0.0, abs=1e-9)
    assert scores[("price", "spearman")] == pytest.approx(100.0)
    p.close()


def _pools(root: Path) -> dict[tuple[str, str], list[GenericExample]]:
    spec = parse_spec((root / "competition.toml").read_text())
    pools, _ = load_source(spec, root, competition_tasks(spec, default_registry()))
    records = {
        key: [e for e in pool if isinstance(e, GenericExample)] for key, pool in pools.items()
    }
    assert records == pools
    return records


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "tsv", "parquet"])
def test_one_file_per_task_with_a_mapped_language_column(tmp_path: Path, fmt: str) -> None:
    mapping = (
        PRICE_TYPES
        + """
[data.columns.reviews]
text = "review_body"
label = "stars"
language = "lang"
[data.columns.price]
value = "price_eur"
"""
    )
    root = _competition(tmp_path, mapping)
    rows = [
        {"review_body": r["text"], "stars": r["label"], "lang": lang, "extra": 1}
        for lang in ("de", "en")
        for r in _reviews(lang, 5)
    ]
    write_rows(root / "data" / f"reviews.{fmt}", rows)
    prices = [{"rooms": r["rooms"], "area": r["area"], "price_eur": r["value"]} for r in _prices(4)]
    write_rows(root / "data" / f"price.{fmt}", prices)  # one language: no column needed

    pools = _pools(root)
    assert [ex.fields["text"] for ex in pools[("reviews", "en")]] == [
        r["text"] for r in _reviews("en", 5)
    ]
    assert pools[("reviews", "de")][0].label == _reviews("de", 5)[0]["label"]
    price = pools[("price", "default")]
    assert [ex.label for ex in price] == pytest.approx([r["value"] for r in _prices(4)])
    assert all(isinstance(ex.fields["rooms"], int) for ex in price)


def test_a_folder_source_streams_and_rereads_its_files(tmp_path: Path) -> None:
    root = _competition(tmp_path)
    write_rows(root / "data" / "reviews" / "train-en.jsonl", _reviews("en", 3))
    write_rows(root / "data" / "price" / "train-default.parquet", _prices(60))
    spec = parse_spec((root / "competition.toml").read_text())
    registry = competition_tasks(spec, default_registry())
    source = open_source(spec, root, registry)
    price = registry.get("price")
    first = list(source.examples(price, "default"))
    assert first == list(source.examples(price, "default")) and len(first) == 60
    assert list(source.examples(registry.get("reviews"), "de")) == []


def test_csv_cells_are_typed_by_the_spec_and_strings_otherwise(tmp_path: Path) -> None:
    root = _competition(tmp_path, "")  # no types: rooms and area stay strings
    write_rows(root / "data" / "reviews" / "train-en.csv", _reviews("en", 2))
    (root / "data" / "price").mkdir()
    (root / "data" / "price" / "train-default.csv").write_text("rooms,area,value\n3,12.5,312.5\n")
    (ex,) = _pools(root)[("price", "default")]
    assert ex.fields == {"rooms": "3", "area": "12.5"} and ex.label == 312.5


HOSTILE = [
    # (file, text, message part, where part)
    (
        "price/train-default.csv",
        "rooms,area,valeu\n1,2,3\n",
        "no column 'value'",
        "did you mean 'valeu'",
    ),
    ("price/train-default.csv", "rooms,area,value\n1,2,NaN\n", "not a finite number", ":2"),
    ("price/train-default.csv", "rooms,area,value\n1,2,inf\n", "not a finite number", ":2"),
    (
        "price/train-default.csv",
        "rooms,area,value\n1,2,3\n1,2\n",
        "2 cells but the header has 3",
        ":3",
    ),
    ("price/train-default.csv", "rooms,area,value\n1,2,3\n1.5,2,3\n", "not an integer", ":3"),
    ("price/train-default.csv", "rooms,area,value\n1,2,\n", "has no value", ":2"),
    ("price/train-default.csv", "rooms,area,rooms\n1,2,3\n", "twice", ":1"),
    ("price/train-default.csv", "", "the file is empty", "train-default.csv"),
    (
        "price/train-default.jsonl",
        '{"rooms": 1, "area": 2, "value": NaN}\n',
        "not a finite number",
        ":1",
    ),
    (
        "price/train-default.jsonl",
        '{"rooms": "1", "area": 2, "value": 3}\n',
        "not an integer",
        ":1",
    ),
    (
        "price/train-default.jsonl",
        '{"rooms": 1, "area": 2, "value": "3"}\n',
        "not a finite number",
        ":1",
    ),
    ("price/train-default.jsonl", '{"rooms": 1, "area": 2}\n', "no column 'value'", ":1"),
    (
        "price/train-default.jsonl",
        '{"rooms": 1, "area": 2, "value": 3}\n[1]\n',
        "JSON object",
        ":2",
    ),
    (
        "price/train-default.jsonl",
        '{"rooms": 1, "area": 2, "value": 3}\n{"rooms": 1,\n',
        "not valid JSON",
        ":2",
    ),
    (
        "price/train-default.jsonl",
        b'{"rooms": 1, "area": 2, "value": 3, "x": "\xff"}\n',
        "not UTF-8",
        "train-default.jsonl",
    ),
    (
        "price/train-fr.jsonl",
        '{"rooms": 1, "area": 2, "value": 3}\n',
        "no language 'fr'",
        "train-fr.jsonl",
    ),
    (
        "price/train.jsonl",
        '{"rooms": 1, "area": 2, "value": 3}\n',
        "file name is not",
        "train.jsonl",
    ),
    (
        "price/train-default.parquet",
        "not parquet",
        "not a readable parquet file",
        "train-default.parquet",
    ),
    (
        "prices.jsonl",
        '{"rooms": 1, "area": 2, "value": 3}\n',
        "not the data of a task",
        "did you mean 'price'",
    ),
]


@pytest.mark.parametrize(("name", "text", "what", "where"), HOSTILE)
def test_malformed_files_are_refused_with_file_and_line(
    tmp_path: Path, name: str, text: str | bytes, what: str, where: str
) -> None:
    root = _competition(tmp_path)
    write_rows(root / "data" / "reviews" / "train-en.jsonl", _reviews("en", 2))
    write_rows(root / "data" / "price" / "dev-default.jsonl", _prices(2))
    path = root / "data" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    if name == "price/train-default.csv":
        (root / "data" / "price" / "dev-default.jsonl").unlink()
    with pytest.raises(DataError) as err:
        _pools(root)
    message = f"{err.value.what} {err.value.where} {err.value.hint}"
    assert what in message and where in message, message


def test_labels_outside_the_set_and_mixed_layouts_are_refused(tmp_path: Path) -> None:
    root = _competition(tmp_path)
    write_rows(root / "data" / "price" / "train-default.jsonl", _prices(2))
    (root / "data" / "reviews").mkdir()
    (root / "data" / "reviews" / "train-en.jsonl").write_text('{"text": "x", "label": "meh"}\n')
    with pytest.raises(DataError, match="label 'meh' is not a reviews label") as err:
        _pools(root)
    assert str(err.value.where).endswith("train-en.jsonl:1")
    write_rows(root / "data" / "reviews" / "train-de.csv", _reviews("de", 2))
    with pytest.raises(DataError, match="mixed layouts in the reviews folder"):
        _pools(root)
    (root / "data" / "reviews" / "train-de.csv").unlink()
    write_rows(root / "data" / "reviews.jsonl", _reviews("de", 2))
    with pytest.raises(DataError, match="both a folder and reviews.jsonl"):
        _pools(root)


def test_one_file_of_several_languages_needs_its_language_column(tmp_path: Path) -> None:
    root = _competition(tmp_path)
    write_rows(root / "data" / "price.jsonl", _prices(2))
    write_rows(root / "data" / "reviews.csv", [{"text": "a", "label": "bad"}])
    with pytest.raises(DataError, match="no column 'language'"):
        _pools(root)
    write_rows(root / "data" / "reviews.csv", [{"text": "a", "label": "bad", "language": "fr"}])
    with pytest.raises(DataError, match="no language 'fr'") as err:
        _pools(root)
    assert str(err.value.where).endswith("reviews.csv:2")


def test_the_column_mapping_is_checked_against_the_tasks(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="data.columns.reviews.txet") as err:
        parse_spec(SPEC.format(data='[data.columns.reviews]\ntxet = "body"'))
    assert "did you mean 'text'" in str(err.value.hint)
    with pytest.raises(SpecError, match="data.types.prise: no such task"):
        parse_spec(SPEC.format(data='[data.types.prise]\nrooms = "integer"'))
    with pytest.raises(SpecError):
        parse_spec(SPEC.format(data='[data.types.price]\nrooms = "float"'))


def test_an_hf_dataset_is_read_through_the_column_mapping(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    spec = parse_spec(
        SPEC.format(
            data='[data.columns.reviews]\ntext = "sentence"\nlabel = "stars"\nlanguage = "lang"\n'
            '[data.hf_config]\nreviews = "plain"\nprice = "plain"'
        ).replace('source = "data"', 'source = "hf:someone/reviews"')
    )
    registry = competition_tasks(spec, default_registry())
    features = datasets.Features(
        {
            "sentence": datasets.Value("string"),
            "stars": datasets.ClassLabel(names=["bad", "good"]),
            "lang": datasets.Value("string"),
        }
    )
    reviews = {
        "train": datasets.Dataset.from_dict(
            {"sentence": ["a great stay", "dull"], "stars": [1, 0], "lang": ["en", "de"]},
            features=features,
        ),
        "test": datasets.Dataset.from_dict(
            {"sentence": ["great"], "stars": [1], "lang": ["en"]}, features=features
        ),
    }
    prices = {
        "train": datasets.Dataset.from_dict(
            {"rooms": [1, 2], "area": [1.5, 2.0], "value": [101.5, 202.0]}
        )
    }
    calls: list[tuple[str, str | None]] = []

    def loader(dataset: str, config: str | None) -> dict[str, Any]:
        calls.append((dataset, config))
        return reviews if len(calls) == 1 else prices

    tasks = [registry.get("reviews"), registry.get("price")]
    source = HubRecordSource("someone/reviews", tasks, None, spec.data, loader=loader)
    assert calls == [("someone/reviews", "plain")] * 2
    en = list(source.examples(tasks[0], "en"))
    # splits in name order (test, then train), ClassLabel indices named
    assert [(e.fields["text"], e.label) for e in en] == [
        ("great", "good"),
        ("a great stay", "good"),
    ]
    assert [e.label for e in source.examples(tasks[1], "default")] == [101.5, 202.0]
    with pytest.raises(DataError, match="no column 'stars'"):
        bad = {
            "train": datasets.Dataset.from_dict({"sentence": ["x"], "star": [1], "lang": ["en"]})
        }
        HubRecordSource("someone/reviews", tasks[:1], None, spec.data, loader=lambda d, c: bad)
