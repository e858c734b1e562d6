"""The XTREME folder format on real sample files and on the quirks real files have."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.core.errors import DataError
from podium.data.examples import PairExample, TaggedExample
from podium.data.xtreme import read_xtreme_dir, read_xtreme_file, write_xtreme_file
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


def test_every_sample_file_round_trips(sample_dir: Path, tmp_path: Path) -> None:
    files = sorted(sample_dir.glob("*/*.tsv"))
    assert len(files) == 36
    for path in files:
        task = TASKS[path.parent.name]
        examples = read_xtreme_file(path, task)
        assert examples, f"{path} read as empty"
        copy = tmp_path / path.parent.name / path.name
        assert write_xtreme_file(copy, task, examples) == len(examples)
        assert read_xtreme_file(copy, task) == examples, f"{path} did not round-trip"
    # the sample's quirks come through untouched
    panx = read_xtreme_dir(sample_dir, [TASKS["panx"]], {"panx": ["en", "zh"]})
    tokens = {
        t
        for examples in panx.values()
        for ex in examples
        if isinstance(ex, TaggedExample)
        for t in ex.tokens
    }
    assert any(":" in t for t in tokens) and "#" in tokens


def test_blank_line_runs_and_crlf_inside_a_file(tmp_path: Path) -> None:
    path = tmp_path / "dev-ja.tsv"
    text = "\n\n東\tB-LOC\r\n京\tI-LOC\r\n\r\n\n  \n\u3000\tO\n\xa0x\tO\n\n\n"
    path.write_bytes(text.encode("utf-8"))
    examples = read_xtreme_file(path, TASKS["panx"])
    assert examples == [
        TaggedExample(("東", "京"), ("B-LOC", "I-LOC")),
        # Unicode spaces are real tokens in CJK and WikiANN data, not blank lines
        TaggedExample(("\u3000", "\xa0x"), ("O", "O")),
    ]


def test_a_stray_carriage_return_inside_a_text_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "dev-en.tsv"
    path.write_bytes(b"one\rtwo\tthree\tentailment\r\n")
    assert read_xtreme_file(path, TASKS["xnli"]) == [PairExample("one\rtwo", "three", "entailment")]


def test_empty_token_and_bad_bytes_are_reported_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "train-en.tsv"
    path.write_text("Paris\tB-LOC\n\tO\n")
    with pytest.raises(DataError, match=r"train-en.tsv:2: empty token"):
        read_xtreme_file(path, TASKS["panx"])
    path.write_bytes(b"a\tb\tneutral\nc\xff\td\tneutral\n")
    with pytest.raises(DataError, match=r"train-en.tsv:2: not UTF-8"):
        read_xtreme_file(path, TASKS["xnli"])


def test_a_line_missing_its_label_is_an_error_not_a_test_file(tmp_path: Path) -> None:
    path = tmp_path / "train-en.tsv"
    path.write_text("a\tb\tneutral\nc\td\n")
    with pytest.raises(DataError, match=r"train-en.tsv:2: this line is unlabelled, but line 1"):
        read_xtreme_file(path, TASKS["xnli"])
    path.write_text("The\tDET\n\ncat\n")
    with pytest.raises(DataError, match=r"train-en.tsv:3: this line is untagged"):
        read_xtreme_file(path, TASKS["udpos"])


def test_bad_pair_label_lists_the_allowed_set(tmp_path: Path) -> None:
    path = tmp_path / "dev-de.tsv"
    path.write_text("a\tb\t0\nc\td\t2\n")
    with pytest.raises(DataError) as err:
        read_xtreme_file(path, TASKS["pawsx"])
    assert err.value.where == f"{path}:2"
    assert err.value.hint == "allowed: 0, 1"


def test_pair_round_trip_with_awkward_texts(tmp_path: Path) -> None:
    examples: list[PairExample] = [
        PairExample("NS", "http://x.org/#a:b", "1"),
        PairExample("Ọjọ́ ìlú", "  spaced  ", "0"),
        PairExample("", "empty first text", "1"),
    ]
    path = tmp_path / "pawsx" / "train-en.tsv"
    assert write_xtreme_file(path, TASKS["pawsx"], examples) == 3
    assert b"\r" not in path.read_bytes()
    assert read_xtreme_file(path, TASKS["pawsx"]) == examples


@pytest.mark.parametrize(
    ("task", "example", "problem"),
    [
        ("xnli", PairExample("a", "b"), "no label"),
        ("xnli", PairExample("a\tx", "b", "neutral"), "tab"),
        ("xnli", PairExample("a", "b", "maybe"), "allowed: entailment, neutral, contradiction"),
        ("xnli", TaggedExample(("a",), ("O",)), "pair task"),
        ("panx", TaggedExample(("a", "b"), ("O",)), "2 tokens but 1 tags"),
        ("panx", TaggedExample(("a", " "), ("O", "O")), "empty"),
        ("panx", TaggedExample(("a",)), "no tags"),
    ],
)
def test_writer_refuses_what_the_reader_could_not_give_back(
    tmp_path: Path, task: str, example: PairExample | TaggedExample, problem: str
) -> None:
    path = tmp_path / "out.tsv"
    path.write_text("previous\n")
    good = PairExample("x", "y", "neutral") if task == "xnli" else TaggedExample(("x",), ("O",))
    with pytest.raises(DataError, match="example #2") as err:
        write_xtreme_file(path, TASKS[task], [good, example])
    assert problem in err.value.message
    assert path.read_text() == "previous\n"  # the file appears only once complete
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tsv"]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_dir_pools_splits_and_skips_unlabelled_files(tmp_path: Path) -> None:
    _write(tmp_path / "xnli" / "train-de.tsv", "a\tb\tneutral\n")
    _write(tmp_path / "xnli" / "dev-de.tsv", "c\td\tentailment\n")
    _write(tmp_path / "xnli" / "test-de.tsv", "e\tf\n")  # unlabelled: adds nothing
    _write(tmp_path / "xnli" / "README.txt", "not data")
    data = read_xtreme_dir(tmp_path, [TASKS["xnli"]])
    assert data == {
        ("xnli", "de"): [PairExample("c", "d", "entailment"), PairExample("a", "b", "neutral")]
    }
    assert [ex.origin for ex in data[("xnli", "de")]] == ["dev#0", "train#0"]  # type: ignore[union-attr]


def test_dir_reads_only_the_languages_asked_for(tmp_path: Path) -> None:
    _write(tmp_path / "udpos" / "dev-en.tsv", "The\tDET\n")
    _write(tmp_path / "udpos" / "dev-fr.tsv", "Le\tNOT-A-TAG\n")  # broken, but not asked for
    data = read_xtreme_dir(tmp_path, [TASKS["udpos"]], {"udpos": ["en"]})
    assert list(data) == [("udpos", "en")]
    with pytest.raises(DataError, match=r"dev-fr.tsv:1"):
        read_xtreme_dir(tmp_path, [TASKS["udpos"]])
    # an unknown language code is an error even when it is not asked for
    _write(tmp_path / "udpos" / "dev-english.tsv", "The\tDET\n")
    with pytest.raises(DataError) as err:
        read_xtreme_dir(tmp_path, [TASKS["udpos"]], {"udpos": ["en"]})
    assert err.value.where is not None and err.value.where.endswith("dev-english.tsv")
    assert "udpos has no language 'english'" in err.value.message


def test_missing_task_folder_names_what_was_found(tmp_path: Path) -> None:
    _write(tmp_path / "xnli" / "dev-de.tsv", "a\tb\tneutral\n")
    _write(tmp_path / "udpos" / "dev-en.tsv", "The\tDET\n")
    with pytest.raises(DataError) as err:
        read_xtreme_dir(tmp_path, [TASKS["xnli"], TASKS["panx"]])
    assert err.value.hint is not None and "found: udpos, xnli" in err.value.hint
    _write(tmp_path / "xnli" / "de.tsv", "a\tb\tneutral\n")
    with pytest.raises(DataError, match=r"file name is not \{split\}-\{lang\}.tsv"):
        read_xtreme_dir(tmp_path, [TASKS["xnli"]])
