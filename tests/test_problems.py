"""Errors grouped by kind: counted whole, a few files and examples kept, the kinds capped;
the stored text read back into the same groups (and older lists and plain errors too)."""

from __future__ import annotations

from podium.rules.problems import (
    EXAMPLES,
    FILES,
    KINDS,
    OTHER,
    Problems,
    group_error,
    kind_of,
    summary_lines,
)


def test_thousands_of_lines_become_one_kind_with_counts_files_and_five_examples() -> None:
    found = Problems()
    for f in range(12):
        for line in range(300):
            found.add(f"xnli/l{f}.jsonl:{line + 1}: label {line} is not one of ['a', 'b']")
    found.add("pawsx/en.jsonl: missing predictions file (20 ids expected)")
    text = found.text("predictions") + "\nhint: podium check finds these"
    assert len(text.splitlines()) <= 2 + 2 * (1 + EXAMPLES)
    label, missing = group_error(text)
    assert (label.count, label.file_count, len(label.files)) == (3600, 12, FILES)
    assert label.examples[0] == "xnli/l0.jsonl:1: label 0 is not one of ['a', 'b']"
    assert len(label.examples) == EXAMPLES and label.kind == "label N is not one of […]"
    assert (missing.count, missing.files) == (1, ["pawsx/en.jsonl"])
    assert summary_lines(text)[0] == "label N is not one of […]: 3,600 times in 12 files"


def test_kinds_are_capped_and_field_names_kept() -> None:
    found = Problems()
    for k in range(KINDS + 5):
        found.add(f"a/b.jsonl:{k}: problem{'x' * k} here")
    found.add("a/b.jsonl:9: 'tags' must be a list of strings")
    kinds = [g.kind for g in group_error(found.text("predictions"))]
    assert len(kinds) == KINDS and kinds[-1] == OTHER
    assert group_error(found.text("predictions"))[-1].count == 7  # 26 problems, 19 kinds kept
    assert kind_of("'tags' must be a list of strings") == "'tags' must be a list of strings"
    assert kind_of("id 'en-0042' predicted twice") == "id … predicted twice"


def test_older_lists_and_plain_errors_are_grouped_too() -> None:
    older = ("3 problem(s) with the predictions:\n  a/b.jsonl:1: label 1 is not one of []\n"
             "  a/c.jsonl:2: label 2 is not one of []\n... and 1 more\nhint: see")  # fmt: skip
    [group] = group_error(older)
    assert (group.count, group.files) == (2, ["a/b.jsonl", "a/c.jsonl"])
    assert summary_lines("the test phase timed out after 3 s\nhint: raise it") == [
        "the test phase timed out after 3 s"
    ]
    assert group_error(None) == [] and group_error("") == []
