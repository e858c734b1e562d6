"""The XTREME folder format on real sample files and on the quirks real files have."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.data.examples import PairExample, TaggedExample
from podium.data.xtreme import read_xtreme_dir, read_xtreme_file, write_xtreme_file
from podium.errors import DataError
from podium.tasks import default_registry

TASKS = {t.id: t for t in default_registry()}


def test_every_sample_file_reads(sample_dir: Path) -> None:
    data = read_xtreme_dir(sample_dir, list(TASKS.values()))
    assert {t for t, _ in data} == set(TASKS)
    assert len(data[("panx", "en")]) == 6000  # train 5,000 + dev 1,000 sentences
    assert len(data[("xnli", "de")]) == 1000
    zh = data[("panx", "zh")][0]
    assert isinstance(zh, TaggedExample) and all(len(t) == 1 for t in zh.tokens)
    for (task, _), examples in data.items():
        for ex in examples:
            if isinstance(ex, TaggedExample):
                assert ex.tags is not None and len(ex.tags) == len(ex.tokens)
                assert set(ex.tags) <= set(TASKS[task].labels)
            else:
                assert ex.label in TASKS[task].labels


def test_bom_crlf_and_trailing_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "dev-en.tsv"
    path.write_bytes(
        "\ufeffNew\tB-LOC\r\nYork\tI-LOC\r\n\r\nhttp://x.org#a\tO\r\n\r\n\r\n".encode()
    )
    examples = read_xtreme_file(path, TASKS["panx"])
    assert [e.tokens for e in examples] == [("New", "York"), ("http://x.org#a",)]  # type: ignore[union-attr]
    pairs = tmp_path / "pairs.tsv"
    pairs.write_bytes(b"\xef\xbb\xbfa b\tNS\t1\r\n\r\n")
    [pair] = read_xtreme_file(pairs, TASKS["pawsx"])
    assert pair == PairExample("a b", "NS", "1")


def test_broken_lines_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "train-en.tsv"
    path.write_text("a\tb\tneutral\nonly one column\n")
    with pytest.raises(DataError, match=r"train-en.tsv:2.*3 tab-separated columns"):
        read_xtreme_file(path, TASKS["xnli"])
    path.write_text("Paris\tB-LOC\nis\tO\tX\n")
    with pytest.raises(DataError, match=r"train-en.tsv:2"):
        read_xtreme_file(path, TASKS["panx"])


def test_label_outside_the_set_lists_the_allowed(tmp_path: Path) -> None:
    path = tmp_path / "train-en.tsv"
    path.write_text("The\tDET\ncat\tNOUNN\n")
    with pytest.raises(DataError) as err:
        read_xtreme_file(path, TASKS["udpos"])
    assert "train-en.tsv:2" in err.value.message and "NOUN" in err.value.message


def test_unlabelled_test_files_are_read_as_inputs(tmp_path: Path) -> None:
    path = tmp_path / "test-en.tsv"
    path.write_text("a\tb\n")
    assert read_xtreme_file(path, TASKS["xnli"]) == [PairExample("a", "b", None)]
    path.write_text("The\ncat\n")
    assert read_xtreme_file(path, TASKS["udpos"]) == [TaggedExample(("The", "cat"), None)]


def test_round_trip(tmp_path: Path) -> None:
    examples = [TaggedExample(("Ann", "met", "Bo"), ("B-PER", "O", "B-PER"))]
    write_xtreme_file(tmp_path / "panx" / "train-en.tsv", TASKS["panx"], examples)
    assert read_xtreme_file(tmp_path / "panx" / "train-en.tsv", TASKS["panx"]) == examples


def test_unknown_language_and_missing_task_folder(tmp_path: Path) -> None:
    (tmp_path / "xnli").mkdir()
    (tmp_path / "xnli" / "dev-dee.tsv").write_text("a\tb\tneutral\n")
    with pytest.raises(DataError, match="did you mean 'de'"):
        read_xtreme_dir(tmp_path, [TASKS["xnli"]])
    with pytest.raises(DataError, match="no folder for task 'panx'"):
        read_xtreme_dir(tmp_path, [TASKS["panx"]])
