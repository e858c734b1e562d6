from __future__ import annotations

import json
from pathlib import Path

import pytest

from podium.core.errors import PredictionError
from podium.data.jsonl import write_jsonl
from podium.submission.predictions import expected_files, read_predictions
from podium.tasks import default_registry


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    root = tmp_path / "inputs"
    write_jsonl(
        root / "xnli" / "en.jsonl",
        [{"id": "a", "text_a": "x", "text_b": "y"}, {"id": "b", "text_a": "x", "text_b": "z"}],
    )
    write_jsonl(root / "panx" / "en.jsonl", [{"id": "s1", "tokens": ["Ann", "in", "Rome"]}])
    return root


def _expected(inputs: Path):  # type: ignore[no-untyped-def]
    tasks = {t.id: t for t in default_registry()}
    return expected_files(inputs, tasks, {"xnli": ["en"], "panx": ["en"]})


def _write(out: Path, xnli: list[dict], panx: list[dict]) -> None:  # type: ignore[type-arg]
    write_jsonl(out / "xnli" / "en.jsonl", xnli)
    write_jsonl(out / "panx" / "en.jsonl", panx)


GOOD_XNLI = [{"id": "b", "label": "neutral"}, {"id": "a", "label": "entailment"}]
GOOD_PANX = [{"id": "s1", "tags": ["B-PER", "O", "B-LOC"]}]


def test_valid_predictions_in_any_order(inputs: Path, tmp_path: Path) -> None:
    _write(tmp_path / "out", GOOD_XNLI, GOOD_PANX)
    loaded = read_predictions(tmp_path / "out", _expected(inputs))
    assert loaded[("xnli", "en")] == {"a": "entailment", "b": "neutral"}
    assert loaded[("panx", "en")]["s1"] == ("B-PER", "O", "B-LOC")


@pytest.mark.parametrize(
    ("xnli", "panx", "message"),
    [
        (GOOD_XNLI[:1], GOOD_PANX, "1 id(s) without a prediction, e.g. 'a'"),
        ([*GOOD_XNLI, {"id": "a", "label": "neutral"}], GOOD_PANX, "id 'a' predicted twice"),
        ([*GOOD_XNLI, {"id": "zz", "label": "neutral"}], GOOD_PANX, "unknown id 'zz'"),
        ([{"id": "a", "label": "yes"}, GOOD_XNLI[0]], GOOD_PANX, 'label "yes" is not one of'),
        ([{"id": 1, "label": "neutral"}], GOOD_PANX, "'id' must be a string"),
        (GOOD_XNLI, [{"id": "s1", "tags": ["O", "O"]}], "2 tags for 3 tokens"),
        (GOOD_XNLI, [{"id": "s1", "tags": ["O", "O", "B-MISC"]}], "tags ['B-MISC'] not in"),
        (GOOD_XNLI, [{"id": "s1", "tags": "O O O"}], "must be a list of strings"),
    ],
)
def test_contract_violations_are_named_with_file_and_line(
    inputs: Path,
    tmp_path: Path,
    xnli: list[dict],
    panx: list[dict],
    message: str,  # type: ignore[type-arg]
) -> None:
    _write(tmp_path / "out", xnli, panx)
    with pytest.raises(PredictionError) as err:
        read_predictions(tmp_path / "out", _expected(inputs))
    assert message in err.value.message


def test_missing_and_extra_files(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_jsonl(out / "xnli" / "en.jsonl", GOOD_XNLI)
    (out / "debug.log").write_text("x")
    with pytest.raises(PredictionError) as err:
        read_predictions(out, _expected(inputs))
    assert "panx/en.jsonl: missing predictions file" in err.value.message
    assert "debug.log: unexpected file" in err.value.message


def test_broken_json_line(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write(out, GOOD_XNLI, GOOD_PANX)
    with (out / "xnli" / "en.jsonl").open("a") as f:
        f.write("{not json\n")
    with pytest.raises(PredictionError, match=r"en.jsonl:3"):
        read_predictions(out, _expected(inputs))
    assert json.loads((out / "xnli" / "en.jsonl").read_text().splitlines()[0])


GOOD_LINE = b'{"id": "a", "label": "entailment"}\n'


@pytest.mark.parametrize(
    ("first_line", "message"),
    [
        (b'{"id": "\xff", "label": "neutral"}\n', "xnli/en.jsonl:1: not valid UTF-8 (byte 9"),
        (b"\xef\xbb\xbf" + GOOD_LINE, "xnli/en.jsonl:1: the file starts with a byte order mark"),
        (b"[" * 100_000 + b"\n", "xnli/en.jsonl:1: JSON nested too deeply"),
        (b'{"id": ' + b"7" * 10_000 + b"}\n", "xnli/en.jsonl:1: not valid JSON (Exceeds the limit"),
        (b'{"id": "a", "label": NaN}\n', "xnli/en.jsonl:1: not valid JSON (NaN is not a JSON"),
        (b'{"id": "a", "label": -Infinity}\n', "(-Infinity is not a JSON number)"),
        (b'["a", "entailment"]\n', "xnli/en.jsonl:1: each line must be a JSON object, got list"),
        (b'{"id": ["a"], "label": "neutral"}\n', "xnli/en.jsonl:1: 'id' must be a string, got ['a']"),
        (b'{"id": "a", "label": {"x": 1}}\n', "xnli/en.jsonl:1: label {'x': 1} is not one of"),
        (b'{"id": "a", "label": "' + b"n" * 5000 + b'"}\n', '"nnnnnnnnnnnnn'),
    ],
    ids=["utf8", "bom", "nesting", "huge-int", "nan", "infinity", "array", "id-type",
         "label-type", "long-label"],
)  # fmt: skip
def test_malformed_lines_are_problems_never_exceptions(
    inputs: Path, tmp_path: Path, first_line: bytes, message: str
) -> None:
    out = tmp_path / "out"
    _write(out, GOOD_XNLI[:1], GOOD_PANX)
    path = out / "xnli" / "en.jsonl"
    path.write_bytes(first_line + path.read_bytes())
    with pytest.raises(PredictionError) as err:
        read_predictions(out, _expected(inputs))
    assert message in err.value.message
    assert len(err.value.message) < 2000  # a hostile value is shown briefly


def test_a_100_mb_line_is_a_problem_and_the_next_lines_are_read(
    inputs: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _write(out, [], GOOD_PANX)
    with (out / "xnli" / "en.jsonl").open("wb") as f:
        f.write(b'{"id": "b", "label": "' + b"x" * 100 * 2**20 + b'"}\n')
        f.write(b'{"id": "zz", "label": "neutral"}\n')
    with pytest.raises(PredictionError) as err:
        read_predictions(out, _expected(inputs))
    assert "xnli/en.jsonl:1: the line is longer than 1 MiB" in err.value.message
    assert "xnli/en.jsonl:2: unknown id 'zz'" in err.value.message


def test_crlf_line_ends_are_accepted(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write(out, GOOD_XNLI, GOOD_PANX)
    for path in out.glob("*/*.jsonl"):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    loaded = read_predictions(out, _expected(inputs))
    assert loaded[("xnli", "en")] == {"a": "entailment", "b": "neutral"}
