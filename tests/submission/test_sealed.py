"""The sealed-text scan, from the cheater's side: archives that carry the public test set
(exact, normalised, partial, gzipped in a tar in a zip) are found; honest archives (training
data, code, weights) are not; hostile archives (bombs, deep nesting, a line of gigabytes'
worth) stay within the budget and the next archive is scanned normally."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from podium.submission.members import MAX_DEPTH, SCAN_FLOOR, ScanBudget, scan_limit
from podium.submission.sealed import MIN_WORDS, SealedIndex, build_index, scan_folder
from podium.submission.shingles import words


def _sentences(path: Path) -> list[list[str]]:
    """Tagged sentences of an XTREME tsv (token<TAB>tag, blank line between)."""
    out, current = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            current.append(line.split("\t")[0])
        elif current:
            out.append(current)
            current = []
    return out + ([current] if current else [])


def _pairs(path: Path) -> list[tuple[str, str]]:
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
    return [(r[0], r[1]) for r in rows if len(r) >= 2]


@pytest.fixture
def sealed(tmp_path: Path, sample_dir: Path) -> tuple[Path, list[dict[str, object]]]:
    """Sealed inputs made of the sample's test texts: what a team finds online."""
    records: list[dict[str, object]] = []
    folder = tmp_path / "sealed"
    for task, lang, rows in (
        ("udpos", "en", [{"tokens": t} for t in _sentences(sample_dir / "udpos/test-en.tsv")]),
        ("udpos", "zh", [{"tokens": t} for t in _sentences(sample_dir / "udpos/test-zh.tsv")]),
        ("xnli", "de", [{"text_a": a, "text_b": b} for a, b in _pairs(sample_dir / "xnli/dev-de.tsv")]),
    ):  # fmt: skip
        target = folder / task / f"{lang}.jsonl"
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8") as out:
            for n, row in enumerate(rows):
                record = {"id": f"{lang}-{n}", **row}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                records.append(record)
    return folder, records


def _index(folder: Path) -> SealedIndex:
    return build_index(sorted(folder.rglob("*.jsonl")))


def _scan(folder: Path, index: SealedIndex, limit: int = SCAN_FLOOR) -> dict[str, object]:
    return scan_folder(folder, index, ScanBudget(limit)).to_dict()


def _write(folder: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def _long(records: list[dict[str, object]]) -> list[dict[str, object]]:
    """The records long enough to be indexed (a short text proves nothing)."""
    return [r for r in records if len(words(_text_of(r))) >= MIN_WORDS + 2]


def _text_of(record: dict[str, object]) -> str:
    if "tokens" in record:
        return " ".join(record["tokens"])  # type: ignore[arg-type]
    return f"{record['text_a']}\t{record['text_b']}"


def test_an_exact_lookup_table_in_json_is_found(tmp_path, sealed) -> None:
    folder, records = sealed
    index = _index(folder)
    table = {_text_of(r): "NOUN" for r in records}  # json.dumps escapes non-ASCII
    archive = _write(
        tmp_path / "sub", {"table.json": json.dumps(table).encode(), "podium.toml": b""}
    )
    found = _scan(archive, index)
    assert found["found"] >= 0.9 * index.texts and found["found"] >= found["threshold"]
    assert found["where"][0]["file"] == "table.json"


def test_a_normalised_partial_table_in_a_tsv_is_found(tmp_path, sealed) -> None:
    """Lower case, punctuation stripped, a third of the texts: still many."""
    folder, records = sealed
    index = _index(folder)
    keys = [
        "".join(c for c in _text_of(r).lower() if c.isalnum() or c.isspace()) for r in records[::3]
    ]
    archive = _write(tmp_path / "sub", {"keys.tsv": "\n".join(k + "\tX" for k in keys).encode()})
    found = _scan(archive, index)["found"]
    assert found >= index.threshold and found >= 0.25 * index.texts


def test_a_table_gzipped_in_a_tar_in_a_zip_is_found(tmp_path, sealed) -> None:
    folder, records = sealed
    index = _index(folder)
    lines = "\n".join(json.dumps({"k": _text_of(r), "v": "x"}) for r in _long(records)[:200])
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w") as tar:
        payload = gzip.compress(lines.encode())
        info = tarfile.TarInfo("deep/table.jsonl.gz")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("model.tar", tar_bytes.getvalue())
    archive = _write(tmp_path / "sub", {"weights.zip": zipped.getvalue()})
    found = _scan(archive, index)
    assert found["found"] >= 150
    assert found["where"][0]["file"] == "weights.zip/model.tar/deep/table.jsonl"


def test_honest_archives_are_not_flagged(tmp_path, sealed, sample_dir: Path) -> None:
    """Public training data of the same tasks, code, a lexicon and binary weights."""
    folder, _ = sealed
    index = _index(folder)
    lexicon = {t: "NOUN" for s in _sentences(sample_dir / "udpos/test-en.tsv") for t in s}
    archive = _write(tmp_path / "sub", {
        "data/train-en.tsv": (sample_dir / "udpos/train-en.tsv").read_bytes(),
        "data/xnli-train.tsv": (sample_dir / "xnli/train-en.tsv").read_bytes(),
        "lexicon.json": json.dumps(lexicon).encode(),
        "predict.py": Path(__file__).read_bytes(),
        "weights.bin": bytes(range(256)) * 4096,
    })  # fmt: skip
    found = _scan(archive, index)
    assert found["found"] < found["threshold"], found


def test_hostile_archives_stay_within_the_budget_and_the_next_is_scanned(tmp_path, sealed) -> None:
    folder, records = sealed
    index = _index(folder)
    limit = 8 * 1024**2
    # gzip members one after the other read as one stream: 400 MB of text in ~0.4 MB
    bomb = gzip.compress(b"a " * (512 * 1024), compresslevel=9) * 400
    one_line = gzip.compress(b"x" * 1024**2) * 100  # one "word" of 100 MB, no newline
    zeros = gzip.compress(bytes(1024**2)) * 1000
    nested = b"start " + b"".join(_text_of(r).encode() + b"\n" for r in records[:100])
    for _ in range(MAX_DEPTH + 2):
        nested = gzip.compress(nested)
    broken = gzip.compress(b"hello world " * 1000)[:-40]
    hostile = _write(tmp_path / "hostile", {
        "a.gz": bomb, "b.gz": one_line, "c.gz": zeros, "d.gz": nested, "e.gz": broken,
        "f.zip": b"PK\x03\x04" + b"\xff" * 100,
    })  # fmt: skip
    budget = ScanBudget(limit)
    result = scan_folder(hostile, index, budget)
    assert result.stopped and budget.used <= limit + 2 * 1024**2
    assert result.found == 0
    honest_then = _write(
        tmp_path / "next", {"t.txt": "\n".join(_text_of(r) for r in records).encode()}
    )
    assert _scan(honest_then, index, limit)["found"] >= 0.9 * index.texts


def test_the_budget_scales_with_the_upload() -> None:
    assert scan_limit(1000) == SCAN_FLOOR
    assert scan_limit(500 * 1024**2) == 2000 * 1024**2


def test_an_index_survives_a_round_trip(tmp_path, sealed) -> None:
    index = _index(sealed[0])
    index.save(tmp_path / "index.npz")
    again = SealedIndex.load(tmp_path / "index.npz")
    assert again.texts == index.texts and (again.hashes == index.hashes).all()


def test_nesting_deeper_than_the_scan_goes_is_not_read(tmp_path, sealed) -> None:
    folder, records = sealed
    index = _index(folder)
    text = b"".join(_text_of(r).encode() + b"\n" for r in _long(records)[:100])
    shallow, deep = text, text
    for _ in range(MAX_DEPTH):
        shallow = gzip.compress(shallow)
    for _ in range(MAX_DEPTH + 1):
        deep = gzip.compress(deep)
    assert _scan(_write(tmp_path / "deep", {"t.gz": deep}), index)["found"] == 0
    assert _scan(_write(tmp_path / "shallow", {"t.gz": shallow}), index)["found"] >= 90


def test_a_vocabulary_holding_short_sealed_texts_whole_is_not_flagged(tmp_path: Path) -> None:
    """One-token sentences, names and a Hindi phrase are whole words of an honest model's
    vocabulary: too short to prove a copy. A long sentence copied whole still counts."""
    hindi = "झुंझुनू लोक सभा निर्वाचन क्षेत्र"
    short = [[f"Stadtteil{n}verwaltungsgebäude"] for n in range(300)]
    short += [[*hindi.split(), str(n)] for n in range(100)]
    long = [f"the {n} quiet river keeps running past the old mill at the edge of town".split()
            for n in range(50)]  # fmt: skip
    sentence = hindi + " भारत के राज्य राजस्थान में स्थित एक प्रमुख निर्वाचन क्षेत्र है"
    long += [[str(n), *sentence.split()] for n in range(20)]  # its words are in the vocabulary
    folder = tmp_path / "sealed" / "udpos"
    folder.mkdir(parents=True)
    (folder / "xx.jsonl").write_text(
        "".join(json.dumps({"id": f"s{n}", "tokens": t}) + "\n" for n, t in enumerate(short + long))
    )
    index = _index(tmp_path / "sealed")
    assert index.texts == len(long)  # only the long texts are indexed
    vocabulary = {w: {"NOUN": 1.0} for t in short for w in t} | {"w=" + hindi: 1}
    vocabulary |= {"w=" + w: 1 for w in sentence.split()}
    honest = _write(tmp_path / "honest", {"model.json": json.dumps(vocabulary).encode()})
    assert _scan(honest, index)["found"] == 0
    table = {" ".join(t): "X" for t in short + long}
    cheat = _write(
        tmp_path / "cheat", {"table.json": json.dumps(table, ensure_ascii=False).encode()}
    )
    assert _scan(cheat, index)["found"] == len(long)


def test_the_threshold_is_a_share_of_the_sealed_set() -> None:
    def index(texts: int) -> SealedIndex:
        return SealedIndex(np.zeros(0, np.uint64), np.zeros(0, np.int32), np.ones(texts, np.uint8))

    assert index(100).threshold == 10  # never fewer
    assert index(11_521).threshold == 116
    assert index(1_000_000).threshold == 10_000  # an honest model's coincidences grow too
