"""Sealed files are parsed once per process, and a changed file is read again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from podium.core.errors import PlatformError
from podium.data.canaries import canaries_file, canary_records
from podium.data.jsonl import write_jsonl
from podium.harness.scoring import read_labels
from podium.tasks.xtreme import xtreme_tasks

XNLI = next(t for t in xtreme_tasks() if t.id == "xnli")


def _labels(labels: Path, *answers: str) -> Path:
    path = labels / "xnli" / "en.jsonl"
    write_jsonl(path, [{"id": f"x{i}", "label": a} for i, a in enumerate(answers)])
    return path


def test_unchanged_labels_are_parsed_once_and_cannot_be_altered(tmp_path: Path) -> None:
    _labels(tmp_path, "entailment", "neutral")
    first = read_labels(tmp_path, XNLI, "en")
    assert dict(first) == {"x0": "entailment", "x1": "neutral"}
    assert read_labels(tmp_path, XNLI, "en") is first  # a photo finish's hundredth run
    with pytest.raises(TypeError):
        first["x0"] = "contradiction"  # type: ignore[index]


def test_rewritten_labels_are_read_again(tmp_path: Path) -> None:
    path = _labels(tmp_path, "entailment", "neutral")
    before = read_labels(tmp_path, XNLI, "en")
    stamp = path.stat().st_mtime_ns
    _labels(tmp_path, "neutral", "entailment")  # prepared again: same file, same size
    os.utime(path, ns=(stamp, stamp))  # and the same time stamp
    assert dict(read_labels(tmp_path, XNLI, "en")) == {"x0": "neutral", "x1": "entailment"}
    assert dict(before) == {"x0": "entailment", "x1": "neutral"}
    path.unlink()
    with pytest.raises(PlatformError, match="sealed labels are missing"):
        read_labels(tmp_path, XNLI, "en")


def test_rewritten_canaries_are_read_again(tmp_path: Path) -> None:
    path = canaries_file(tmp_path, "xnli", "en")
    assert canary_records(tmp_path, "xnli", "en") == ()
    write_jsonl(path, [{"id": "c1", "original": "x0"}])
    assert [dict(r) for r in canary_records(tmp_path, "xnli", "en")] == [
        {"id": "c1", "original": "x0"}
    ]
    write_jsonl(path, [{"id": "c2", "original": "x1"}, {"id": "c3", "original": "x0"}])
    assert [r["id"] for r in canary_records(tmp_path, "xnli", "en")] == ["c2", "c3"]
