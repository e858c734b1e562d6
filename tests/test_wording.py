"""Words that match the numbers: every gain a reason states is worded by its sign and computed
from the medians shown beside it, on boards with jittery timing and on single numbers."""

from __future__ import annotations

import random
import statistics

import pytest

from podium.rules.efficiency import Noise
from podium.rules.ranking import Entry, RerankRule, contested, rank
from podium.rules.wording import mismatches


def _board(seed: int, noise: float, *, samples: bool) -> list[Entry]:
    """Five teams, two of them twins, scores close enough for moves, jittery runs."""
    draw = random.Random(seed)
    entries = []
    true = {"Ash": 1.0, "Birch": 1.0, "Cedar": 0.9, "Dune": 2.0, "Elm": 0.5}
    for i, (team, seconds) in enumerate(true.items()):
        runs = tuple(seconds * draw.lognormvariate(0, noise) for _ in range(draw.randint(1, 6)))
        score = draw.choice([80.0, 80.0, 78.0, 75.0, 71.0])
        entries.append(
            Entry(
                team,
                score,
                statistics.median(runs),
                float(i),
                runs if samples else (),
                draw.randint(0, 2),
            )
        )
    return entries


@pytest.mark.parametrize("samples", [True, False])
def test_every_sentence_of_jittery_boards_agrees_with_its_medians(samples: bool) -> None:
    checked = 0
    for seed in range(150):
        entries = _board(seed, (0.05, 0.1, 0.2)[seed % 3], samples=samples)
        noise = Noise((0.05, 0.1, 0.2)[seed % 3], 8, "test")
        placed = rank(entries, RerankRule(max_score_gap=6.0), noise)
        said = {p.team: list(p.reasons) for p in placed}
        for c in contested(entries, RerankRule(max_score_gap=6.0), noise):
            said[c.behind].append(c.reason)
        durations = {e.team: e.duration for e in entries}
        assert mismatches(durations, said) == []
        checked += sum("% faster" in r or "% slower" in r for rs in said.values() for r in rs)
    assert checked > 300  # the boards did state gains, both ways round


def test_a_wrong_word_or_number_is_caught() -> None:
    durations = {"Quick Lex": 0.260, "Deep Percept": 0.249}
    assert mismatches(durations, {"Quick Lex": ["Quick Lex 1.2% faster than Deep Percept "
                                                "(medians 0.26 and 0.249)"]})  # fmt: skip
    slower = "Quick Lex 4.4% slower than Deep Percept (medians 0.26 and 0.249)"
    assert mismatches(durations, {"Quick Lex": [slower]}) == []
    negative = "not lifted past Deep Percept: -4.4% faster (needs > 5.0% faster)"
    assert mismatches(durations, {"Quick Lex": [negative]})
    wrong_number = "not lifted past Deep Percept: 5.4% slower (needs > 5.0% faster)"
    assert mismatches(durations, {"Quick Lex": [wrong_number]})
    right = "not lifted past Deep Percept: 4.4% slower (needs > 5.0% faster)"
    assert mismatches(durations, {"Quick Lex": [right]}) == []
