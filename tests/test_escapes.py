"""Text from a submission made safe: for every store (no NUL, valid UTF-8), and file names
as a person can read them; nothing a person needs is lost."""

from __future__ import annotations

import os

import pytest

from podium.core.escapes import control_characters, shown_name, storable


def test_storable_text_escapes_what_no_store_can_hold_and_keeps_the_rest() -> None:
    raw = b"loss 0.31\x00\xff\xfe done \xe2\x9c\x93\n\ttab \x1b[31mred".decode(
        "utf-8", "surrogateescape"
    )
    assert storable(raw) == "loss 0.31\\x00\\xff\\xfe done \u2713\n\ttab \x1b[31mred"
    assert storable("a lone \ud800 surrogate") == "a lone \\ud800 surrogate"
    assert storable("plain") == "plain" and storable("") == ""
    storable(raw).encode("utf-8")  # any store takes it: valid UTF-8, no NUL
    assert "\x00" not in storable(raw)


def test_file_names_are_shown_with_undecodable_bytes_and_controls_escaped() -> None:
    name = os.fsdecode(b"xnli/\xff\xfe.jsonl")
    assert shown_name(name) == "xnli/\\xff\\xfe.jsonl"
    assert shown_name("xnli/\x1b]0;owned\x07.jsonl") == "xnli/\\x1b]0;owned\\x07.jsonl"
    assert shown_name("a\nb\u202ec.jsonl") == "a\\nb\\u202ec.jsonl"
    assert shown_name("udpos/\u00e9t\u00e9.jsonl") == "udpos/\u00e9t\u00e9.jsonl"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("python predict.py", []),
        ("pip install -r req.txt\n\tpython prep.py", []),  # newlines and tabs: shell lines
        ("python predict.py\x00", [(17, "\x00")]),
        ("echo \x1b[2J", [(5, "\x1b")]),
        ("a\rb\x7fc\x85", [(1, "\r"), (3, "\x7f"), (5, "\x85")]),
        ("python \u202eyp.tciderp", [(7, "\u202e")]),  # right-to-left override
        ("a\u2028b", [(1, "\u2028")]),
    ],
)
def test_control_characters_are_found_where_they_are(
    text: str, found: list[tuple[int, str]]
) -> None:
    assert control_characters(text) == found
