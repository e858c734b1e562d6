"""Do a board's sentences agree with its numbers? (DESIGN.md: "Every sentence that explains a
decision agrees with the numbers shown beside it.")

Every gain a reason states ("12.0% faster", "19.5% slower") names the two teams it is about;
it must be worded by the sign of the gain computed from those two teams' medians, as shown on
the board, and say the same percentage. A "-12%" next to "faster" or "slower" is always wrong.
Pure: the leaderboard runs it on every board it builds and keeps what it finds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from podium.rules.comparison import median_gain

__all__ = ["mismatches"]

SHARE = r"(?P<pct>[\d.]+)% (?P<word>faster|slower)"
NEGATIVE = re.compile(r"-[\d.]+% (?:faster|slower)")
# "A 12.0% faster than B (medians 0.185 and 0.221)": A against B
THAN = re.compile(SHARE + r" than (?P<b>.+?) \((?:medians|durations) ")
# a move of the row's team past another: "... past B: ... 66.7% faster (> 5.0%)",
# "... only 2.0% faster (needs", "300.0% slower (needs", "4.0% slower by the medians"
MOVE = re.compile(r"(?:lifted past|against) (?P<b>.+?): ")
MOVE_SHARE = re.compile(SHARE + r" (?:\(> |\(needs|by the medians)")


def mismatches(durations: Mapping[str, float], reasons: Mapping[str, Sequence[str]]) -> list[str]:
    """The sentences whose stated gain disagrees with the medians of the teams they name."""
    wrong: list[str] = []
    for team, sentences in reasons.items():
        for sentence in sentences:
            if NEGATIVE.search(sentence):
                wrong.append(f"{team}: a negative share worded as a gain: {sentence!r}")
            wrong.extend(_than(sentence, durations))
            wrong.extend(_move(team, sentence, durations))
    return wrong


def _than(sentence: str, durations: Mapping[str, float]) -> list[str]:
    wrong = []
    for found in THAN.finditer(sentence):
        head = sentence[: found.start()].rstrip()
        first = next(
            (t for t in sorted(durations, key=len, reverse=True) if head.endswith(t)), None
        )
        second = found.group("b")
        if first is None or second not in durations:
            continue
        wrong.extend(_agrees(first, second, found, durations, sentence))
    return wrong


def _move(team: str, sentence: str, durations: Mapping[str, float]) -> list[str]:
    past = MOVE.search(sentence)
    if past is None or past.group("b") not in durations or team not in durations:
        return []
    share = MOVE_SHARE.search(sentence, past.end())
    return [] if share is None else _agrees(team, past.group("b"), share, durations, sentence)


def _agrees(
    team: str, other: str, found: re.Match[str], durations: Mapping[str, float], sentence: str
) -> list[str]:
    """`team` is said to be pct% faster/slower than `other`: true of the shown medians?"""
    gain = median_gain(durations[team], durations[other])
    word = "faster" if gain > 0 else "slower"
    pct = found.group("pct")
    if sentence[: found.start()].endswith("more than ") and pct == "999":
        ok = found.group("word") == word and abs(gain) > 9.99
        return [] if ok else [f"{team} against {other}: not beyond 999%: {sentence!r}"]
    decimals = len(pct.split(".")[1]) if "." in pct else 0
    if found.group("word") != word or f"{abs(gain) * 100:.{decimals}f}" != pct:
        shown = f"{abs(gain):.1%} {word}"
        return [f"{team} against {other}: says {found.group(0)!r}, the medians say {shown}: "
                f"{sentence!r}"]  # fmt: skip
    return []
