"""The worked examples of docs/ranking.md are what `podium.rules.ranking.rank` computes.

Each example table (header `| team | score | duration (s) | ...`) is ranked under the rule
stated on the nearest `Rule:` line above it; the places and the reasons must match.
"""

from __future__ import annotations

import re
import statistics

import pytest

from podium.rules.comparison import level_text
from podium.rules.efficiency import Noise
from podium.rules.looks import Plan
from podium.rules.ranking import Entry, RerankRule, rank

from .pages import DOCS

HEADER = (
    "| team | score | duration (s) | performance place | efficiency place | final place | why |"
)
# measured examples: each team's runs and its submission time; the rule line states the noise
MEASURED = (
    "| team | score | runs (s) | submitted | performance place | efficiency place | final place"
    " | why |"
)


def _rule(line: str) -> RerankRule:
    def number(name: str) -> str:
        found = re.search(rf"`{name} = ([^`]+)`", line)
        assert found, f"{line!r} does not state {name}"
        return found.group(1)

    bonus = tuple(int(b) for b in number("bonus_places").strip("[]").split(","))
    return RerankRule(
        bonus_places=bonus,
        max_score_gap=float(number("max_score_gap")),
        min_efficiency_gain=float(number("min_efficiency_gain")),
        higher_is_better="lower is better" not in line,
    )


def _tables(header: str) -> list[tuple[str, list[list[str]]]]:
    """(rule or plan line, rows) of every table under `header`, rows split into cells."""
    found: list[tuple[str, list[list[str]]]] = []
    rule_line = ""
    lines = (DOCS / "ranking.md").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.startswith(("Rule:", "Plan:")):
            rule_line = line
        if line != header:
            continue
        rows = []
        for row in lines[i + 2 :]:
            if not row.startswith("|"):
                break
            rows.append([cell.strip() for cell in row.strip().strip("|").split("|")])
        found.append((rule_line, rows))
    return found


def examples() -> list[tuple[RerankRule, list[list[str]]]]:
    """(rule, rows) for every single-number example table of the page."""
    return [(_rule(line), rows) for line, rows in _tables(HEADER)]


def measured_examples() -> list[tuple[RerankRule, Noise, list[list[str]]]]:
    """The measured examples: (rule, noise, rows); the noise is stated on the rule line."""
    found = []
    for line, rows in _tables(MEASURED):
        sigma = re.search(r"`noise = ([^`]+)`", line)
        assert sigma, f"{line!r} does not state the noise"
        found.append((_rule(line), Noise(float(sigma.group(1)), 20, "the example"), rows))
    return found


def test_the_page_has_examples() -> None:
    assert len(examples()) >= 5


def mismatches(rule: RerankRule, rows: list[list[str]]) -> list[str]:
    """The teams whose shown places or reasons differ from the rule's."""
    entries = [Entry(team, float(score), float(duration)) for team, score, duration, *_ in rows]
    placed = {p.team: p for p in rank(entries, rule)}
    wrong = []
    for team, _, _, performance, efficiency, final, why in rows:
        p = placed[team]
        shown = (int(performance), int(efficiency), int(final), why)
        computed = (p.performance_place, p.efficiency_place, p.place, "; ".join(p.reasons))
        if shown != computed:
            wrong.append(f"{team}: shown {shown}, computed {computed}")
    return wrong


@pytest.mark.parametrize("rule, rows", examples())
def test_example_matches_the_rule(rule: RerankRule, rows: list[list[str]]) -> None:
    assert mismatches(rule, rows) == []


def test_an_example_with_a_wrong_number_is_caught() -> None:
    rule, rows = examples()[0]
    leader_fastest = [[*rows[0][:2], "1", *rows[0][3:]], *rows[1:]]
    assert mismatches(rule, leader_fastest)
    stricter = RerankRule(bonus_places=rule.bonus_places, max_score_gap=1.0)
    assert mismatches(stricter, rows)


def test_the_page_has_measured_examples() -> None:
    assert len(measured_examples()) >= 2


@pytest.mark.parametrize("rule, noise, rows", measured_examples())
def test_measured_example_matches_the_rule(
    rule: RerankRule, noise: Noise, rows: list[list[str]]
) -> None:
    entries = []
    for team, score, runs, submitted, *_ in rows:
        samples = tuple(float(x) for x in runs.split(","))
        entries.append(
            Entry(team, float(score), statistics.median(samples), float(submitted), samples)
        )
    placed = {p.team: p for p in rank(entries, rule, noise)}
    for team, _, _, _, performance, efficiency, final, why in rows:
        p = placed[team]
        shown = (int(performance), int(efficiency), int(final), why)
        assert shown == (p.performance_place, p.efficiency_place, p.place, "; ".join(p.reasons))


# examples of the training-compute tie-break: each team's billed training CPU seconds
TRAINING = (
    "| team | score | duration (s) | training (CPU s) | performance place | efficiency place"
    " | final place | why |"
)


def training_examples() -> list[tuple[RerankRule, list[list[str]]]]:
    found = []
    for line, rows in _tables(TRAINING):
        assert '`training_compute = "tiebreak"`' in line, line
        rule = _rule(line)
        found.append((RerankRule(**{**rule.__dict__, "training_tiebreak": True}), rows))
    return found


def test_the_page_has_training_examples() -> None:
    assert len(training_examples()) >= 2


@pytest.mark.parametrize("rule, rows", training_examples())
def test_training_example_matches_the_rule(rule: RerankRule, rows: list[list[str]]) -> None:
    entries = [Entry(t, float(s), float(d), training_seconds=float(c)) for t, s, d, c, *_ in rows]
    placed = {p.team: p for p in rank(entries, rule)}
    for team, _, _, _, performance, efficiency, final, why in rows:
        p = placed[team]
        shown = (int(performance), int(efficiency), int(final), why)
        assert shown == (p.performance_place, p.efficiency_place, p.place, "; ".join(p.reasons))
    untied = rank(entries, RerankRule(**{**rule.__dict__, "training_tiebreak": False}))
    before = {p.team: p.performance_place for p in untied}
    assert before != {t: p.performance_place for t, p in placed.items()}  # it decides here


LOOKS = "| look | runs per team | move's interval | order's interval | futility risk |"


def test_the_looks_example_is_the_plan() -> None:
    """The worked looks of a photo finish are what `podium.rules.looks.Plan` spends."""
    [(line, rows)] = [(line, rows) for line, rows in _tables(LOOKS)]
    runs = re.search(r"`runs = (\d+)`", line)
    level = re.search(r"`confidence = ([^`]+)`", line)
    assert runs and level, line
    plan, risk = Plan(int(runs.group(1))), 1 - float(level.group(1))
    computed = [
        [str(k), str(plan.runs_at(k)), level_text(1 - plan.risk_at(k, risk)),
         level_text(1 - plan.risk_at(k, risk / 10)), f"{plan.futility_at(k):.2%}"]
        for k in range(len(plan.points) + 1)
    ]  # fmt: skip
    assert rows == computed
