"""The flag rules as plain data: a run's integrity verdict becomes a `lookup` flag."""

from __future__ import annotations

from podium.rules.flags import lookup_flags, sorted_flags, under_review


def test_only_a_suspect_verdict_is_a_lookup_flag() -> None:
    suspect = {"verdict": "suspect", "canaries": 40, "gap": 0.62, "p_value": 1e-9}
    runs = [
        (1, suspect),
        (2, {"verdict": "clean", "canaries": 40, "gap": 0.01, "p_value": 0.7}),
        (3, {"verdict": "unknown", "canaries": 0, "gap": None, "p_value": None}),
        (4, None),  # no verdict (a store without canaries)
        (5, "suspect"),  # not a verdict object: ignored, never a crash
    ]
    assert lookup_flags(runs) == [
        {"kind": "lookup", "run": 1, "canaries": 40, "gap": 0.62, "p_value": 1e-9}
    ]


def test_under_review_until_decided() -> None:
    flags = [{"kind": "similar"}, {"kind": "lookup"}]
    assert under_review(flags, None)
    assert not under_review(flags, "cleared") and not under_review([], None)
    assert [f["kind"] for f in sorted_flags(flags)] == ["lookup", "similar"]
