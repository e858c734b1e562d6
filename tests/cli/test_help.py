"""Less noise: `podium --help` in the workflow's order with its text intact, and warnings
summarised per kind (all of them with --verbose)."""

from __future__ import annotations

import os
import subprocess
import sys

from podium.cli.render import summarised

from ..patience import HANG


def _podium(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "podium", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "100"},
        timeout=HANG,
    )


def test_help_lists_commands_in_the_order_of_the_work() -> None:
    out = _podium("--help").stdout
    panels = ["Try it:", "Set up a competition:", "Take part (participants):", "Evaluate:",
              "Follow:", "Decide:", "Finish:"]  # fmt: skip
    assert [out.index(p) for p in panels] == sorted(out.index(p) for p in panels)
    assert "More commands" not in out  # every command has its place in the work
    assert out.index("  init ") < out.index("  data ") < out.index("  remeasure ")
    assert "  teams " not in out  # the old name of `team` is hidden
    assert "([notify])" in out  # brackets are text, never markup
    assert "podium[baseline]" in _podium("baseline", "--help").stdout
    old = _podium("teams", "pair", "--help")
    assert old.returncode == 0 and "Old name of `podium team pair`" in old.stdout


SKIPPED = [f"udpos/{lang}: no labelled data in the source; skipped" for lang in "abcdefg"]
THIN = [f"xnli/{lang}: only eval {n} examples (< 100); its score will be noisy"
        for lang, n in (("de", 40), ("fr", 60))]  # fmt: skip
DUPLICATES = "pawsx/de: 3 duplicate input(s) dropped; the first kept"


def test_warnings_are_one_line_per_kind_with_their_count() -> None:
    lines = summarised([*SKIPPED, DUPLICATES, *THIN])
    assert lines == [
        "no labelled data in the source; skipped (7 times: udpos/a, udpos/b, udpos/c and 4 "
        "more; --verbose lists them)",
        DUPLICATES,
        "xnli/de: only eval 40 examples (< 100); its score will be noisy (and 1 more like it: "
        "xnli/fr)",
    ]
    assert summarised([*SKIPPED, DUPLICATES], verbose=True) == [*SKIPPED, DUPLICATES]
    assert summarised(["a sentence: without a place"]) == ["a sentence: without a place"]


def test_warnings_of_one_kind_differ_in_their_figures_only() -> None:
    thin = ["udpos/ar: only final 82 examples (< 100); noisy",
            "udpos/fr: only eval 86 examples (< 100); noisy",
            "udpos/yo: only eval 64, final 48 examples (< 100); noisy"]  # fmt: skip
    assert summarised(thin) == [
        "udpos/ar: only final 82 examples (< 100); noisy (and 2 more like it: udpos/fr, udpos/yo)"
    ]
