"""Copied code found by winnowing: renamed and re-spaced copies are similar, different code of
the same task is not, and released code does not count."""

from __future__ import annotations

from pathlib import Path

from podium.submission.codeprints import MIN_PRINTS, file_prints, folder_prints, similar_files

EXAMPLES = Path(__file__).parents[2] / "examples"


def _prints(path: Path) -> frozenset[int]:
    return file_prints(path.read_text())


def test_a_renamed_respaced_copy_is_similar_and_other_code_is_not() -> None:
    original = (EXAMPLES / "perceptron" / "model.py").read_text()
    disguised = "# my own work\n" + original.replace("weights", "w8").replace("    ", "  ")
    ours = {"model.py": file_prints(disguised)}
    others = {
        (7, "perceptron/model.py"): file_prints(original),
        (8, "lexicon/train.py"): _prints(EXAMPLES / "lexicon" / "train.py"),
    }
    found = similar_files(ours, others)
    assert [(m.other_submission, m.other_path) for m in found] == [(7, "perceptron/model.py")]
    assert found[0].shared >= MIN_PRINTS


def test_released_code_does_not_count() -> None:
    original = file_prints((EXAMPLES / "perceptron" / "model.py").read_text())
    assert similar_files({"m.py": original}, {(1, "m.py"): original}, released=original) == []


def test_unrelated_examples_are_not_similar() -> None:
    files = {p.parent.name + "/" + p.name: _prints(p) for p in EXAMPLES.glob("*/*.py")}
    for name, prints in files.items():
        others = {(1, other): v for other, v in files.items() if other != name}
        assert similar_files({name: prints}, others) == [], name


def test_folder_prints_reads_code_files_only(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text((EXAMPLES / "lexicon" / "train.py").read_text())
    (tmp_path / "notes.txt").write_text("x = 1\n" * 1000)
    (tmp_path / "link.py").symlink_to(tmp_path / "a.py")
    assert list(folder_prints(tmp_path)) == ["a.py"]
