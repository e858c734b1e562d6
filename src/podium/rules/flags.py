"""Flags for organizers: what makes a submission worth a look, as plain data.

A flag is `{"kind": ..., ...}` with kind `lookup` (a run's canaries disagree with their
originals, or its contrast canaries copy their originals' answers, more than honest models
do), `sealed-text` (the archive holds many sealed texts),
`identical` (the same archive as another team's) or `similar` (a code file nearly the same as
another team's). Flags inform; only an organizer's review decides. No team ever sees them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

KINDS = ("lookup", "sealed-text", "identical", "similar")
DECISIONS = {"clear": "cleared", "disqualify": "disqualified"}

Flag = dict[str, Any]


def lookup_flags(runs: Iterable[tuple[int, Mapping[str, Any] | None]]) -> list[Flag]:
    """A `lookup` flag for each run whose integrity verdict is "suspect" (runs without a
    verdict, or stores that keep none, give none)."""
    flags = []
    for run_id, integrity in runs:
        if not isinstance(integrity, Mapping) or integrity.get("verdict") != "suspect":
            continue
        detail = {k: integrity.get(k) for k in ("canaries", "gap", "p_value")}
        if "contrast" in integrity:  # which test spoke: copies onto contrast canaries
            detail["contrast"] = integrity["contrast"]
        flags.append({"kind": "lookup", "run": run_id, **detail})
    return flags


def under_review(flags: Iterable[Flag], review: str | None) -> bool:
    """Flagged and not yet decided on: the row an organizer's board marks "under review"."""
    return review is None and any(True for _ in flags)


def sorted_flags(flags: Iterable[Flag]) -> list[Flag]:
    """Flags in the order of `KINDS`, then as they came."""
    order = {kind: n for n, kind in enumerate(KINDS)}
    return sorted(flags, key=lambda flag: order.get(str(flag.get("kind")), len(order)))
